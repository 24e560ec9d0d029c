import type { EndpointProfile, ProfilePatch } from './topology.js';

/** An endpoint profile with every default applied: what the engine reads on each request. */
export interface ResolvedProfile {
  readonly id: string;
  readonly port: number;
  readonly model: string;
  readonly contextWindow: number;
  readonly rttMs: number;
  readonly ttftMs: number;
  readonly prefillTokensPerSec: number;
  readonly decodeTokensPerSec: number;
  readonly maxConcurrency: number;
  readonly jitter: number;
  readonly apiKey: string | undefined;
  readonly prefixCache: {
    readonly enabled: boolean;
    readonly ttlMs: number;
    readonly speedup: number;
  };
  readonly outputTokens: number;
  readonly toolCallRate: number;
  readonly down: boolean;
  readonly faults: {
    readonly errorRate: number;
    readonly errorStatus: number;
    readonly rateLimitRate: number;
    readonly retryAfterS: number;
    readonly hangRate: number;
    readonly disconnectRate: number;
    readonly stallRate: number;
    readonly stallMs: number;
    readonly malformedRate: number;
  };
}

/** Defaults of every optional profile field, in one place (documented in the README). */
export const PROFILE_DEFAULTS = {
  port: 0,
  rttMs: 0,
  ttftMs: 0,
  prefillTokensPerSec: Number.POSITIVE_INFINITY,
  decodeTokensPerSec: Number.POSITIVE_INFINITY,
  maxConcurrency: Number.POSITIVE_INFINITY,
  jitter: 0.1,
  prefixCacheTtlMs: 300_000,
  prefixCacheSpeedup: 10,
  outputTokens: 64,
  // A model offered tools mostly uses them; 1 makes an agent loop close in exactly one round
  // (call → tool result → text answer), which is what tests and examples want by default.
  toolCallRate: 1,
  errorStatus: 500,
  retryAfterS: 1,
  stallMs: 5000,
} as const;

/** Applies the defaults to a (validated) profile. */
export function resolveProfile(profile: EndpointProfile): ResolvedProfile {
  const d = PROFILE_DEFAULTS;
  const f = profile.faults ?? {};
  const cache = profile.prefixCache;
  const cacheSettings = typeof cache === 'object' ? cache : {};
  return Object.freeze({
    id: profile.id,
    port: profile.port ?? d.port,
    model: profile.model,
    contextWindow: profile.contextWindow,
    rttMs: profile.rttMs ?? d.rttMs,
    ttftMs: profile.ttftMs ?? d.ttftMs,
    prefillTokensPerSec: profile.prefillTokensPerSec ?? d.prefillTokensPerSec,
    decodeTokensPerSec: profile.decodeTokensPerSec ?? d.decodeTokensPerSec,
    maxConcurrency: profile.maxConcurrency ?? d.maxConcurrency,
    jitter: profile.jitter ?? d.jitter,
    apiKey: profile.apiKey,
    prefixCache: {
      enabled: cache !== undefined && cache !== false,
      ttlMs: cacheSettings.ttlMs ?? d.prefixCacheTtlMs,
      speedup: cacheSettings.speedup ?? d.prefixCacheSpeedup,
    },
    outputTokens: profile.outputTokens ?? d.outputTokens,
    toolCallRate: profile.toolCallRate ?? d.toolCallRate,
    down: profile.down ?? false,
    faults: {
      errorRate: f.errorRate ?? 0,
      errorStatus: f.errorStatus ?? d.errorStatus,
      rateLimitRate: f.rateLimitRate ?? 0,
      retryAfterS: f.retryAfterS ?? d.retryAfterS,
      hangRate: f.hangRate ?? 0,
      disconnectRate: f.disconnectRate ?? 0,
      stallRate: f.stallRate ?? 0,
      stallMs: f.stallMs ?? d.stallMs,
      malformedRate: f.malformedRate ?? 0,
    },
  });
}

/**
 * Merges a patch into a profile. `faults` and an object `prefixCache` merge key by key, so
 * `{ faults: { errorRate: 1 } }` keeps the other fault settings.
 */
export function mergeProfile(profile: EndpointProfile, patch: ProfilePatch): EndpointProfile {
  const { reset: _reset, faults, prefixCache, ...rest } = patch;
  const merged: EndpointProfile = { ...profile, ...rest };
  if (faults !== undefined) merged.faults = { ...profile.faults, ...faults };
  if (prefixCache !== undefined) {
    merged.prefixCache =
      typeof prefixCache === 'object' && typeof profile.prefixCache === 'object'
        ? { ...profile.prefixCache, ...prefixCache }
        : prefixCache;
  }
  return merged;
}
