import type { Rng } from './internal/rng.js';
import type { ResolvedProfile } from './resolve-profile.js';

/** A fault injected into one request. */
export type FaultKind = 'rateLimit' | 'error' | 'hang' | 'disconnect' | 'stall' | 'malformed';

const ORDER = [
  ['rateLimit', 'rateLimitRate'],
  ['error', 'errorRate'],
  ['hang', 'hangRate'],
  ['disconnect', 'disconnectRate'],
  ['stall', 'stallRate'],
  ['malformed', 'malformedRate'],
] as const;

/**
 * Decides the fault of one request: one independent draw per kind, the first hit wins, in the
 * order 429, 5xx, hang, disconnect, stall, malformed. Always draws six uniforms, so the sequence of
 * faults depends only on the seed and the order of arrivals, never on timing or rates of other kinds.
 */
export function drawFault(rng: Rng, faults: ResolvedProfile['faults']): FaultKind | undefined {
  let chosen: FaultKind | undefined;
  for (const [kind, rateKey] of ORDER) {
    const u = rng();
    if (chosen === undefined && u < faults[rateKey]) chosen = kind;
  }
  return chosen;
}
