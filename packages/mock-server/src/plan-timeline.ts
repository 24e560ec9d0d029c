import { logNormalMultiplier, type Rng } from './internal/rng.js';
import type { ResolvedProfile } from './resolve-profile.js';

/** What the timeline of one request depends on, besides the profile. */
export interface TimelineInput {
  /** Prompt tokens, as the mock counts them. */
  readonly promptTokens: number;
  /** How many of them hit the prefix cache (prefilled `speedup`× faster). */
  readonly cachedPromptTokens: number;
  /** Output tokens the response will carry. */
  readonly outputTokens: number;
}

/** When things happen for one request, in real ms (already multiplied by `timeScale`). */
export interface Timeline {
  /** Network round trip, spent before the request takes a slot. */
  readonly rttMs: number;
  /** From getting a slot to the first token: fixed ttft + prefill. */
  readonly ttftMs: number;
  /** Time between two output tokens. */
  readonly decodeMsPerToken: number;
  /** From getting a slot to the last token: `ttftMs + (outputTokens - 1) × decodeMsPerToken`. */
  readonly generationMs: number;
  /** The jitter multipliers drawn (1 = none), for tests and the bench. */
  readonly ttftJitter: number;
  readonly decodeJitter: number;
}

/**
 * The latency model as a pure function (no clock, no timers), so it is tested with plain data:
 *
 * - `rttMs` (not jittered: it is the network distance, the thing clients measure).
 * - time to first token = `(ttftMs + uncached / prefill × 1000 + cached / (prefill × speedup) × 1000)`
 *   × a log-normal jitter multiplier (median 1, sigma `jitter`).
 * - each further token `1000 / decodeTokensPerSec` × a second jitter multiplier; the first token
 *   comes at ttft, so `n` tokens end at `ttft + (n - 1) × decode`.
 * - everything × `timeScale`.
 *
 * Always draws exactly four uniforms from `rng`, so the draws of later requests do not depend on
 * this request's size.
 */
export function planTimeline(
  input: TimelineInput,
  profile: ResolvedProfile,
  rng: Rng,
  timeScale: number,
): Timeline {
  const ttftJitter = logNormalMultiplier(rng, profile.jitter);
  const decodeJitter = logNormalMultiplier(rng, profile.jitter);
  const prefill = profile.prefillTokensPerSec;
  const cached = Math.min(input.cachedPromptTokens, input.promptTokens);
  const uncached = input.promptTokens - cached;
  const speedup = profile.prefixCache.enabled ? profile.prefixCache.speedup : 1;
  const prefillMs = (uncached / prefill) * 1000 + (cached / (prefill * speedup)) * 1000;
  const ttftMs = (profile.ttftMs + prefillMs) * ttftJitter * timeScale;
  const decodeMsPerToken = (1000 / profile.decodeTokensPerSec) * decodeJitter * timeScale;
  return {
    rttMs: profile.rttMs * timeScale,
    ttftMs,
    decodeMsPerToken,
    generationMs: ttftMs + Math.max(0, input.outputTokens - 1) * decodeMsPerToken,
    ttftJitter,
    decodeJitter,
  };
}
