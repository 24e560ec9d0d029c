import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../test/mulberry32.js';
import { type EndpointOptions, resolveConfig } from '../config.js';
import { EndpointSignals } from '../signals/endpoint-signals.js';
import { planRoute, type RouteInput, type RoutePlan } from './plan-route.js';

const now = 1_000_000;

// P2C is run over many seeds of a small deterministic PRNG.
const seeded = mulberry32;

function ep(id: string, tier: string, extra: Partial<EndpointOptions> = {}): EndpointOptions {
  return {
    id,
    tier,
    baseURL: `http://${id}.test/v1`,
    model: tier === 'origin' ? 'big' : 'small',
    contextWindow: tier === 'origin' ? 128_000 : 8_192,
    ...extra,
  };
}

/** Real signals for real resolved endpoints, probes off. */
function fleet(endpoints: EndpointOptions[], tiers?: string[]) {
  const config = resolveConfig({ probes: false, endpoints, tiers });
  const signals = config.endpoints.map((e) => new EndpointSignals(e, config));
  const byId = (id: string) => {
    const s = signals.find((x) => x.endpoint.id === id);
    if (!s) throw new Error(`no endpoint ${id}`);
    return s;
  };
  const plan = (input: Partial<RouteInput> = {}, random: () => number = seeded(1)) =>
    planRoute(
      {
        promptChars: 400, // ≈100 tokens
        imageParts: 0,
        outputTokens: 256,
        needs: { tools: false, jsonSchema: false, vision: false },
        ...input,
      },
      {
        endpoints: signals,
        tierCount: config.tiers.length,
        contextMargin: config.estimate.contextMargin,
        imageTokens: config.estimate.imageTokens,
        now,
        random,
      },
    );
  return { config, signals, byId, plan };
}

const ids = (plan: RoutePlan) => plan.order.map((s) => s.endpoint.id);
const primary = (plan: RoutePlan) => plan.order[0]?.endpoint.id;

function eject(s: EndpointSignals, at = now) {
  for (let i = 0; i < 3; i++) s.health.recordFailure(at, 'x');
}

