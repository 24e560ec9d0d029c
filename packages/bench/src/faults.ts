/**
 * Fault scenarios: Tiered over two edges and an origin (the bench topology at timeScale 0.1),
 * N calls at concurrency 16, under an edge outage mid-run, 30% 5xx on both edges, a 429 storm on
 * the edges, and hangs on one edge with a lowered first-token floor. Counts come from the router's
 * events (`attempt:start` kinds, `failover`, `retry`) and the mock's counters.
 */
import type { FaultProfile, MockStats } from '@tiered/mock-server';
import { createRouter, type RouterOptions, TieredError } from '@tiered/sdk';
import { percentile, round } from './measure.js';
import { type MockHost, startMockHost } from './mock-host.js';
import { benchEndpoints, benchTopology, routerEndpoints } from './tiers.js';

export interface FaultScenario {
  readonly name: string;
  readonly what: string;
  /** Faults set on endpoints before the run. */
  readonly faults?: Readonly<Record<string, FaultProfile>> | undefined;
  /** Called once a third of the calls have started. */
  readonly midRun?: ((host: MockHost) => Promise<void>) | undefined;
  readonly router?: Partial<RouterOptions> | undefined;
}

export const SCENARIOS: readonly FaultScenario[] = [
  { name: 'no faults', what: 'reference run' },
  {
    name: 'edge outage',
    what: 'edge-1 `down: true` after 1/3 of the calls (stays down)',
    midRun: (host) => host.control('edge-1', { down: true }),
  },
  {
    name: '5xx 30% on edges',
    what: 'errorRate 0.3 (500) on edge-1 and edge-2',
    faults: { 'edge-1': { errorRate: 0.3 }, 'edge-2': { errorRate: 0.3 } },
  },
  {
    name: '429 storm on edges',
    what: 'rateLimitRate 0.8, Retry-After 1 s (× timeScale) on edge-1 and edge-2',
    faults: {
      'edge-1': { rateLimitRate: 0.8, retryAfterS: 1 },
      'edge-2': { rateLimitRate: 0.8, retryAfterS: 1 },
    },
  },
  {
    name: 'hangs on one edge',
    what: 'hangRate 0.1 on edge-1; router `timeouts.firstTokenFloorMs` 500',
    faults: { 'edge-1': { hangRate: 0.1 } },
    router: { timeouts: { firstTokenFloorMs: 500 } },
  },
];

export interface FaultResult {
  readonly scenario: string;
  readonly what: string;
  readonly calls: number;
  readonly answered: number;
  readonly successRate: number;
  readonly errors: number;
  readonly lost: number;
  /** Wall-clock ms at timeScale 0.1 (the mock's delays and Retry-After × 0.1; router timers real). */
  readonly latencyMs: { p50: number; p99: number };
  readonly attemptsPerCall: number;
  readonly attemptsByKind: Record<string, number>;
  readonly failovers: number;
  /** Backoff rounds (`retry` events). */
  readonly retryRounds: number;
  /** Attempts on a tier the call had already tried: what the per-tier retry budget pays for. */
  readonly sameTierRetries: number;
  /** Same-tier retries as a share of calls (the budget allows ~0.2 of calls plus 2/s). */
  readonly budgetUseRatio: number;
  /** Calls refused because the failing tier's retry budget was spent. */
  readonly budgetDenied: number;
  readonly edgeShare: number;
  readonly ejections: number;
  readonly received: Record<string, number>;
  readonly injected: Record<string, number>;
  readonly wallSeconds: number;
  readonly sampleErrors: string[];
}

const TIME_SCALE = 0.1;

export async function faultBench(
  options: { calls?: number; concurrency?: number; only?: string } = {},
  log = console.error,
): Promise<{ timeScale: number; calls: number; concurrency: number; results: FaultResult[] }> {
  const calls = options.calls ?? 1000;
  const concurrency = options.concurrency ?? 16;
  const results: FaultResult[] = [];
  for (const sc of SCENARIOS) {
    results.push(await runScenario(sc, calls, concurrency));
    const r = results[results.length - 1] as FaultResult;
    log(
      `  ${sc.name}: ${(r.successRate * 100).toFixed(1)}% ok, p99 ${r.latencyMs.p99} ms, ${r.attemptsPerCall} attempts/call, ${r.wallSeconds} s`,
    );
  }
  return { timeScale: TIME_SCALE, calls, concurrency, results };
}

