import { type EndpointProfile, type MockServer, startMockServer } from '@tiered/mock-server';
import { afterEach, describe, expect, it } from 'vitest';
import {
  BudgetExceededError,
  ConfigError,
  createRouter,
  memoryStore,
  type Router,
  type RouterOptions,
  type StateStore,
  StoreUnavailableError,
} from '../src/index.js';
import { redisStore } from '../src/redis.js';
import { STATE_STORE_OPERATIONS } from '../src/store/state-store.js';
import { edgeProfile, labOptions, originProfile, recordEvents } from './two-tier.js';

// Several routers in one process sharing a memoryStore behave as a fleet of processes sharing
// Redis would: the fleet logic is tested here, fast and without a server. (The same across real
// processes on Redis: fleet-processes.test.ts.)

interface Fleet {
  readonly mock: MockServer;
  readonly store: StateStore;
  readonly routers: Router[];
  readonly events: Array<ReturnType<typeof recordEvents>>;
  close(): Promise<void>;
}

let fleet: Fleet | undefined;
afterEach(async () => {
  await fleet?.close();
  fleet = undefined;
});

async function startFleet(
  n: number,
  profiles: EndpointProfile[],
  options: Partial<RouterOptions> = {},
  store: StateStore | undefined = memoryStore({ leaseMs: 1_000, syncIntervalMs: 20 }),
  endpoint: (id: string) => Partial<RouterOptions['endpoints'][number]> = () => ({}),
): Promise<Fleet> {
  const mock = await startMockServer({ seed: 7, timeScale: 1, endpoints: profiles });
  const routers: Router[] = [];
  // Nothing here tests timeouts: a loaded machine's slow answer must not turn into a retry.
  const timeouts = { firstTokenFloorMs: 5_000, stallMs: 5_000, totalMs: 20_000 };
  for (let i = 0; i < n; i++) {
    routers.push(
      createRouter({
        ...labOptions(mock, profiles, { timeouts, ...options }, endpoint),
        ...(store ? { store } : {}),
      }),
    );
  }
  const events = routers.map(recordEvents);
  fleet = {
    mock,
    store: store as StateStore,
    routers,
    events,
    async close() {
      await Promise.all(routers.map((r) => r.close()));
      await mock.close();
    },
  };
  return fleet;
}

const ask = (content: string, max_tokens = 8) => ({
  messages: [{ role: 'user' as const, content }],
  max_tokens,
});

const names = (events: ReturnType<typeof recordEvents>, name: string) =>
  events.filter(([n]) => n === name).map(([, p]) => p);

const until = async (check: () => boolean, timeoutMs = 3_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
};

/** A store that can fail (`down`: every operation rejects) or hang (never answers). */
function flaky(inner: StateStore): StateStore & { down: boolean; hang: boolean } {
  const wrapper = {
    down: false,
    hang: false,
    kind: inner.kind,
    namespace: inner.namespace,
    settings: inner.settings,
    attach: () => inner.attach(),
    detach: () => inner.detach(),
  } as StateStore & { down: boolean; hang: boolean };

  for (const m of STATE_STORE_OPERATIONS) {
    (wrapper as unknown as Record<string, unknown>)[m] = (...args: unknown[]) => {
      if (wrapper.hang) return new Promise(() => {});
      if (wrapper.down) return Promise.reject(new Error('ECONNREFUSED (test)'));
      return (inner[m] as (...a: unknown[]) => Promise<unknown>)(...args);
    };
  }
  return wrapper;
}

/**
 * A store whose next `times` calls of `method` are carried out at once but answered `ms` late (a
 * reply slower than the router's timeout: the operation happened, the router gave up on it) — or,
 * with `lost`, never carried out nor answered (a request lost on the way).
 */
function lateAnswers(
  inner: StateStore,
  method: keyof StateStore,
  ms: number,
  times = 1,
  lost = false,
): StateStore {
  let left = times;
  return new Proxy(inner, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      if (prop !== method) return value.bind(target);
      return (...args: unknown[]) => {
        if (left > 0 && lost) {
          left--;
          return new Promise(() => {});
        }
        const done = (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        if (left <= 0) return done;
        left--;
        return done.then((v) => new Promise((r) => setTimeout(() => r(v), ms)));
      };
    },
  });
}