describe('planRoute: filtering', () => {
  const standard = () =>
    fleet([ep('edge-a', 'edge'), ep('edge-b', 'edge'), ep('origin', 'origin')]);

  it('sends a short prompt to the edge tier', () => {
    const { plan } = standard();
    const p = plan();
    expect(p.order[0]?.endpoint.tier).toBe('edge');
    expect(p.excluded).toEqual({});
    expect(p.reason).toMatch(/^edge/);
    expect(ids(p)).toHaveLength(3);
  });

  it('sends a prompt too long for the edge windows to the origin, saying why', () => {
    const { plan } = standard();
    const p = plan({ promptChars: 40_000 }); // ≈10k tokens > 8192
    expect(ids(p)).toEqual(['origin']);
    expect(Object.keys(p.excluded).sort()).toEqual(['edge-a', 'edge-b']);
    expect(p.excluded['edge-a']).toMatch(/context/);
    expect(p.reason).toMatch(/^origin/);
    expect(p.reason).toMatch(/context/);
  });

  it('reserves the output tokens and a safety margin in the window', () => {
    const { plan } = standard();
    // 7000 prompt tokens fit 8192 alone, but not with 10% margin + 1200 output tokens.
    expect(ids(plan({ promptChars: 28_000, outputTokens: 256 }))).toContain('edge-a');
    expect(ids(plan({ promptChars: 28_000, outputTokens: 1_200 }))).toEqual(['origin']);
  });

  it('never plans a fallback the prompt does not fit', () => {
    const { plan } = fleet([
      ep('edge-small', 'edge', { contextWindow: 4_096 }),
      ep('edge-large', 'edge', { contextWindow: 32_768 }),
      ep('origin', 'origin'),
    ]);
    for (let seed = 0; seed < 20; seed++) {
      const p = plan({ promptChars: 24_000 }, seeded(seed)); // ≈6k tokens
      expect(ids(p)).toEqual(['edge-large', 'origin']);
      expect(p.excluded['edge-small']).toMatch(/context/);
    }
  });

  it('returns an empty plan when nothing fits', () => {
    const { plan } = standard();
    const p = plan({ promptChars: 4 * 200_000 });
    expect(p.order).toEqual([]);
    expect(Object.keys(p.excluded)).toHaveLength(3);
  });

  it.each([
    ['tools', { tools: false }, /tool/],
    ['jsonSchema', { jsonSchema: false }, /json_schema/],
    ['vision', { vision: false }, /vision/],
  ] as const)('skips endpoints without %s when the call needs it', (need, capabilities, why) => {
    const { plan } = fleet([
      ep('edge-a', 'edge', { capabilities }),
      ep('edge-b', 'edge'),
      ep('origin', 'origin', { capabilities }),
    ]);
    const needs = { tools: false, jsonSchema: false, vision: false, [need]: true };
    const p = plan({ needs });
    expect(ids(p)).toEqual(['edge-b']);
    expect(p.excluded['edge-a']).toMatch(why);
    expect(p.excluded.origin).toMatch(why);
    // A call that does not need it may use them.
    expect(ids(plan())).toHaveLength(3);
  });

  it('counts image parts against the context window', () => {
    const { plan } = fleet([
      ep('edge-a', 'edge', { contextWindow: 2_048 }),
      ep('origin', 'origin'),
    ]);
    expect(primary(plan({ imageParts: 1 }))).toBe('edge-a');
    expect(ids(plan({ imageParts: 3 }))).toEqual(['origin']); // 3 × 800 tokens
  });

  it('honours a tier pin', () => {
    const { plan } = standard();
    const p = plan({ pin: { kind: 'tier', tier: 'origin' } });
    expect(ids(p)).toEqual(['origin']);
    expect(p.excluded['edge-a']).toMatch(/pinned/);
  });

  it('honours an endpoint pin', () => {
    const { plan } = standard();
    for (let seed = 0; seed < 10; seed++) {
      expect(ids(plan({ pin: { kind: 'endpoint', id: 'edge-b' } }, seeded(seed)))).toEqual([
        'edge-b',
      ]);
    }
  });

  it('honours a model pin', () => {
    const { plan } = standard();
    expect(ids(plan({ pin: { kind: 'model', model: 'small' } })).sort()).toEqual([
      'edge-a',
      'edge-b',
    ]);
    expect(ids(plan({ pin: { kind: 'model', model: 'big' } }))).toEqual(['origin']);
  });

  it('leaves out endpoints already tried', () => {
    const { plan } = standard();
    expect(ids(plan({ exclude: new Set(['edge-a', 'edge-b']) }))).toEqual(['origin']);
  });
});

describe('planRoute: health', () => {
  it('does not choose an ejected endpoint', () => {
    const { plan, byId } = fleet([
      ep('edge-a', 'edge'),
      ep('edge-b', 'edge'),
      ep('origin', 'origin'),
    ]);
    eject(byId('edge-a'));
    for (let seed = 0; seed < 50; seed++) {
      const p = plan({}, seeded(seed));
      expect(primary(p)).toBe('edge-b');
      expect(ids(p)).not.toContain('edge-a');
    }
  });

  it('moves to the next tier when a whole tier is ejected', () => {
    const { plan, byId } = fleet([
      ep('edge-a', 'edge'),
      ep('edge-b', 'edge'),
      ep('origin', 'origin'),
    ]);
    eject(byId('edge-a'));
    eject(byId('edge-b'));
    expect(ids(plan())).toEqual(['origin']);
  });

  it('with every fitting endpoint ejected, still plans them, soonest back first', () => {
    const { plan, byId } = fleet([
      ep('edge-a', 'edge'),
      ep('edge-b', 'edge'),
      ep('origin', 'origin'),
    ]);
    eject(byId('origin'), now - 3_000); // back at now + 2000
    eject(byId('edge-b'), now - 2_000); // back at now + 3000
    eject(byId('edge-a'), now - 1_000); // back at now + 4000
    const p = plan();
    expect(ids(p)).toEqual(['origin', 'edge-b', 'edge-a']);
    expect(p.reason).toMatch(/ejected/);
  });

  it('treats an endpoint held by Retry-After like an unavailable one', () => {
    const { plan, byId } = fleet([ep('edge-a', 'edge'), ep('edge-b', 'edge')]);
    byId('edge-b').health.holdUntil(now + 2_000);
    for (let seed = 0; seed < 20; seed++) expect(ids(plan({}, seeded(seed)))).toEqual(['edge-a']);
  });
});

