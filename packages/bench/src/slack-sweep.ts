/**
 * The latency-against-cost knob swept on the Azure trace: Tiered with `slack` unset (the default
 * queue-wait rule) and with several values, each against origin-only on the same requests.
 *
 * - A shorter slice than the main replay: the first 3 minutes (785 requests) at timeScale 0.05
 *   (9 s of wall clock per run, seven runs, ~70 s in all). Ten minutes at 0.025 would take twice
 *   as long, and at 0.025 a loaded machine's scheduling lag weighs twice as much in trace time.
 * - Edges with 8 slots each (16 in all, ≈ 4.4 calls/s against 4.8 arriving): near capacity, where
 *   the knob matters. On the standard 4-slot edges the edges are full whatever the slack, so any
 *   finite slack gives the same ~40% edge share and only moves latency (`--sweep-slots 4`).
 */

import { loadTrace } from './trace.js';
import { replayPolicy, traceSummary, withSavings } from './trace-replay.js';

export interface SlackSweepConfig {
  readonly trace: 'azure';
  readonly windowMin: number;
  readonly timeScale: number;
  readonly seed: number;
  /** Slots per edge (the standard topology has 4). */
  readonly edgeSlots: number;
  /** `undefined`: slack unset (the default rule). */
  readonly slacks: readonly (number | undefined)[];
}

export const SLACK_SWEEP: SlackSweepConfig = {
  trace: 'azure',
  windowMin: 3,
  timeScale: 0.05,
  seed: 1,
  edgeSlots: 8,
  slacks: [undefined, 1, 1.5, 2, 4, Number.POSITIVE_INFINITY],
};

/** One run of the sweep. */
export interface SlackPoint {
  /** `'default'` (unset), a number, or `'Infinity'` (JSON has no Infinity). */
  readonly slack: number | 'default' | 'Infinity';
  readonly savingVsOriginOnly: number;
  readonly costUsd: number;
  readonly latencyMs: { p50: number; p95: number; p99: number; mean: number };
  readonly edgeShare: number;
  readonly answered: number;
  readonly calls: number;
  readonly errors: number;
  readonly lost: number;
  readonly wallSeconds: number;
  /** Worst lateness of the harness behind the trace schedule, real ms. */
  readonly maxDispatchLagMs: number;
}

export interface SlackSweepResult {
  readonly trace: 'azure';
  readonly edgeSlots: number;
  readonly windowMin: number;
  readonly timeScale: number;
  readonly requests: number;
  readonly meanInputTokens: number;
  readonly meanOutputTokens: number;
  readonly originOnly: {
    costUsd: number;
    latencyMs: { p50: number; p95: number; p99: number };
    answered: number;
    maxDispatchLagMs: number;
  };
  readonly points: SlackPoint[];
}

export async function slackSweep(
  cfg: SlackSweepConfig = SLACK_SWEEP,
  log = console.error,
): Promise<SlackSweepResult> {
  const requests = loadTrace(cfg.trace, cfg.windowMin * 60_000);
  const origin = await replayPolicy(cfg, requests, 'origin-only', 'origin-only', {}, log);
  const runs = [origin];
  for (const slack of cfg.slacks) {
    const label = slack === undefined ? 'default' : `${slack}`;
    runs.push(
      await replayPolicy(
        cfg,
        requests,
        label,
        'Tiered',
        { edgeSlots: cfg.edgeSlots, routerOptions: slack === undefined ? {} : { slack } },
        log,
      ),
    );
  }
  const [originOnly, ...tiered] = withSavings(runs);
  const summary = traceSummary(cfg, requests);
  return {
    trace: cfg.trace,
    edgeSlots: cfg.edgeSlots,
    windowMin: cfg.windowMin,
    timeScale: cfg.timeScale,
    requests: summary.requests,
    meanInputTokens: summary.meanInputTokens,
    meanOutputTokens: summary.meanOutputTokens,
    originOnly: {
      costUsd: originOnly?.costUsd ?? 0,
      latencyMs: {
        p50: originOnly?.latencyMs.p50 ?? 0,
        p95: originOnly?.latencyMs.p95 ?? 0,
        p99: originOnly?.latencyMs.p99 ?? 0,
      },
      answered: originOnly?.answered ?? 0,
      maxDispatchLagMs: originOnly?.maxDispatchLagMs ?? 0,
    },
    points: tiered.map((r, i) => {
      const slack = cfg.slacks[i];
      return {
        slack:
          slack === undefined ? 'default' : Number.isFinite(slack) ? slack : ('Infinity' as const),
        savingVsOriginOnly: r.savingVsOriginOnly,
        costUsd: r.costUsd,
        latencyMs: r.latencyMs,
        edgeShare: r.edgeShare,
        answered: r.answered,
        calls: r.calls,
        errors: r.errors,
        lost: r.lost,
        wallSeconds: r.wallSeconds,
        maxDispatchLagMs: r.maxDispatchLagMs,
      };
    }),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(await slackSweep(), null, 2));
}