describe('fleet: slots', () => {
  it("two routers together never exceed an endpoint's maxConcurrency", async () => {
    const profiles = [edgeProfile('edge-1', { ttftMs: 20, maxConcurrency: 100 })];
    const f = await startFleet(2, profiles, {}, undefined, () => ({ maxConcurrency: 2 }));
    const calls = f.routers.flatMap((r) =>
      Array.from({ length: 8 }, (_, i) => r.chat.completions.create(ask(`call ${i}`))),
    );
    const results = await Promise.allSettled(calls);
    expect(results.every((r) => r.status === 'fulfilled')).toBe(true);
    const stats = f.mock.endpoint('edge-1').stats();
    expect(stats.maxInFlight).toBe(2);
    expect(stats.received).toBe(16);
    expect(Object.values(stats.byRequestId).every((n) => n === 1)).toBe(true);
  });

  it('without a store each router has the limit to itself (the control)', async () => {
    const profiles = [edgeProfile('edge-1', { ttftMs: 20, maxConcurrency: 100 })];
    const f = await startFleet(2, profiles, {}, null as unknown as undefined, () => ({
      maxConcurrency: 2,
    }));
    await Promise.all(
      f.routers.flatMap((r) =>
        Array.from({ length: 8 }, (_, i) => r.chat.completions.create(ask(`call ${i}`))),
      ),
    );
    expect(f.mock.endpoint('edge-1').stats().maxInFlight).toBe(4);
  });

  it('a slot acquire answered after the timeout does not leave the call waiting for its own lease', async () => {
    const profiles = [edgeProfile('edge-1', { maxConcurrency: 100 })];
    const inner = memoryStore({ leaseMs: 5_000, syncIntervalMs: 20, timeoutMs: 50 });
    const f = await startFleet(1, profiles, {}, lateAnswers(inner, 'acquire', 150), () => ({
      maxConcurrency: 1,
    }));
    await new Promise((r) => setTimeout(r, 100)); // the store answered: 50 ms bounds now apply
    const started = performance.now();
    await f.routers[0]?.chat.completions.create(ask('one call'));
    // The store granted the slot to the call's token; asking again with that token is that slot
    // (not a full endpoint to wait out for the 5 s lease).
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(f.routers[0]?.stats().store?.degraded).toBe(false);
  });

  it('a call waiting for a fleet slot can be aborted, and frees nothing it did not hold', async () => {
    const profiles = [edgeProfile('edge-1', { ttftMs: 150, maxConcurrency: 100 })];
    const f = await startFleet(2, profiles, {}, undefined, () => ({ maxConcurrency: 1 }));
    const [a, b] = f.routers as [Router, Router];
    const first = a.chat.completions.create(ask('holds the slot'));
    await until(() => f.mock.endpoint('edge-1').stats().inFlight === 1);
    const controller = new AbortController();
    const waiting = b.chat.completions.create(ask('waits'), { signal: controller.signal });
    setTimeout(() => controller.abort(), 30);
    await expect(waiting).rejects.toMatchObject({ code: 'aborted' });
    await first;
    await b.chat.completions.create(ask('after'));
    expect(f.mock.endpoint('edge-1').stats().received).toBe(2);
    expect(f.mock.endpoint('edge-1').stats().maxInFlight).toBe(1);
  });
});

