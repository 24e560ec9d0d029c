import { type EndpointProfile, type MockServer, startMockServer } from '@tiered/mock-server';
import { afterEach, describe, expect, it } from 'vitest';
import { createRouter, type Router, TieredError } from '../src/index.js';
import { mulberry32 } from './mulberry32.js';
import { edgeProfile, type Lab, originProfile, startLab } from './two-tier.js';

/**
 * A short chaos run (the long one is packages/bench/src/chaos-soak.ts): 400 calls, half of them
 * streams, 32 at a time, against three faulty edges (5xx, 429 storms, hangs, disconnects, stalls,
 * malformed chunks; one flapping down and up) and a healthy origin. Every call must end with a
 * complete answer or a typed error within its timeout; nothing lost, nothing sent twice.
 */

const CALLS = 400;
const CONCURRENCY = 32;
const TOTAL_MS = 4_000;

const faults = {
  errorRate: 0.05,
  errorStatus: 503,
  rateLimitRate: 0.05,
  retryAfterS: 0,
  hangRate: 0.03,
  disconnectRate: 0.04,
  stallRate: 0.04,
  stallMs: 4_000,
  malformedRate: 0.04,
};

const profiles: EndpointProfile[] = ['edge-1', 'edge-2', 'edge-3'].map((id) => ({
  id,
  model: 'edge-model',
  contextWindow: 8192,
  rttMs: 2,
  ttftMs: 10,
  decodeTokensPerSec: 2000,
  maxConcurrency: 16,
  jitter: 0.2,
}));
profiles.push({
  id: 'origin',
  model: 'origin-model',
  contextWindow: 128_000,
  rttMs: 5,
  ttftMs: 20,
  decodeTokensPerSec: 1000,
  jitter: 0.1,
});

let mock: MockServer | undefined;
let router: Router | undefined;
let lab: Lab | undefined;
const timers: ReturnType<typeof setInterval>[] = [];
afterEach(async () => {
  for (const t of timers.splice(0)) clearInterval(t);
  await router?.close();
  await mock?.close();
  await lab?.close();
  router = undefined;
  mock = undefined;
  lab = undefined;
});

