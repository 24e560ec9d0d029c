import type { ResolvedConfig } from '../config.js';

/** What a health update changed, so the router can emit `endpoint:eject` / `endpoint:restore`. */
export type HealthTransition = 'eject' | 'restore' | undefined;

/**
 * Outlier ejection for one endpoint (Envoy's consecutive-failure and failure-rate detectors).
 *
 * An ejected endpoint sits out a cool-down that doubles with each ejection in a row. When the
 * cool-down ends it is half-open: the next call (or probe) is a trial, success restores it, another
 * failure ejects it again for longer. A 429's `Retry-After` holds the endpoint back without
 * counting as an ejection.
 */
export class Health {
  readonly #options: ResolvedConfig['health'];
  #consecutiveFailures = 0;
  #errorRate = 0;
  #samples = 0;
  #ejections = 0;
  #ejectedUntil = 0;
  #ejected = false;
  #holdUntil = 0;
  #reason = '';
  #trial = false;
  // Another router of the fleet holds the half-open trial until then (ms, monotonic).
  #trialElsewhereUntil = 0;

  constructor(options: ResolvedConfig['health']) {
    this.#options = options;
  }

  get ejected(): boolean {
    return this.#ejected;
  }

  /** Why the endpoint was last ejected. */
  get reason(): string {
    return this.#reason;
  }

  get consecutiveFailures(): number {
    return this.#consecutiveFailures;
  }

  /** End of the current cool-down (ms, monotonic); meaningful while ejected. */
  get ejectedUntil(): number {
    return this.#ejectedUntil;
  }

  /** Ejections in a row (the cool-down doubles with each). */
  get ejections(): number {
    return this.#ejections;
  }

  /** End of the current Retry-After hold (ms, monotonic); 0 or past when none. */
  get heldUntil(): number {
    return this.#holdUntil;
  }

  /** Ejected and cooled down: half-open, an attempt now is (or races) the one trial. */
  isHalfOpen(now: number): boolean {
    return this.#ejected && now >= this.#ejectedUntil;
  }

  /** When the endpoint may be tried again (ms, monotonic); 0 when it may be tried now. */
  availableAt(now: number): number {
    // Half-open with its one trial call in flight: the others wait for its outcome.
    if (this.#trial) return now + 1;
    const at = Math.max(
      this.#ejected ? Math.max(this.#ejectedUntil, this.#trialElsewhereUntil) : 0,
      this.#holdUntil,
    );
    return at > now ? at : 0;
  }

  /**
   * An attempt is sent. After an ejection's cool-down the first one is the trial: until it ends,
   * no other call is planned onto the endpoint — a recovering endpoint gets one call, not a burst.
   */
  beginAttempt(now: number): void {
    if (this.#ejected && now >= this.#ejectedUntil) this.#trial = true;
  }

  /** An attempt ended without telling anything about health (aborted, the caller's error). */
  endAttempt(): void {
    this.#trial = false;
  }

  isAvailable(now: number): boolean {
    return this.availableAt(now) === 0;
  }

  recordSuccess(): HealthTransition {
    this.#trial = false;
    this.#trialElsewhereUntil = 0;
    this.#consecutiveFailures = 0;
    this.#sample(0);
    this.#holdUntil = 0;
    if (!this.#ejected) return undefined;
    this.#ejected = false;
    this.#ejections = 0;
    return 'restore';
  }

  /** Records a failed call; `permanent` (401/403/404) ejects for the longest cool-down at once. */
  recordFailure(now: number, reason: string, permanent = false): HealthTransition {
    this.#trial = false;
    this.#consecutiveFailures++;
    this.#sample(1);
    const o = this.#options;
    // A failed half-open trial ejects again, for longer, whatever the counters say: a router that
    // learned of the ejection from the fleet (\`applyEject\`) has not seen the failures behind it.
    const trialFailed = this.#ejected && now >= this.#ejectedUntil;
    const tripped =
      permanent ||
      trialFailed ||
      this.#consecutiveFailures >= o.ejectAfterFailures ||
      (this.#samples >= o.minSamples && this.#errorRate >= o.ejectErrorRate);
    if (!tripped) return undefined;
    // Already ejected and still cooling down: a straggler's failure changes nothing.
    if (this.#ejected && now < this.#ejectedUntil) return undefined;
    const cooldown = permanent
      ? o.maxCooldownMs
      : Math.min(o.maxCooldownMs, o.cooldownMs * 2 ** this.#ejections);
    this.#ejections++;
    this.#ejectedUntil = now + cooldown;
    this.#trialElsewhereUntil = 0;
    this.#reason = reason;
    const wasEjected = this.#ejected;
    this.#ejected = true;
    return wasEjected ? undefined : 'eject';
  }

  /**
   * Another router of the fleet ejected the endpoint until `until` (ms, this clock): adopt the
   * later of its cool-down and ours, and its ejection count, so cool-downs keep doubling
   * fleet-wide.
   */
  applyEject(until: number, reason: string, ejections: number): HealthTransition {
    this.#trialElsewhereUntil = 0;
    this.#ejections = Math.max(this.#ejections, ejections);
    this.#reason = reason;
    const wasEjected = this.#ejected;
    if (!wasEjected || until > this.#ejectedUntil) this.#ejectedUntil = until;
    this.#ejected = true;
    return wasEjected ? undefined : 'eject';
  }

  /** Another router of the fleet restored the endpoint (its trial or probe succeeded). */
  applyRestore(): HealthTransition {
    this.#trialElsewhereUntil = 0;
    this.#consecutiveFailures = 0;
    if (!this.#ejected) return undefined;
    this.#ejected = false;
    this.#ejections = 0;
    return 'restore';
  }

  /** Another router of the fleet runs the half-open trial: wait for its outcome until `until`. */
  trialElsewhere(until: number): void {
    this.#trialElsewhereUntil = until;
  }

  /** Holds the endpoint back until `until` (a 429's Retry-After) without ejecting it. */
  holdUntil(until: number): void {
    if (until > this.#holdUntil) this.#holdUntil = until;
  }

  // Error rate as an EWMA over roughly the last 20 calls.
  #sample(failed: 0 | 1): void {
    this.#samples++;
    this.#errorRate += (failed - this.#errorRate) * 0.1;
  }
}