describe('planRoute: choosing the endpoint in a tier', () => {
  it('prefers the lower-cost endpoint (power of two choices)', () => {
    const { plan, byId } = fleet([ep('edge-a', 'edge'), ep('edge-b', 'edge')]);
    byId('edge-a').ttft.observe(4_000, now);
    for (let seed = 0; seed < 100; seed++) expect(primary(plan({}, seeded(seed)))).toBe('edge-b');
  });

  it('never picks the worst of three, and spreads between the other two', () => {
    const { plan, byId } = fleet([ep('e1', 'edge'), ep('e2', 'edge'), ep('e3', 'edge')]);
    byId('e2').ttft.observe(4_000, now);
    byId('e1').ttft.observe(300, now);
    byId('e3').ttft.observe(310, now);
    const counts: Record<string, number> = {};
    for (let seed = 0; seed < 300; seed++) {
      const id = primary(plan({}, seeded(seed))) as string;
      counts[id] = (counts[id] ?? 0) + 1;
    }
    expect(counts.e2).toBeUndefined();
    // e1 wins when paired with e2 or e3; e3 wins only when paired with e2: about 2/3 and 1/3.
    expect(counts.e1).toBeGreaterThan(150);
    expect(counts.e3).toBeGreaterThan(50);
  });

  it('shifts the choice away from an endpoint with calls in flight', () => {
    const { plan, byId } = fleet([ep('edge-a', 'edge'), ep('edge-b', 'edge')]);
    byId('edge-a').inFlight = 4;
    for (let seed = 0; seed < 50; seed++) expect(primary(plan({}, seeded(seed)))).toBe('edge-b');
    byId('edge-a').inFlight = 0;
    byId('edge-b').inFlight = 4;
    for (let seed = 0; seed < 50; seed++) expect(primary(plan({}, seeded(seed)))).toBe('edge-a');
  });

  it('weighs load against the slots an endpoint has', () => {
    const { plan, byId } = fleet([
      ep('big-box', 'edge', { maxConcurrency: 32 }),
      ep('small-box', 'edge', { maxConcurrency: 2 }),
    ]);
    byId('big-box').inFlight = 4; // 1/8 busy
    byId('small-box').inFlight = 1; // 1/2 busy
    expect(primary(plan())).toBe('big-box');
  });

  it('sticks to the session’s endpoint', () => {
    const { plan } = fleet([ep('edge-a', 'edge'), ep('edge-b', 'edge'), ep('edge-c', 'edge')]);
    for (let seed = 0; seed < 20; seed++) {
      const p = plan({ affinity: new Set(['edge-c']) }, seeded(seed));
      expect(primary(p)).toBe('edge-c');
      expect(p.reason).toMatch(/affinity/);
    }
  });

  it('sticks to the session’s endpoint even if another is a little faster', () => {
    const { plan, byId } = fleet([ep('edge-a', 'edge'), ep('edge-b', 'edge')]);
    byId('edge-a').ttft.observe(400, now);
    byId('edge-b').ttft.observe(350, now);
    expect(primary(plan({ affinity: new Set(['edge-a']) }))).toBe('edge-a');
  });

  it('leaves the session’s endpoint when it is overloaded against the tier’s mean', () => {
    const { plan, byId } = fleet([
      ep('edge-a', 'edge'),
      ep('edge-b', 'edge'),
      ep('edge-c', 'edge'),
    ]);
    byId('edge-c').inFlight = 10;
    for (let seed = 0; seed < 20; seed++) {
      const p = plan({ affinity: new Set(['edge-c']) }, seeded(seed));
      expect(primary(p)).not.toBe('edge-c');
      expect(p.reason).toMatch(/P2C/);
    }
  });

  // Regression: the guard once compared with a mean that included the sticky endpoint itself,
  // which with two endpoints always let affinity through, however loaded.
  it('leaves the session’s endpoint when overloaded, in a two-endpoint tier', () => {
    const { plan, byId } = fleet([ep('edge-a', 'edge'), ep('edge-b', 'edge')]);
    byId('edge-b').inFlight = 50;
    expect(primary(plan({ affinity: new Set(['edge-b']) }))).toBe('edge-a');
  });

  it('ignores affinity to an ejected endpoint', () => {
    const { plan, byId } = fleet([ep('edge-a', 'edge'), ep('edge-b', 'edge')]);
    eject(byId('edge-b'));
    expect(primary(plan({ affinity: new Set(['edge-b']) }))).toBe('edge-a');
  });

  it('ignores affinity to an endpoint the prompt does not fit', () => {
    const { plan } = fleet([ep('edge-a', 'edge'), ep('origin', 'origin')]);
    expect(ids(plan({ affinity: new Set(['edge-a']), promptChars: 40_000 }))).toEqual(['origin']);
  });
});