describe('chaos', () => {
  it(`${CALLS} calls under every fault: complete answers or typed errors, none lost, none sent twice`, async () => {
    let unhandled = 0;
    const onUnhandled = () => unhandled++;
    process.on('unhandledRejection', onUnhandled);

    mock = await startMockServer({ seed: 11, timeScale: 0.1, endpoints: profiles });
    const m = mock;
    router = createRouter({
      endpoints: profiles.map((p) => ({
        id: p.id,
        tier: p.id === 'origin' ? 'origin' : 'edge',
        baseURL: m.endpoint(p.id).baseURL,
        model: p.model,
        contextWindow: p.contextWindow,
        maxConcurrency: p.id === 'origin' ? undefined : 12,
      })),
      probes: { intervalMs: 100, timeoutMs: 500 },
      // Wide first-token floor: a loaded CI machine must not turn the healthy origin into a fault.
      timeouts: { firstTokenFloorMs: 500, stallMs: 250, totalMs: TOTAL_MS },
      retry: { minDelayMs: 5, maxDelayMs: 50 },
      health: { cooldownMs: 100, maxCooldownMs: 1_000 },
      hedge: { delayMs: 60, maxExtraLoad: 0.05 },
      random: mulberry32(2),
    });
    const r = router;

    const starts = new Map<string, number>();
    const ended = new Map<string, number>();
    const mayMiss = new Map<string, number>();
    const bump = (map: Map<string, number>, id: string) => map.set(id, (map.get(id) ?? 0) + 1);
    r.on('attempt:start', (e) => bump(starts, e.requestId));
    r.on('attempt:end', (e) => bump(ended, e.requestId));
    r.on('attempt:error', (e) => {
      bump(ended, e.requestId);
      if (['connection', 'aborted', 'timeout'].includes(e.failure)) bump(mayMiss, e.requestId);
    });

    // Warm up without faults (JIT, first connections), then turn every fault on.
    await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        r.chat.completions.create({ messages: [{ role: 'user', content: `warm ${i}` }] }),
      ),
    );
    for (const id of ['edge-1', 'edge-2', 'edge-3']) await m.endpoint(id).control({ faults });
    let down = false;
    timers.push(
      setInterval(() => {
        down = !down;
        m.endpoint('edge-3')
          .control({ down })
          .catch(() => {});
      }, 120),
    );
    let storm = false;
    timers.push(
      setInterval(() => {
        storm = !storm;
        m.endpoint('edge-2')
          .control({ faults: { rateLimitRate: storm ? 0.8 : 0.05 } })
          .catch(() => {});
      }, 300),
    );

    const random = mulberry32(3);
    const errors: Record<string, number> = {};
    const wrong: string[] = [];
    const untyped: unknown[] = [];
    let answered = 0;
    let late = 0;
    let begun = 0;
    let settled = 0;
    let next = 0;
    const one = async (i: number) => {
      const stream = random() < 0.5;
      const body = {
        messages: [{ role: 'user' as const, content: `chaos ${i} ${'lorem '.repeat(i % 16)}` }],
        max_tokens: 4 + Math.floor(random() * 16),
      };
      begun++;
      const t0 = performance.now();
      try {
        if (stream) {
          const s = await r.chat.completions.create({ ...body, stream: true });
          let text = '';
          let finish: string | null | undefined;
          for await (const chunk of s) {
            const choice = chunk.choices[0];
            text += choice?.delta?.content ?? '';
            if (choice) finish = choice.finish_reason;
          }
          if (!finish || !text.startsWith(`${s.endpointId}:`)) wrong.push(`stream ${s.requestId}`);
        } else {
          const c = await r.chat.completions.create(body);
          const content = c.choices[0]?.message?.content ?? '';
          if (!c.choices[0]?.finish_reason || !/^(edge-\d|origin):/.test(content)) {
            wrong.push(`completion ${c.id}`);
          }
        }
        answered++;
      } catch (error) {
        if (TieredError.isInstance(error)) errors[error.code] = (errors[error.code] ?? 0) + 1;
        else untyped.push(error);
      } finally {
        if (performance.now() - t0 > TOTAL_MS + 2_000) late++;
        settled++;
      }
    };
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < CALLS) await one(next++);
      }),
    );
    for (const t of timers.splice(0)) clearInterval(t);
    await r.close();
    await m.close(); // stats are final once every request has settled
    process.off('unhandledRejection', onUnhandled);

    const received = new Map<string, number>();
    for (const e of m.endpoints) {
      for (const [id, n] of Object.entries(e.stats().byRequestId)) {
        received.set(id, (received.get(id) ?? 0) + n);
      }
    }
    let duplicates = 0;
    let unaccounted = 0;
    for (const id of new Set([...starts.keys(), ...received.keys()])) {
      const s = starts.get(id) ?? 0;
      const got = received.get(id) ?? 0;
      if (got > s) duplicates += got - s;
      // An attempt may miss the mock only when it was refused/cut, aborted or timed out — or queued
      // and never sent (such attempts have no attempt:end/error, see the event-accounting test).
      const orphans = Math.max(0, s - (ended.get(id) ?? 0));
      if (s - got > (mayMiss.get(id) ?? 0) + orphans) unaccounted += s - got;
    }

    expect(untyped).toEqual([]);
    expect(begun).toBe(CALLS);
    expect(settled).toBe(CALLS); // none lost
    expect(answered + Object.values(errors).reduce((a, b) => a + b, 0)).toBe(CALLS);
    expect(wrong).toEqual([]);
    expect(late).toBe(0);
    expect(duplicates).toBe(0);
    expect(unaccounted).toBe(0);
    expect(unhandled).toBe(0);
    // The faults did fire, and most calls were still answered.
    const injected = m.endpoints.reduce(
      (n, e) => n + Object.values(e.stats().faults).reduce((a, b) => a + b, 0),
      0,
    );
    expect(injected).toBeGreaterThan(50);
    expect(answered).toBeGreaterThan(CALLS * 0.8);
    // Only the codes a caller should expect under upstream faults.
    for (const code of Object.keys(errors)) {
      expect(['stream_interrupted', 'all_attempts_failed', 'timeout']).toContain(code);
    }
  });
});

describe('event accounting', () => {
  // Bug: trackedAttempt (src/dispatch/tracked-attempt.ts, the catch around slots.acquire) emits
  // `attempt:start` before waiting for a slot; when the call is aborted while queued, the attempt
  // is recorded but neither `attempt:end` nor `attempt:error` is emitted. The same happens to a
  // hedge lane that loses while queued, and to a stream the caller aborts (onSettle skips
  // recordFailure when `call.abortError()` is set). A listener pairing starts with ends leaks.
  it('every attempt:start is followed by attempt:end or attempt:error (abort while queued)', async () => {
    lab = await startLab(
      [edgeProfile('edge-1', { ttftMs: 200 }), originProfile()],
      { timeouts: { firstTokenFloorMs: 5_000 } },
      (id) => (id === 'edge-1' ? { maxConcurrency: 1 } : {}),
    );
    const l = lab;
    const first = l.router.chat.completions.create(
      { messages: [{ role: 'user', content: 'a' }], max_tokens: 2 },
      { route: { endpoint: 'edge-1' } },
    );
    await new Promise((res) => setTimeout(res, 20));
    const controller = new AbortController();
    const queued = l.router.chat.completions
      .create(
        { messages: [{ role: 'user', content: 'b' }], max_tokens: 2 },
        { route: { endpoint: 'edge-1' }, signal: controller.signal },
      )
      .catch((e) => e);
    await new Promise((res) => setTimeout(res, 20));
    controller.abort();
    await queued;
    await first;
    const starts = l.events.filter(([n]) => n === 'attempt:start').length;
    const ends = l.events.filter(([n]) => n === 'attempt:end' || n === 'attempt:error').length;
    expect(ends).toBe(starts);
  });
});