describe('fleet: health', () => {
  it('an ejection by one router ejects the endpoint in the others, which stop sending to it', async () => {
    const profiles = [edgeProfile('edge-1'), originProfile()];
    const f = await startFleet(2, profiles, {
      health: { ejectAfterFailures: 2, cooldownMs: 5_000 },
    });
    const [a, b] = f.routers as [Router, Router];
    await f.mock.endpoint('edge-1').control({ faults: { errorRate: 1, errorStatus: 503 } });
    for (let i = 0; i < 2; i++) await a.chat.completions.create(ask(`a ${i}`));
    expect(names(f.events[0] ?? [], 'endpoint:eject')).toHaveLength(1);
    await until(() => names(f.events[1] ?? [], 'endpoint:eject').length === 1);
    const ejected = names(f.events[1] ?? [], 'endpoint:eject')[0] as Record<string, unknown>;
    expect(ejected.endpointId).toBe('edge-1');
    expect(String(ejected.reason)).toContain('another router');
    const before = f.mock.endpoint('edge-1').stats().received;
    for (let i = 0; i < 5; i++) await b.chat.completions.create(ask(`b ${i}`));
    expect(f.mock.endpoint('edge-1').stats().received).toBe(before);
    expect(b.stats().endpoints.find((e) => e.id === 'edge-1')?.ejected).toBe(true);
  });

  it('after the cool-down one router sends the half-open trial, fleet-wide', async () => {
    const profiles = [edgeProfile('edge-1'), originProfile()];
    const f = await startFleet(3, profiles, { health: { ejectAfterFailures: 1, cooldownMs: 150 } });
    await f.mock.endpoint('edge-1').control({ faults: { errorRate: 1, errorStatus: 503 } });
    await (f.routers[0] as Router).chat.completions.create(ask('ejects'));
    await until(() => f.events.every((e) => names(e, 'endpoint:eject').length === 1));
    await new Promise((r) => setTimeout(r, 200)); // cool-down over: half-open everywhere
    const before = f.mock.endpoint('edge-1').stats().received;
    await Promise.all(
      f.routers.flatMap((r) =>
        Array.from({ length: 3 }, (_, i) => r.chat.completions.create(ask(`half-open ${i}`))),
      ),
    );
    // Nine calls, three routers: one trial reached the failing edge; the rest went to the origin.
    expect(f.mock.endpoint('edge-1').stats().received - before).toBe(1);
    expect(f.mock.endpoint('origin').stats().completed).toBeGreaterThanOrEqual(9);
  });

  it("a successful trial restores the endpoint in every router ('fleet')", async () => {
    const profiles = [edgeProfile('edge-1'), originProfile()];
    const f = await startFleet(2, profiles, { health: { ejectAfterFailures: 1, cooldownMs: 100 } });
    const [a, b] = f.routers as [Router, Router];
    await f.mock.endpoint('edge-1').control({ faults: { errorRate: 1, errorStatus: 503 } });
    await a.chat.completions.create(ask('ejects'));
    await until(() => names(f.events[1] ?? [], 'endpoint:eject').length === 1);
    await f.mock.endpoint('edge-1').control({ faults: { errorRate: 0 } });
    await new Promise((r) => setTimeout(r, 150));
    await a.chat.completions.create(ask('trial'));
    expect(names(f.events[0] ?? [], 'endpoint:restore')).toMatchObject([{ via: 'call' }]);
    await until(() => names(f.events[1] ?? [], 'endpoint:restore').length === 1);
    expect(names(f.events[1] ?? [], 'endpoint:restore')).toMatchObject([
      { endpointId: 'edge-1', via: 'fleet' },
    ]);
    expect(b.stats().endpoints.find((e) => e.id === 'edge-1')?.ejected).toBe(false);
  });

  it('a failed trial re-ejects for longer, also in a router that learned of the ejection from the fleet', async () => {
    const profiles = [edgeProfile('edge-1'), originProfile()];
    // A trial claim lasts 600 ms (2 × the first-token floor); cool-downs: 500 ms, then 1 s.
    const f = await startFleet(2, profiles, {
      health: { ejectAfterFailures: 2, cooldownMs: 500 },
      retry: { retries: 0 },
    });
    const [a, b] = f.routers as [Router, Router];
    const edge = f.mock.endpoint('edge-1');
    await edge.control({ faults: { errorRate: 1, errorStatus: 503 } });
    for (let i = 0; i < 2; i++) await a.chat.completions.create(ask(`a ${i}`));
    await until(() => names(f.events[1] ?? [], 'endpoint:eject').length === 1);
    await new Promise((r) => setTimeout(r, 550)); // cool-down over
    const before = edge.stats().received;
    await b.chat.completions.create(ask('trial')); // b's trial fails: ejected again, for 1 s
    expect(edge.stats().received - before).toBe(1);
    await new Promise((r) => setTimeout(r, 800)); // past the trial claim, within the new cool-down
    for (const r of [a, b, a, b]) await r.chat.completions.create(ask('still ejected'));
    expect(edge.stats().received - before).toBe(1);
  });

  it('a hedge to an endpoint whose trial another router holds leaves the primary running', async () => {
    const profiles = [edgeProfile('edge-1', { ttftMs: 2 }), edgeProfile('edge-2')];
    const f = await startFleet(2, profiles, {
      health: { ejectAfterFailures: 1, cooldownMs: 100 },
      timeouts: { firstTokenFloorMs: 2_000, stallMs: 2_000, totalMs: 10_000 },
      retry: { retries: 0 },
      // edge-2 unmeasured looks slow: edge-1 (measured) comes first, edge-2 is the hedge target.
      priors: { ttftMs: 500, rttMs: 1, timePerOutputTokenMs: 1 },
    });
    const [a, b] = f.routers as [Router, Router];
    // b learns edge-1 is fast; edge-2 gets ejected by a, and b hears of it.
    await b.chat.completions.create(ask('warm'), { route: { endpoint: 'edge-1' } });
    await f.mock.endpoint('edge-2').control({ faults: { errorRate: 1, errorStatus: 503 } });
    await a.chat.completions
      .create(ask('ejects'), { route: { endpoint: 'edge-2' } })
      .catch(() => {});
    await until(() => names(f.events[1] ?? [], 'endpoint:eject').length === 1);
    await new Promise((r) => setTimeout(r, 150)); // half-open everywhere
    // a's trial is under way (slow), holding the fleet's trial claim.
    await f.mock.endpoint('edge-2').control({ faults: { errorRate: 0 }, ttftMs: 600 });
    const trial = a.chat.completions.create(ask('trial'), { route: { endpoint: 'edge-2' } });
    await until(() => f.mock.endpoint('edge-2').stats().inFlight === 1);
    // b's call: edge-1 (now slow) first, a hedge to edge-2 after 20 ms — whose trial is a's.
    await f.mock.endpoint('edge-1').control({ ttftMs: 150 });
    const before = f.mock.endpoint('edge-1').stats().received;
    const served: string[] = [];
    b.on('request:end', (e) => served.push(e.endpointId));
    await b.chat.completions.create(ask('hedged'), {
      route: { tier: 'edge', hedge: { delayMs: 20 } },
    });
    expect(names(f.events[1] ?? [], 'hedge:start')).toHaveLength(1);
    // The primary was not aborted for it: served by edge-1, sent there once.
    expect(served).toEqual(['edge-1']);
    expect(f.mock.endpoint('edge-1').stats().received - before).toBe(1);
    await trial;
  });

  it("a 429's Retry-After holds the endpoint back in every router", async () => {
    const profiles = [edgeProfile('edge-1'), originProfile()];
    const f = await startFleet(2, profiles);
    const [a, b] = f.routers as [Router, Router];
    await f.mock.endpoint('edge-1').control({ faults: { rateLimitRate: 1, retryAfterS: 5 } });
    await a.chat.completions.create(ask('meets the 429'));
    await f.mock.endpoint('edge-1').control({ faults: { rateLimitRate: 0 } });
    await new Promise((r) => setTimeout(r, 30));
    const before = f.mock.endpoint('edge-1').stats().received;
    for (let i = 0; i < 4; i++) await b.chat.completions.create(ask(`b ${i}`));
    expect(f.mock.endpoint('edge-1').stats().received).toBe(before);
  });
});