describe('planRoute: choosing the tier', () => {
  /** Edge cold (≈5.5 s for 256 tokens at the 20 ms prior), origin measured fast (≈0.6 s). */
  function slowEdgeFastOrigin() {
    const f = fleet([ep('edge-a', 'edge'), ep('origin', 'origin')]);
    f.byId('origin').ttft.observe(100, now);
    f.byId('origin').tpot.observe(2, now);
    return f;
  }

  it('prefers the first tier when there is no deadline, even if a later tier is faster', () => {
    const { plan } = slowEdgeFastOrigin();
    expect(ids(plan())).toEqual(['edge-a', 'origin']);
  });

  it('skips a tier predicted too slow for the deadline, saying so', () => {
    const { plan } = slowEdgeFastOrigin();
    const p = plan({ deadlineMs: 2_000 });
    expect(ids(p)).toEqual(['origin', 'edge-a']);
    expect(p.reason).toMatch(/deadline/);
    expect(p.reason).toMatch(/edge/);
  });

  it('keeps the first tier when it meets the deadline', () => {
    const { plan } = slowEdgeFastOrigin();
    expect(primary(plan({ deadlineMs: 30_000 }))).toBe('edge-a');
  });

  it('falls back to the fastest tier when none meets the deadline', () => {
    const { plan } = slowEdgeFastOrigin();
    const p = plan({ deadlineMs: 100 });
    expect(primary(p)).toBe('origin');
    expect(p.reason).toMatch(/deadline/);

    // And when the fastest is the first tier, that one.
    const other = fleet([ep('edge-a', 'edge'), ep('origin', 'origin')]);
    other.byId('edge-a').ttft.observe(100, now);
    other.byId('edge-a').tpot.observe(2, now);
    expect(primary(other.plan({ deadlineMs: 100 }))).toBe('edge-a');
  });

  it('counts longer outputs against the deadline', () => {
    const { plan } = slowEdgeFastOrigin();
    // Edge: 350 ms + 20 ms/token; origin: 100 ms + 2 ms/token.
    expect(primary(plan({ deadlineMs: 3_000, outputTokens: 50 }))).toBe('edge-a');
    expect(primary(plan({ deadlineMs: 3_000, outputTokens: 500 }))).toBe('origin');
  });

  it('spills to the next tier when the edge queue wait exceeds the origin latency', () => {
    const { plan, byId } = fleet([
      ep('edge-a', 'edge', { maxConcurrency: 1 }),
      ep('origin', 'origin'),
    ]);
    const edge = byId('edge-a');
    edge.inFlight = 1;
    expect(primary(plan())).toBe('edge-a'); // one call ahead: waiting still beats nothing
    edge.queued = 3;
    const p = plan();
    expect(ids(p)).toEqual(['origin', 'edge-a']);
    expect(p.reason).toMatch(/queue/);
    const edgeCandidate = p.candidates.find((c) => c.signals === edge);
    expect(edgeCandidate?.queueWaitMs).toBeGreaterThan(0);
  });

  it('does not spill from an endpoint with unlimited concurrency', () => {
    const { plan, byId } = fleet([ep('edge-a', 'edge'), ep('origin', 'origin')]);
    byId('edge-a').inFlight = 100;
    expect(primary(plan())).toBe('edge-a');
  });

  it('orders fallbacks: same tier first, then later tiers, then earlier tiers', () => {
    const { plan, byId } = fleet([
      ep('edge-1', 'edge'),
      ep('mid-1', 'mid'),
      ep('mid-2', 'mid'),
      ep('origin-1', 'origin'),
      ep('origin-2', 'origin'),
    ]);
    byId('edge-1').ttft.observe(9_000, now); // too slow for the deadline: start at mid
    byId('origin-2').ttft.observe(1_000, now); // costlier than origin-1
    for (let seed = 0; seed < 20; seed++) {
      const order = ids(plan({ deadlineMs: 8_000 }, seeded(seed)));
      expect(order.slice(0, 2).sort()).toEqual(['mid-1', 'mid-2']);
      expect(order.slice(2)).toEqual(['origin-1', 'origin-2', 'edge-1']);
    }
  });

  it('orders fallbacks within a tier by cost', () => {
    const { plan, byId } = fleet([ep('e1', 'edge'), ep('e2', 'edge'), ep('e3', 'edge')]);
    byId('e1').ttft.observe(300, now);
    byId('e2').ttft.observe(900, now);
    byId('e3').ttft.observe(600, now);
    // random 0, then 0: P2C compares e1 with e2; e1 wins; the rest by cost.
    expect(ids(plan({}, () => 0))).toEqual(['e1', 'e3', 'e2']);
  });
});

