/**
 * Peak-sensitive exponentially weighted moving average (Finagle / Linkerd "Peak EWMA").
 *
 * A sample above the average replaces it at once, so an endpoint that starts stalling loses
 * traffic before its average would have moved; lower samples pull it down with a weight that decays
 * with the time since the last sample (`tau`), so a recovered endpoint wins traffic back smoothly.
 */
export class PeakEwma {
  #value: number | undefined;
  #lastAt = 0;
  readonly #tauMs: number;

  /** @param tauMs decay time constant in ms. @default 10000 */
  constructor(tauMs = 10_000, initial?: number) {
    this.#tauMs = tauMs;
    this.#value = initial;
  }

  /** The current average, or `undefined` before the first sample. */
  get value(): number | undefined {
    return this.#value;
  }

  /**
   * The value decayed toward 0 by the time since the last sample: for a penalty, which must fade
   * even when the endpoint it keeps away sends no new samples.
   */
  fadedAt(now: number): number {
    const value = this.#value;
    if (value === undefined) return 0;
    return value * Math.exp(-Math.max(0, now - this.#lastAt) / this.#tauMs);
  }

  /** Records a sample taken at `now` (ms, monotonic). */
  observe(sample: number, now: number): void {
    const current = this.#value;
    if (current === undefined || sample > current) {
      this.#value = sample;
    } else {
      const elapsed = Math.max(0, now - this.#lastAt);
      const w = Math.exp(-elapsed / this.#tauMs);
      this.#value = current * w + sample * (1 - w);
    }
    this.#lastAt = now;
  }
}