describe('fleet: budgets', () => {
  it('a session id used by two routers has one budget, never overspent', async () => {
    const profiles = [edgeProfile('edge-1'), originProfile()];
    const f = await startFleet(2, profiles, {}, undefined, (id) => ({
      price:
        id === 'origin'
          ? { inputPerMTok: 0, outputPerMTok: 0 }
          : { inputPerMTok: 1_000, outputPerMTok: 1_000 },
      ...(id === 'origin' ? { contextWindow: 100 } : {}),
    }));
    const budgetUsd = 0.5;
    const sessions = f.routers.map((r) => r.session({ id: 'shared', budgetUsd }));
    const spent: number[] = [];
    for (const r of f.routers) r.on('request:end', (e) => spent.push(e.costUsd));
    const refused: unknown[] = [];
    await Promise.all(
      sessions.map(async (s) => {
        for (let i = 0; i < 60; i++) {
          try {
            await s.chat.completions.create({ ...ask(`step ${i}`, 16), model: 'edge' });
          } catch (error) {
            refused.push(error);
            return;
          }
        }
      }),
    );
    const total = spent.reduce((a, b) => a + b, 0);
    expect(refused).toHaveLength(2);
    expect(refused.every((e) => e instanceof BudgetExceededError)).toBe(true);
    expect(total).toBeLessThanOrEqual(budgetUsd);
    expect(total).toBeGreaterThan(budgetUsd * 0.8); // they shared it, and used it
    // The store's books hold every call of both routers (each session sees them as of its own
    // last answer from the store).
    const books = await f.store.reserve(`${f.store.namespace}:session:shared`, 'x', 0, 1, 1, 1);
    expect(books.spentUsd).toBeCloseTo(total, 12);
  });

  it('the retry budget of a failing tier is shared: the floor is the fleet\u2019s, not per router', async () => {
    const profiles = [edgeProfile('edge-1'), edgeProfile('edge-2')];
    const f = await startFleet(2, profiles, {
      retry: { budgetRatio: 0, budgetMinPerSec: 0.2, budgetWindowMs: 10_000, retries: 0 },
      health: { ejectAfterFailures: 100, ejectErrorRate: 1, minSamples: 1000 },
    });
    for (const id of ['edge-1', 'edge-2']) {
      await f.mock.endpoint(id).control({ faults: { errorRate: 1, errorStatus: 503 } });
    }
    for (let i = 0; i < 4; i++) {
      for (const r of f.routers) await r.chat.completions.create(ask(`${i}`)).catch(() => {});
    }
    // Floor: 0.2/s × 10 s = 2 retries for the whole fleet. Each call tries one endpoint, then
    // the other only if the budget allows.
    const received =
      f.mock.endpoint('edge-1').stats().received + f.mock.endpoint('edge-2').stats().received;
    expect(received).toBe(8 + 2);
  });
});

