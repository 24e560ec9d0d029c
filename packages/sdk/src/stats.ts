import type { ResolvedConfig } from './config.js';
import type { EndpointSignals } from './signals/endpoint-signals.js';
import type { SampleWindow } from './signals/sample-window.js';
import type { StoreStats } from './store/fleet.js';

/** p50 / p95 / p99 over the last 256 samples, in ms; `undefined` before any sample. */
export interface Percentiles {
  readonly p50: number | undefined;
  readonly p95: number | undefined;
  readonly p99: number | undefined;
}

/** One endpoint in `router.stats()`. */
export interface EndpointStats {
  readonly id: string;
  readonly tier: string;
  /** Attempts that reached the endpoint (served or failed there). */
  readonly calls: number;
  readonly errors: number;
  readonly inFlight: number;
  readonly queued: number;
  /** Calls the other routers on the store have in flight or queued here (last sync); no store: undefined. */
  readonly fleetPending: number | undefined;
  readonly latencyMs: Percentiles;
  readonly ttftMs: Percentiles;
  /**
   * The signals the policy routes on: this router's own measurements, else (with a `store`) the
   * fleet's as last synced.
   */
  readonly signals: {
    /** Peak-EWMA time to first token at zero prompt, ms. */
    readonly ttftMs: number | undefined;
    /** Peak-EWMA ms per output token. */
    readonly timePerOutputTokenMs: number | undefined;
    /** Peak-EWMA probe round trip, ms (in a fleet, one router probes for all). */
    readonly rttMs: number | undefined;
    /** Learned prefill cost, ms per prompt token. */
    readonly prefillMsPerToken: number;
    /**
     * Learned characters of request JSON per prompt token: the slope of the prompt-token fit
     * (`tokens = promptTokensIntercept + chars / charsPerToken`).
     */
    readonly charsPerToken: number;
    /**
     * Learned prompt tokens at zero characters: a request's fixed part (chat template, JSON
     * structure; negative when the server counts the structure as nothing).
     */
    readonly promptTokensIntercept: number;
    /**
     * Worst recent under-estimate of prompt tokens, as a ratio of the estimate (0.25 = 25% more
     * than estimated); the context-window check adds the larger of this and `contextMargin`.
     */
    readonly promptTokensUnderestimate: number;
  };
  readonly promptTokens: number;
  readonly completionTokens: number;
  readonly costUsd: number;
  readonly ejected: boolean;
}

/** `router.stats()`: per endpoint and in total. Plain data, safe to log. */
export interface RouterStats {
  /** The shared store (`store` option): its state and this router's part in the fleet. */
  readonly store: StoreStats | undefined;
  readonly endpoints: readonly EndpointStats[];
  readonly totals: {
    /** Calls answered. */
    readonly calls: number;
    /** Calls that ended with an error. */
    readonly failed: number;
    readonly inFlight: number;
    readonly costUsd: number;
    /** What the same tokens would have cost on the origin tier (the last tier). */
    readonly originOnlyCostUsd: number;
    /** 1 − cost ÷ origin-only cost; 0 before any cost. */
    readonly savingRatio: number;
    /** Calls answered per tier. */
    readonly byTier: Readonly<Record<string, number>>;
    /** Answers rejected by escalation and re-run on the next tier. */
    readonly escalations: number;
  };
}

/** Running totals kept by the router. */
export class Totals {
  calls = 0;
  failed = 0;
  inFlight = 0;
  costUsd = 0;
  originOnlyCostUsd = 0;
  escalations = 0;
  readonly byTier: Record<string, number> = {};

  constructor(config: ResolvedConfig) {
    for (const t of config.tiers) this.byTier[t] = 0;
  }
}

/** A snapshot of the router's stats: plain data, safe to log (no keys, no prompts). */
export function buildStats(
  signals: readonly EndpointSignals[],
  totals: Totals,
  store: StoreStats | undefined,
): RouterStats {
  return {
    store,
    endpoints: signals.map((s) => ({
      id: s.endpoint.id,
      tier: s.endpoint.tier,
      calls: s.calls,
      errors: s.errors,
      inFlight: s.inFlight,
      queued: s.queued,
      fleetPending: s.fleet?.pending,
      latencyMs: percentiles(s.latencyMs),
      ttftMs: percentiles(s.ttftMs),
      signals: {
        ttftMs: s.ttft.value ?? s.fleet?.ttftMs,
        timePerOutputTokenMs: s.tpot.value ?? s.fleet?.tpotMs,
        rttMs: s.rtt.value ?? s.fleet?.rttMs,
        prefillMsPerToken: s.prefillMsPerToken(),
        charsPerToken: s.charsPerToken,
        promptTokensIntercept: s.tokens.intercept,
        promptTokensUnderestimate: s.tokens.underestimate,
      },
      promptTokens: s.promptTokens,
      completionTokens: s.completionTokens,
      costUsd: s.costUsd,
      ejected: s.health.ejected,
    })),
    totals: {
      calls: totals.calls,
      failed: totals.failed,
      inFlight: totals.inFlight,
      costUsd: totals.costUsd,
      originOnlyCostUsd: totals.originOnlyCostUsd,
      savingRatio: totals.originOnlyCostUsd > 0 ? 1 - totals.costUsd / totals.originOnlyCostUsd : 0,
      byTier: { ...totals.byTier },
      escalations: totals.escalations,
    },
  };
}

function percentiles(w: SampleWindow): Percentiles {
  return { p50: w.percentile(0.5), p95: w.percentile(0.95), p99: w.percentile(0.99) };
}
