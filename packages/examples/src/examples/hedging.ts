import type { Router } from '@tiered/sdk';
import { edgeEndpoint, originEndpoint } from '../shared/example-endpoints.js';
import type { ExampleOptions } from '../shared/example-options.js';
import type { TierEndpoint } from '../shared/tier-endpoint.js';
import { withRouter } from '../shared/with-router.js';

/** Latency of one run, in ms. */
export interface LatencySummary {
  readonly calls: number;
  readonly p50: number;
  readonly p95: number;
  readonly max: number;
  readonly hedges: number;
  /** Hedges whose second attempt answered first. */
  readonly hedgeWins: number;
}

/** What `hedging` shows: the same workload without and with `hedge: true`. */
export interface HedgingResult {
  readonly withoutHedge: LatencySummary;
  readonly withHedge: LatencySummary;
}

// Two edges with a heavy tail: ttft jitter σ = 1 (a log-normal: p95 ≈ 5× the median) and one
// request in twenty stuck behind a slow neighbour (a hang until the first-token timeout).
const tail = { jitter: 1, faults: { hangRate: 0.05 } };
const topology: TierEndpoint[] = [
  edgeEndpoint('edge-1', tail),
  edgeEndpoint('edge-2', tail),
  originEndpoint(),
];
const CALLS = 40;

/**
 * Hedging, "The Tail at Scale": with `createRouter({ hedge: true })`, a call with no first token by
 * its endpoint's p95 time to first token is sent to the next candidate too; the first to answer
 * wins and the other is aborted. Extra load stays within a budget (5% of calls by default). The
 * same 40 streamed calls run without and with hedging against edges with a heavy tail.
 */
export async function run(options: ExampleOptions = {}): Promise<HedgingResult> {
  const log = options.log ?? console.log;
  const scale = options.timeScale ?? 1;
  // A 1 s first-token timeout either way (the SDK's default floor is 5 s).
  const timeouts = { firstTokenFloorMs: Math.max(50, 1_000 * scale) };
  const withoutHedge = await withRouter(topology, { ...options, router: { timeouts } }, workload);
  log(`hedge off: ${describe(withoutHedge)}`);
  const withHedge = await withRouter(
    topology,
    { ...options, router: { timeouts, hedge: true } },
    workload,
  );
  log(`hedge on:  ${describe(withHedge)}`);
  return { withoutHedge, withHedge };
}

async function workload(router: Router): Promise<LatencySummary> {
  let hedges = 0;
  let hedgeWins = 0;
  const hedgedTo = new Map<string, string>();
  router.on('hedge:start', (e) => {
    hedges++;
    hedgedTo.set(e.requestId, e.endpointId);
  });
  router.on('request:end', (e) => {
    if (hedgedTo.get(e.requestId) === e.endpointId) hedgeWins++;
  });
  const latencies: number[] = [];
  const one = async (i: number) => {
    const started = performance.now();
    const stream = await router.chat.completions.create({
      messages: [{ role: 'user', content: `Tag ticket #${i}: "screen flickers"` }],
      max_tokens: 4,
      stream: true,
    });
    for await (const _ of stream);
    latencies.push(performance.now() - started);
  };
  // Four callers, each making its calls one after another.
  await Promise.all(
    Array.from({ length: 4 }, async (_, lane) => {
      for (let i = lane; i < CALLS; i += 4) await one(i);
    }),
  );
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return { calls: latencies.length, p50: at(0.5), p95: at(0.95), max: at(1), hedges, hedgeWins };
}

function describe(s: LatencySummary): string {
  return `${s.calls} calls, p50 ${s.p50.toFixed(0)} ms, p95 ${s.p95.toFixed(0)} ms, max ${s.max.toFixed(0)} ms; ${s.hedges} hedges, ${s.hedgeWins} won by the hedge`;
}