describe('fleet: affinity', () => {
  it('a session served by one router is served on the same endpoint by another', async () => {
    const profiles = [edgeProfile('edge-1'), edgeProfile('edge-2'), edgeProfile('edge-3')];
    const f = await startFleet(2, profiles);
    const [a, b] = f.routers as [Router, Router];
    const targets = ['edge-1', 'edge-2', 'edge-3', 'edge-2', 'edge-1', 'edge-3'];
    for (const [i, target] of targets.entries()) {
      await a
        .session({ id: `s${i}` })
        .chat.completions.create(ask('first'), { route: { endpoint: target } });
    }
    const served: string[] = [];
    b.on('request:end', (e) => served.push(e.endpointId));
    for (const i of targets.keys()) {
      await b.session({ id: `s${i}` }).chat.completions.create(ask('next'));
    }
    expect(served).toEqual(targets);
  });
});

describe('fleet: probes', () => {
  it('one router probes each endpoint for the fleet', async () => {
    const profiles = [edgeProfile('edge-1')];
    const f = await startFleet(3, profiles, { probes: { intervalMs: 40, timeoutMs: 500 } });
    await new Promise((r) => setTimeout(r, 400));
    const probes = f.mock.endpoint('edge-1').stats().probes;
    const probers = f.events.filter((e) => names(e, 'probe:end').length > 0).length;
    expect(probers).toBe(1);
    // ~10 rounds in 400 ms by one router, not ~30 by three.
    expect(probes).toBeLessThanOrEqual(14);
    expect(probes).toBeGreaterThanOrEqual(4);
    // The others, which never probed, know its RTT from the synced signals.
    const idle = f.routers.filter((_, i) => names(f.events[i] ?? [], 'probe:end').length === 0);
    expect(idle).toHaveLength(2);
    await until(() => idle.every((r) => r.stats().endpoints[0]?.signals.rttMs !== undefined));
  });
  it('no probe goes out once the router closed, even if the fleet said yes after', async () => {
    const profiles = [edgeProfile('edge-1')];
    const inner = memoryStore({ leaseMs: 1_000, syncIntervalMs: 20, timeoutMs: 1_000 });
    // The prober claim is answered 150 ms late: the router closes meanwhile.
    let claims = 0;
    const store = new Proxy(inner, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver);
        if (typeof value !== 'function') return value;
        if (prop !== 'claim') return value.bind(target);
        return async (...args: Parameters<StateStore['claim']>) => {
          claims++;
          const mine = await target.claim(...args);
          await new Promise((r) => setTimeout(r, 150));
          return mine;
        };
      },
    });
    const f = await startFleet(1, profiles, { probes: { intervalMs: 40, timeoutMs: 500 } }, store);
    await until(() => claims > 0);
    const before = f.mock.endpoint('edge-1').stats().probes;
    await (f.routers[0] as Router).close();
    await new Promise((r) => setTimeout(r, 300));
    expect(f.mock.endpoint('edge-1').stats().probes).toBe(before);
  });
});

