/**
 * Trace replay: real production arrivals and token counts (Azure LLM inference 2023 conversation,
 * Mooncake FAST'25 conversation) replayed against the mock edge/origin topology under four
 * policies, one after another, each on a fresh mock (same seed) in a worker thread.
 *
 * Time compression: the mock's `timeScale` and the arrival times are scaled by the same factor, so
 * the run is `window × timeScale` long; latencies are divided by `timeScale` to give trace time.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { MockStats } from '@tiered/mock-server';
import type { RouterOptions } from '@tiered/sdk';
import { percentile, round } from './measure.js';
import { startMockHost } from './mock-host.js';
import { createPolicy, POLICY_NAMES, type PolicyName } from './policies.js';
import { benchEndpoints, benchTopology, costUsd, type TierName } from './tiers.js';
import { buildMessages, loadTrace, type TraceName, type TraceRequest } from './trace.js';

export interface ReplayConfig {
  readonly trace: TraceName;
  /** Replay the requests arriving in the first `windowMin` minutes of the trace. */
  readonly windowMin: number;
  readonly timeScale: number;
  readonly seed: number;
  /**
   * An extra Tiered run on edges with more slots (origin-only is unaffected by edge slots, so the
   * saving is still against the same origin-only run): shows how much of the split is capacity.
   */
  readonly extraEdgeSlots?: number | undefined;
}

export const REPLAYS: readonly ReplayConfig[] = [
  { trace: 'azure', windowMin: 10, timeScale: 0.025, seed: 1, extraEdgeSlots: 16 },
  { trace: 'mooncake', windowMin: 10, timeScale: 0.025, seed: 1 },
];

interface CallRecord {
  readonly arrivalMs: number;
  /** Trace-time latency (wall clock ÷ timeScale), ms. */
  readonly latencyMs: number;
  readonly endpointId: string | undefined;
  readonly tier: TierName | undefined;
  readonly costUsd: number;
  readonly error: string | undefined;
  readonly typed: boolean;
}

export interface PolicyResult {
  /** The policy, or `Tiered (edges N slots)` for the capacity variant. */
  readonly policy: string;
  readonly calls: number;
  readonly answered: number;
  /** Calls that ended with a typed error. */
  readonly errors: number;
  /** Neither answered nor a typed error (or never settled). */
  readonly lost: number;
  readonly costUsd: number;
  /** 1 − cost ÷ origin-only cost of the same replay. */
  readonly savingVsOriginOnly: number;
  readonly latencyMs: { p50: number; p95: number; p99: number; mean: number };
  readonly edgeShare: number;
  /** Latency by the tier that answered, trace-time ms. */
  readonly latencyByTierMs: Record<string, { n: number; p50: number; p95: number }>;
  /** HTTP 400 context-length refusals that reached an endpoint (mock counters). */
  readonly contextErrors: { edge: number; origin: number };
  /** Requests the endpoints received (attempts, failed ones included). */
  readonly received: Record<string, number>;
  readonly cachedTokensIn: number;
  /** Worst lateness of the harness against the trace schedule, real ms. */
  readonly maxDispatchLagMs: number;
  readonly wallSeconds: number;
  /** For the HTML report: latency quantiles 0..1 in 100 steps, ms. */
  readonly cdf: number[];
  /** Edge share of answered calls per time bucket of the window. */
  readonly edgeShareOverTime: number[];
  readonly sampleErrors: string[];
}

export interface ReplayResult {
  readonly trace: TraceName;
  readonly windowMin: number;
  readonly timeScale: number;
  readonly requests: number;
  readonly meanInputTokens: number;
  readonly meanOutputTokens: number;
  /** Requests whose prompt + max_tokens exceed the edge's 8192 window. */
  readonly oversizedForEdge: number;
  readonly policies: PolicyResult[];
}

const BUCKETS = 20;