async function runScenario(
  sc: FaultScenario,
  n: number,
  concurrency: number,
): Promise<FaultResult> {
  const endpoints = benchEndpoints().map((e) => ({
    ...e,
    profile: { ...e.profile, faults: sc.faults?.[e.id] },
  }));
  const host = await startMockHost(benchTopology(endpoints, TIME_SCALE, 7));
  const router = createRouter({
    // Probes every 500 ms (real time): they bring an ejected endpoint back.
    probes: { intervalMs: 500, timeoutMs: 500 },
    ...sc.router,
    endpoints: routerEndpoints(endpoints, (id) => host.baseURL(id)),
  });
  const byKind: Record<string, number> = {};
  const tiersTried = new Map<string, Set<string>>();
  let sameTier = 0;
  let failovers = 0;
  let retryRounds = 0;
  let ejections = 0;
  let attempts = 0;
  router.on('attempt:start', (e) => {
    attempts++;
    byKind[e.kind] = (byKind[e.kind] ?? 0) + 1;
    let tried = tiersTried.get(e.requestId);
    if (!tried) {
      tried = new Set();
      tiersTried.set(e.requestId, tried);
    }
    if (tried.has(e.tier)) sameTier++;
    tried.add(e.tier);
  });
  router.on('failover', () => failovers++);
  router.on('retry', () => retryRounds++);
  router.on('endpoint:eject', () => ejections++);
  const tierOf = new Map(endpoints.map((e) => [e.profile.model, e.tier]));

  const latencies: number[] = [];
  const errors: string[] = [];
  let edge = 0;
  let lostUntyped = 0;
  let next = 0;
  let midRunDone = false;
  const started = performance.now();
  const worker = async () => {
    while (next < n) {
      const i = next++;
      if (!midRunDone && sc.midRun && i >= n / 3) {
        midRunDone = true;
        await sc.midRun(host);
      }
      const t0 = performance.now();
      try {
        const c = await router.chat.completions.create({
          messages: [
            { role: 'system', content: 'You are a concise assistant. '.repeat(8) },
            {
              role: 'user',
              content: `Question ${i}: ${'summarize the notes above. '.repeat(20 + (i % 40))}`,
            },
          ],
          max_tokens: 16 + (i % 4) * 16,
        });
        latencies.push(performance.now() - t0);
        if (tierOf.get(c.model) === 'edge') edge++;
      } catch (error) {
        if (TieredError.isInstance(error)) errors.push(error.message);
        else lostUntyped++;
      }
    }
  };
  const all = Promise.all(Array.from({ length: concurrency }, worker));
  const capped = await Promise.race([
    all.then(() => true),
    new Promise<false>((r) => setTimeout(() => r(false), 120_000).unref()),
  ]);
  const wallSeconds = (performance.now() - started) / 1000;
  const stats: Record<string, MockStats> = {};
  for (const e of endpoints) stats[e.id] = await host.stats(e.id);
  await router.close({ signal: AbortSignal.timeout(5000) }).catch(() => {});
  await host.close();

  const sorted = latencies.slice().sort((a, b) => a - b);
  const answered = latencies.length;
  const lost = lostUntyped + (capped ? 0 : n - answered - errors.length);
  const injected: Record<string, number> = {};
  const received: Record<string, number> = {};
  for (const [id, s] of Object.entries(stats)) {
    received[id] = s.received;
    for (const [k, v] of Object.entries(s.faults)) injected[k] = (injected[k] ?? 0) + v;
  }
  return {
    scenario: sc.name,
    what: sc.what,
    calls: n,
    answered,
    successRate: round(answered / n, 4),
    errors: errors.length,
    lost,
    latencyMs: { p50: round(percentile(sorted, 0.5), 1), p99: round(percentile(sorted, 0.99), 1) },
    attemptsPerCall: round(attempts / n, 3),
    attemptsByKind: byKind,
    failovers,
    retryRounds,
    sameTierRetries: sameTier,
    budgetUseRatio: round(sameTier / n, 4),
    budgetDenied: errors.filter((m) => m.includes('retry budget')).length,
    edgeShare: round(edge / Math.max(1, answered), 4),
    ejections,
    received,
    injected,
    wallSeconds: round(wallSeconds, 1),
    sampleErrors: [...new Set(errors.map((m) => m.slice(0, 200)))].slice(0, 3),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(await faultBench(), null, 2));
}