describe('fleet: a store that fails', () => {
  it('calls go on with local fair shares, then state is shared again', async () => {
    const profiles = [edgeProfile('edge-1', { ttftMs: 30, maxConcurrency: 100 }), originProfile()];
    const store = flaky(memoryStore({ leaseMs: 1_000, syncIntervalMs: 20, timeoutMs: 50 }));
    const f = await startFleet(2, profiles, {}, store, (id) => ({
      ...(id === 'edge-1' ? { maxConcurrency: 4 } : {}),
    }));
    await until(() => f.routers.every((r) => r.stats().store?.members === 2));
    store.down = true;
    const calls = f.routers.flatMap((r) =>
      Array.from({ length: 10 }, (_, i) =>
        r.chat.completions.create(ask(`down ${i}`), { route: { tier: 'edge' } }),
      ),
    );
    const results = await Promise.allSettled(calls);
    expect(results.every((r) => r.status === 'fulfilled')).toBe(true);
    for (const e of f.events) expect(names(e, 'store:degraded')).toHaveLength(1);
    // Each router took its fair share of the 4 slots: 2.
    expect(f.mock.endpoint('edge-1').stats().maxInFlight).toBeLessThanOrEqual(4);
    expect(f.routers.every((r) => r.stats().store?.degraded)).toBe(true);

    store.down = false;
    await until(() => f.events.every((e) => names(e, 'store:restored').length === 1));
    expect(f.routers.every((r) => !r.stats().store?.degraded)).toBe(true);
  });

  it.each([
    ['answered late (it happened)', false],
    ['lost (it did not)', true],
  ])('a session spend whose booking was %s is booked exactly once', async (_name, lost) => {
    const profiles = [edgeProfile('edge-1')];
    const inner = memoryStore({ leaseMs: 1_000, syncIntervalMs: 20, timeoutMs: 50 });
    const store = lateAnswers(inner, 'settle', 150, 1, lost);
    const f = await startFleet(1, profiles, {}, store, () => ({
      price: { inputPerMTok: 1_000, outputPerMTok: 1_000 },
    }));
    const router = f.routers[0] as Router;
    await new Promise((r) => setTimeout(r, 100)); // the store answered: 50 ms bounds now apply
    await router.session({ id: 'once', budgetUsd: 10 }).chat.completions.create(ask('paid'));
    const cost = names(f.events[0] ?? [], 'request:end')[0]?.costUsd as number;
    expect(cost).toBeGreaterThan(0);
    const books = () =>
      inner.reserve(`${inner.namespace}:session:once`, 'peek', 0, 10, 1_000, 60_000);
    // Booked while the router runs (not only when it closes), and once.
    await new Promise((r) => setTimeout(r, 300));
    expect((await books()).spentUsd).toBeCloseTo(cost, 12);
    expect(router.stats().store?.degraded).toBe(false);
    await router.close();
    expect((await books()).spentUsd).toBeCloseTo(cost, 12);
  });

  it('a budget is never spent blind: refused while the store is down, books replayed after', async () => {
    const profiles = [edgeProfile('edge-1', { ttftMs: 80 })];
    const store = flaky(memoryStore({ leaseMs: 1_000, syncIntervalMs: 20, timeoutMs: 50 }));
    const f = await startFleet(2, profiles, {}, store, () => ({
      price: { inputPerMTok: 1_000, outputPerMTok: 1_000 },
    }));
    const [a, b] = f.routers as [Router, Router];
    const sa = a.session({ id: 'money', budgetUsd: 1 });
    const sb = b.session({ id: 'money', budgetUsd: 1 });
    // In flight when the store goes away: it finishes, and its cost is booked later.
    const inFlight = sa.chat.completions.create(ask('under way'));
    await until(() => f.mock.endpoint('edge-1').stats().inFlight === 1);
    store.down = true;
    await inFlight;
    const refused = await sb.chat.completions.create(ask('blind')).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(StoreUnavailableError);
    expect(refused).toMatchObject({ code: 'store_unavailable', sessionId: 'money' });
    expect(f.mock.endpoint('edge-1').stats().received).toBe(1); // nothing sent for it
    // Calls without a budget flow.
    await b.chat.completions.create(ask('free'));

    store.down = false;
    await until(() => f.events.every((e) => names(e, 'store:restored').length === 1));
    await sb.chat.completions.create(ask('after'));
    const spent = names(f.events[0] ?? [], 'request:end')[0]?.costUsd as number;
    const after = names(f.events[1] ?? [], 'request:end').at(-1)?.costUsd as number;
    expect(spent).toBeGreaterThan(0);
    expect(sb.stats().fleetCostUsd).toBeCloseTo(spent + after, 12);
  });

  it('a local slot given back while the store is being caught up is not left leased there', async () => {
    const profiles = [edgeProfile('edge-1', { maxConcurrency: 100 })];
    const inner = memoryStore({ leaseMs: 5_000, syncIntervalMs: 20, timeoutMs: 1_000 });
    // The renew that re-registers this router's leases on restore is carried out at once, and
    // answered when the test says.
    let answerRenew: (() => void) | undefined;
    let renewing = false;
    const store = flaky(
      new Proxy(inner, {
        get(target, prop, receiver) {
          const value = Reflect.get(target, prop, receiver);
          if (typeof value !== 'function') return value;
          if (prop !== 'renew') return value.bind(target);
          return async (...args: Parameters<StateStore['renew']>) => {
            const missing = await target.renew(...args);
            if (args[2]) {
              renewing = true;
              await new Promise<void>((r) => {
                answerRenew = r;
              });
            }
            return missing;
          };
        },
      }),
    );
    const f = await startFleet(1, profiles, {}, store, () => ({ maxConcurrency: 2 }));
    const router = f.routers[0] as Router;
    await new Promise((r) => setTimeout(r, 50));
    store.down = true;
    await until(() => router.stats().store?.degraded === true);
    // A streamed call on the local fair share: its slot is held until the stream ends.
    const stream = await router.chat.completions.create({ ...ask('held'), stream: true });
    store.down = false;
    await until(() => renewing);
    for await (const _ of stream) {
      // to the end: the slot is given back while the restore is under way
    }
    answerRenew?.();
    await until(() => router.stats().store?.degraded === false);
    // Both of the endpoint's slots are free in the store.
    const taken = await inner.acquire(`${inner.namespace}:slots:edge-1`, 2, ['x', 'y'], 1_000);
    expect(taken).toBe(2);
  });

  it('a call still waiting for the local share when the store returns takes its slot from the store', async () => {
    const profiles = [edgeProfile('edge-1', { maxConcurrency: 100 })];
    const inner = memoryStore({ leaseMs: 5_000, syncIntervalMs: 20, timeoutMs: 200 });
    const store = flaky(inner);
    const f = await startFleet(2, profiles, {}, store, () => ({ maxConcurrency: 2 }));
    const router = f.routers[0] as Router;
    const edge = f.mock.endpoint('edge-1');
    await until(() => f.routers.every((r) => r.stats().store?.members === 2));
    store.down = true;
    await until(() => router.stats().store?.degraded === true);
    // Degraded: this router's fair share (1 of 2) held by a stream; a second call waits for it.
    const stream = await router.chat.completions.create({ ...ask('held'), stream: true });
    await edge.control({ ttftMs: 250 });
    const waiting = router.chat.completions.create(ask('waits'));
    await new Promise((r) => setTimeout(r, 30));
    store.down = false;
    await until(() => f.routers.every((r) => r.stats().store?.degraded === false));
    for await (const _ of stream) {
      // to the end: its slot goes to the waiting call
    }
    await until(() => edge.stats().inFlight === 1); // the waiting call is under way
    // The store counts it: the other router (process) can take one slot, not two.
    const key = `${inner.namespace}:slots:edge-1`;
    expect(await inner.acquire(key, 2, ['other-1', 'other-2'], 5_000)).toBe(1);
    await inner.release(key, 'other-1', 2);
    await waiting;
  });

  it("the fleet's load as last seen is dropped while degraded (it would steer calls away)", async () => {
    const profiles = [edgeProfile('edge-1', { maxConcurrency: 100 })];
    const store = flaky(memoryStore({ leaseMs: 1_000, syncIntervalMs: 20, timeoutMs: 200 }));
    const f = await startFleet(2, profiles, {}, store, () => ({ maxConcurrency: 8 }));
    const [a, b] = f.routers as [Router, Router];
    const pending = () => a.stats().endpoints.find((e) => e.id === 'edge-1');
    // b holds 4 streams open: a counts them in the endpoint's load (the policy's `pending`).
    const streams = await Promise.all(
      [0, 1, 2, 3].map((i) => b.chat.completions.create({ ...ask(`held ${i}`), stream: true })),
    );
    await until(() => pending()?.fleetPending === 4);
    // The store goes away, and so does b's load: a hears of neither, and must not keep the
    // last count for the whole outage.
    store.down = true;
    await until(() => f.routers.every((r) => r.stats().store?.degraded === true));
    for (const stream of streams) {
      for await (const _ of stream) {
        // to the end
      }
    }
    expect(pending()?.fleetPending ?? 0).toBe(0);
    store.down = false;
    await until(() => f.routers.every((r) => r.stats().store?.degraded === false));
    await until(() => pending()?.fleetPending === 0);
  });

  it('a store that hangs delays no call past its timeout', async () => {
    const profiles = [edgeProfile('edge-1', { maxConcurrency: 100 })];
    const store = flaky(memoryStore({ leaseMs: 1_000, syncIntervalMs: 20, timeoutMs: 40 }));
    const f = await startFleet(1, profiles, {}, store, () => ({ maxConcurrency: 2 }));
    await until(() => f.routers[0]?.stats().store?.members === 1);
    store.hang = true;
    const started = performance.now();
    const results = await Promise.allSettled(
      Array.from({ length: 6 }, (_, i) => f.routers[0]?.chat.completions.create(ask(`${i}`))),
    );
    expect(results.every((r) => r.status === 'fulfilled')).toBe(true);
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(names(f.events[0] ?? [], 'store:degraded')).toHaveLength(1);
  });
});