export async function replayTrace(cfg: ReplayConfig, log = console.error): Promise<ReplayResult> {
  const requests = loadTrace(cfg.trace, cfg.windowMin * 60_000);
  const results: PolicyResult[] = [];
  const runs: { label: string; policy: PolicyName; edgeSlots: number | undefined }[] =
    POLICY_NAMES.map((p) => ({ label: p, policy: p, edgeSlots: undefined }));
  if (cfg.extraEdgeSlots) {
    runs.push({
      label: `Tiered (edges ${cfg.extraEdgeSlots} slots)`,
      policy: 'Tiered',
      edgeSlots: cfg.extraEdgeSlots,
    });
  }
  for (const run of runs) {
    results.push(
      await replayPolicy(cfg, requests, run.label, run.policy, { edgeSlots: run.edgeSlots }, log),
    );
  }
  return {
    ...traceSummary(cfg, requests),
    policies: withSavings(results),
  };
}

/** What a replay says about its requests, whatever the policies. */
export function traceSummary(
  cfg: Pick<ReplayConfig, 'trace' | 'windowMin' | 'timeScale'>,
  requests: readonly TraceRequest[],
) {
  const n = requests.length;
  return {
    trace: cfg.trace,
    windowMin: cfg.windowMin,
    timeScale: cfg.timeScale,
    requests: n,
    meanInputTokens: round(requests.reduce((a, r) => a + r.inputTokens, 0) / n, 1),
    meanOutputTokens: round(requests.reduce((a, r) => a + r.outputTokens, 0) / n, 1),
    oversizedForEdge: requests.filter((r) => r.inputTokens + r.outputTokens > 8192).length,
  };
}

/** The saving of each result against the `origin-only` one among them. */
export function withSavings(results: readonly PolicyResult[]): PolicyResult[] {
  const originCost = results.find((r) => r.policy === 'origin-only')?.costUsd ?? 0;
  return results.map((r) => ({
    ...r,
    savingVsOriginOnly: originCost > 0 ? round(1 - r.costUsd / originCost, 4) : 0,
  }));
}

/**
 * Replays `requests` under one policy on a fresh mock (same seed), in a worker thread, and
 * summarizes what became of every call.
 */
export async function replayPolicy(
  cfg: Pick<ReplayConfig, 'trace' | 'windowMin' | 'timeScale' | 'seed'>,
  requests: readonly TraceRequest[],
  label: string,
  policyName: PolicyName,
  options: { edgeSlots?: number | undefined; routerOptions?: Partial<RouterOptions> } = {},
  log = console.error,
): Promise<PolicyResult> {
  const windowMs = cfg.windowMin * 60_000;
  const endpoints = benchEndpoints({ prefixCache: true, edgeSlots: options.edgeSlots });
  const tierOf = new Map(endpoints.map((e) => [e.id, e.tier]));
  const host = await startMockHost(benchTopology(endpoints, cfg.timeScale, cfg.seed));
  const policy = createPolicy(
    policyName,
    endpoints,
    (id) => host.baseURL(id),
    options.routerOptions,
  );
  const records: (CallRecord | undefined)[] = new Array(requests.length);
  const pending: Promise<void>[] = [];
  let maxLag = 0;
  const t0 = performance.now();
  for (const [i, r] of requests.entries()) {
    const due = t0 + r.arrivalMs * cfg.timeScale;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    const started = performance.now();
    maxLag = Math.max(maxLag, started - due);
    const body = { messages: buildMessages(r, cfg.trace), max_tokens: r.outputTokens };
    pending.push(
      policy.call(body).then(
        (o) => {
          const latencyMs = (performance.now() - started) / cfg.timeScale;
          const tier = o.endpointId ? tierOf.get(o.endpointId) : undefined;
          records[i] = {
            arrivalMs: r.arrivalMs,
            latencyMs,
            endpointId: o.endpointId,
            tier,
            costUsd: tier && o.usage ? costUsd(tier, o.usage) : 0,
            error: o.error?.message,
            typed: o.error?.typed ?? false,
          };
        },
        () => {},
      ),
    );
  }
  // Drain: every call settles, or is counted lost after the cap.
  const capMs = 120_000;
  await Promise.race([Promise.all(pending), sleep(capMs, undefined, { ref: false })]);
  const wallSeconds = (performance.now() - t0) / 1000;
  const stats: Record<string, MockStats> = {};
  for (const e of endpoints) stats[e.id] = await host.stats(e.id);
  await policy.close().catch(() => {});
  await host.close();
  const result = summarizePolicy(label, records, stats, endpoints, windowMs, maxLag, wallSeconds);
  log(
    `  ${cfg.trace} ${label}: ${result.answered}/${result.calls} answered, p95 ${Math.round(result.latencyMs.p95)} ms, edge ${(result.edgeShare * 100).toFixed(1)}%, $${result.costUsd.toFixed(4)}, ${wallSeconds.toFixed(1)} s`,
  );
  return result;
}