describe('planRoute: slack (latency against cost)', () => {
  /**
   * Edge (cheap) and origin measured; the edge has one slot and `queued` calls waiting. Per call
   * of 100 prompt tokens (20 ms of prefill at the prior) and 256 output tokens: edge 100 + 20 +
   * 256 × 10 = 2,680 ms of service, origin 200 + 20 + 256 × 4 = 1,244 ms. With its slot taken and
   * q calls queued, the edge's predicted time is 2,680 × (q + 2).
   */
  function loadedEdge(queued: number) {
    const f = fleet([ep('edge-a', 'edge', { maxConcurrency: 1 }), ep('origin', 'origin')]);
    const edge = f.byId('edge-a');
    edge.ttft.observe(100, now);
    edge.tpot.observe(10, now);
    f.byId('origin').ttft.observe(200, now);
    f.byId('origin').tpot.observe(4, now);
    edge.inFlight = 1;
    edge.queued = queued;
    const predicted = (id: string, slack?: number) =>
      f.plan({ slack }).candidates.find((c) => c.signals.endpoint.id === id)?.predictedMs ?? 0;
    return { ...f, predicted };
  }

  it('1 takes the fastest tier, even when it costs more', () => {
    const { plan, predicted } = loadedEdge(0);
    expect(predicted('edge-a')).toBeCloseTo(2 * 2_680, 6);
    expect(predicted('origin')).toBeCloseTo(1_244, 6);
    const p = plan({ slack: 1 });
    expect(ids(p)).toEqual(['origin', 'edge-a']);
    expect(p.reason).toBe(
      'origin: edge predicted 5360ms > slack 1 × origin 1244ms; only candidate in tier',
    );
  });

  it('keeps a cheaper tier while it is at most slack × the fastest, and leaves it beyond', () => {
    // Edge 5,360 ms vs origin 1,244 ms: a ratio of 4.31.
    const { plan } = loadedEdge(0);
    expect(primary(plan({ slack: 4.25 }))).toBe('origin');
    const p = plan({ slack: 4.35 });
    expect(ids(p)).toEqual(['edge-a', 'origin']);
    expect(p.reason).toMatch(/^edge: edge predicted 5360ms ≤ slack 4\.35 × origin 1244ms/);
  });

  it('trades more latency for cost than the default queue-wait rule when asked', () => {
    // One call queued: edge 8,040 ms; its queue wait 5,360 ms > origin 1,244 ms, so the default
    // spills to the origin. A slack of 8 accepts 6.5× the origin's time to stay cheap.
    const { plan } = loadedEdge(1);
    expect(primary(plan())).toBe('origin');
    expect(primary(plan({ slack: 8 }))).toBe('edge-a');
    expect(primary(plan({ slack: Number.POSITIVE_INFINITY }))).toBe('edge-a');
    expect(primary(plan({ slack: 6 }))).toBe('origin');
  });

  it('keeps the cheaper tier when it is also the fastest, whatever the slack', () => {
    // An idle edge is the fastest tier: any slack keeps it, and the default rule too.
    const f = fleet([ep('edge-a', 'edge'), ep('origin', 'origin')]);
    f.byId('edge-a').ttft.observe(50, now);
    f.byId('edge-a').tpot.observe(2, now);
    for (const slack of [1, 1.5, 10, undefined]) expect(primary(f.plan({ slack }))).toBe('edge-a');
    expect(f.plan({ slack: 1 }).reason).toBe('edge: preferred tier; only candidate in tier');
  });

  it('never overrides a deadline', () => {
    // Cold edge ≈ 5.5 s; origin measured fast ≈ 0.6 s.
    const f = fleet([ep('edge-a', 'edge'), ep('origin', 'origin')]);
    f.byId('origin').ttft.observe(100, now);
    f.byId('origin').tpot.observe(2, now);
    expect(primary(f.plan({ slack: Number.POSITIVE_INFINITY }))).toBe('edge-a');
    expect(primary(f.plan({ slack: Number.POSITIVE_INFINITY, deadlineMs: 2_000 }))).toBe('origin');
  });

  it('with three tiers, takes the cheapest within slack of the fastest', () => {
    const f = fleet([ep('edge-a', 'edge'), ep('mid-a', 'mid'), ep('origin', 'origin')]);
    const set = (id: string, ttft: number) => {
      f.byId(id).ttft.observe(ttft, now);
      f.byId(id).tpot.observe(0.001, now);
    };
    set('edge-a', 3_000);
    set('mid-a', 1_500);
    set('origin', 1_000);
    expect(primary(f.plan({ slack: 1 }))).toBe('origin');
    expect(primary(f.plan({ slack: 2 }))).toBe('mid-a');
    expect(primary(f.plan({ slack: 3.1 }))).toBe('edge-a');
  });
});