describe('store options', () => {
  it('refuses what is not a store, naming `store`', () => {
    const endpoints = [
      { id: 'e', tier: 'edge', baseURL: 'http://127.0.0.1:1/v1', model: 'm', contextWindow: 10 },
    ];
    expect(() => createRouter({ endpoints, store: {} as StateStore })).toThrow(ConfigError);
    expect(() => createRouter({ endpoints, store: {} as StateStore })).toThrow(/`store`/);
  });

  it.each([
    [{}, 'redisStore.url'],
    [{ url: 'redis://a', client: {} }, 'redisStore.client'],
    [{ url: 'http://127.0.0.1:6379' }, 'redisStore.url'],
    [{ url: 'redis://a', leaseMs: 0 }, 'redisStore.leaseMs'],
    [{ url: 'redis://a', namespace: 'has space' }, 'redisStore.namespace'],
    [{ url: 'redis://a', lease: 5 }, 'redisStore.lease'],
  ])('redisStore(%j) throws a ConfigError naming %s', (options, field) => {
    expect(() => redisStore(options as never)).toThrow(
      expect.objectContaining({ name: 'ConfigError', field }),
    );
  });

  it('never shows a password of a bad URL', () => {
    expect(() => redisStore({ url: 'http://user:hunter2@host:6379' })).toThrow(/\*\*\*/);
    expect(() => redisStore({ url: 'http://user:hunter2@host:6379' })).not.toThrow(/hunter2/);
  });
});