function summarizePolicy(
  policy: string,
  records: (CallRecord | undefined)[],
  stats: Record<string, MockStats>,
  endpoints: ReturnType<typeof benchEndpoints>,
  windowMs: number,
  maxLag: number,
  wallSeconds: number,
): PolicyResult {
  const ok = records.filter((r): r is CallRecord => r !== undefined && r.endpointId !== undefined);
  const typedErrors = records.filter((r) => r !== undefined && r.error !== undefined && r.typed);
  const lost = records.length - ok.length - typedErrors.length;
  const lat = ok.map((r) => r.latencyMs).sort((a, b) => a - b);
  const edgeOk = ok.filter((r) => r.tier === 'edge').length;
  const ctx = { edge: 0, origin: 0 };
  const received: Record<string, number> = {};
  let cached = 0;
  for (const e of endpoints) {
    const s = stats[e.id] as MockStats;
    ctx[e.tier] += s.byStatus['400'] ?? 0;
    received[e.id] = s.received;
    cached += s.cachedTokensIn;
  }
  const latencyByTierMs: PolicyResult['latencyByTierMs'] = {};
  for (const tier of ['edge', 'origin'] as const) {
    const xs = ok
      .filter((r) => r.tier === tier)
      .map((r) => r.latencyMs)
      .sort((a, b) => a - b);
    if (xs.length === 0) continue;
    latencyByTierMs[tier] = {
      n: xs.length,
      p50: round(percentile(xs, 0.5), 0),
      p95: round(percentile(xs, 0.95), 0),
    };
  }
  const buckets = Array.from({ length: BUCKETS }, () => ({ edge: 0, all: 0 }));
  for (const r of ok) {
    const b = buckets[Math.min(BUCKETS - 1, Math.floor((r.arrivalMs / windowMs) * BUCKETS))];
    if (!b) continue;
    b.all++;
    if (r.tier === 'edge') b.edge++;
  }
  const sampleErrors = [...new Set(typedErrors.map((r) => (r?.error ?? '').slice(0, 160)))].slice(
    0,
    3,
  );
  return {
    policy,
    calls: records.length,
    answered: ok.length,
    errors: typedErrors.length,
    lost,
    costUsd: round(
      ok.reduce((a, r) => a + r.costUsd, 0),
      6,
    ),
    savingVsOriginOnly: 0,
    latencyMs: {
      p50: round(percentile(lat, 0.5), 0),
      p95: round(percentile(lat, 0.95), 0),
      p99: round(percentile(lat, 0.99), 0),
      mean: round(lat.reduce((a, x) => a + x, 0) / Math.max(1, lat.length), 0),
    },
    edgeShare: round(edgeOk / Math.max(1, ok.length), 4),
    latencyByTierMs,
    contextErrors: ctx,
    received,
    cachedTokensIn: cached,
    maxDispatchLagMs: round(maxLag, 1),
    wallSeconds: round(wallSeconds, 1),
    cdf: Array.from({ length: 101 }, (_, i) => round(percentile(lat, i / 100), 0)),
    edgeShareOverTime: buckets.map((b) => (b.all ? round(b.edge / b.all, 3) : 0)),
    sampleErrors,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const only = process.argv[2] as TraceName | undefined;
  for (const cfg of REPLAYS.filter((c) => !only || c.trace === only)) {
    const r = await replayTrace(cfg);
    console.log(JSON.stringify({ ...r, policies: r.policies.map(({ cdf, ...p }) => p) }, null, 2));
  }
}