describe('planRoute: purity', () => {
  it('gives the same plan for the same inputs and the same random sequence', () => {
    const build = () => {
      const f = fleet([ep('e1', 'edge'), ep('e2', 'edge'), ep('e3', 'edge'), ep('o', 'origin')]);
      f.byId('e1').ttft.observe(500, now);
      f.byId('e2').inFlight = 2;
      return f;
    };
    const a = build();
    const b = build();
    for (let seed = 0; seed < 20; seed++) {
      const pa = a.plan({ deadlineMs: 60_000 }, seeded(seed));
      const pb = b.plan({ deadlineMs: 60_000 }, seeded(seed));
      const again = a.plan({ deadlineMs: 60_000 }, seeded(seed));
      expect(ids(pb)).toEqual(ids(pa));
      expect(ids(again)).toEqual(ids(pa));
      expect(again.reason).toBe(pa.reason);
      expect(again.excluded).toEqual(pa.excluded);
      expect(again.candidates.map((c) => c.cost)).toEqual(pa.candidates.map((c) => c.cost));
    }
  });

  it('does not change the signals it reads', () => {
    const { plan, signals } = fleet([ep('e1', 'edge'), ep('e2', 'edge'), ep('o', 'origin')]);
    const snapshot = () =>
      signals.map((s) => [s.inFlight, s.queued, s.ttft.value, s.health.ejected, s.charsPerToken]);
    const before = snapshot();
    plan({ affinity: new Set(['e2']), deadlineMs: 1 });
    plan({ promptChars: 1_000_000 });
    expect(snapshot()).toEqual(before);
  });
});

describe('planRoute: tight fit', () => {
  it('tries an endpoint the prompt fits exactly when nothing fits with the margin', () => {
    const config = resolveConfig({
      probes: false,
      endpoints: [
        { id: 'edge', tier: 'edge', baseURL: 'http://e/v1', model: 'm', contextWindow: 1000 },
        { id: 'origin', tier: 'origin', baseURL: 'http://o/v1', model: 'm', contextWindow: 10_000 },
      ],
    });
    const signals = config.endpoints.map((e) => new EndpointSignals(e, config));
    const ctx = {
      endpoints: signals,
      tierCount: 2,
      contextMargin: 0.1,
      imageTokens: 800,
      now: 0,
      random: () => 0.5,
    };
    const needs = { tools: false, jsonSchema: false, vision: false };
    // 9,500 prompt tokens + 100 output: 10,550 with the margin (no fit), 9,600 without (fits).
    const input = {
      promptChars: 38_000,
      imageParts: 0,
      outputTokens: 100,
      needs,
    };
    const p = planRoute(input, ctx);
    expect(p.order.map((s) => s.endpoint.id)).toEqual(['origin']);
    expect(p.reason).toMatch(/tight fit/);
    // Too long even without the margin: nothing.
    expect(planRoute({ ...input, promptChars: 41_000 }, ctx).order).toEqual([]);
  });
});
