/**
 * Tail latency with and without hedging ("The Tail at Scale"): two edges that each answer 5% of
 * their calls only after a 2 s stall. The same seeded calls run
 * with hedging off and on; we report p50, p99 and the extra attempts hedging cost.
 */
import { startMockServer } from '@tiered/mock-server';
import { createRouter } from '@tiered/sdk';
import { round, summarize } from './measure.js';

export interface TailResult {
  readonly hedging: boolean;
  readonly calls: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly p99Ms: number;
  readonly p99OverP50: number;
  readonly extraAttemptsPct: number;
  readonly stalledShareOfCallsPct: number;
}

async function runOnce(
  hedging: boolean,
  calls: number,
  concurrency: number,
  stallRates: readonly [number, number],
): Promise<TailResult> {
  const mock = await startMockServer({
    seed: 11,
    endpoints: [
      // Each edge answers `stallRate` of its calls only after a 2 s stall (before any output).
      ...['edge-1', 'edge-2'].map((id, i) => ({
        id,
        model: 'm',
        contextWindow: 8192,
        rttMs: 5,
        ttftMs: 30,
        decodeTokensPerSec: 400,
        jitter: 0.1,
        faults: { stallRate: i === 0 ? stallRates[0] : stallRates[1], stallMs: 2_000 },
      })),
    ],
  });
  const router = createRouter({
    probes: false,
    hedge: hedging ? { maxExtraLoad: 0.05 } : false,
    timeouts: { firstTokenFloorMs: 10_000 },
    // An endpoint that is slow 10% of the time is not broken: keep it in rotation.
    health: { ejectAfterFailures: 1_000, ejectErrorRate: 1 },
    endpoints: mock.endpoints.map((e) => ({
      id: e.id,
      tier: 'edge',
      baseURL: e.baseURL,
      model: 'm',
      contextWindow: 8192,
    })),
  });
  let hedges = 0;
  router.on('hedge:start', () => hedges++);
  const latencies: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next++ < calls) {
        const t0 = performance.now();
        await router.chat.completions.create({
          messages: [{ role: 'user', content: `question ${next}` }],
          max_tokens: 8,
        });
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const stalled = mock.endpoints.reduce((n, e) => n + (e.stats().faults.stall ?? 0), 0);
  await router.close();
  await mock.close();
  const s = summarize(latencies);
  return {
    hedging,
    calls,
    p50Ms: round(s.p50, 1),
    p95Ms: round(s.p95, 1),
    p99Ms: round(s.p99, 1),
    p99OverP50: round(s.p99 / s.p50, 2),
    extraAttemptsPct: round((hedges / calls) * 100, 2),
    stalledShareOfCallsPct: round((stalled / calls) * 100, 2),
  };
}

/**
 * Two scenarios: the (one edge answers 5% of its calls after a 2 s stall) and a harsher
 * one (both edges do, so Peak-EWMA cannot route around the slow one and only hedging helps).
 */
export async function hedgingTailBench(calls = 2_000, concurrency = 16) {
  const scenarios = [
    ['one edge stalls 5% of its calls', [0.05, 0]],
    ['both edges stall 5% of their calls', [0.05, 0.05]],
  ] as const;
  const results: Array<TailResult & { scenario: string }> = [];
  for (const [scenario, rates] of scenarios) {
    for (const hedging of [false, true]) {
      results.push({ scenario, ...(await runOnce(hedging, calls, concurrency, rates)) });
    }
  }
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.table(await hedgingTailBench());
}
