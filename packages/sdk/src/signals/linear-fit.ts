/**
 * Least-squares fit of `y = intercept + slope · x` with exponential forgetting, updated in O(1).
 * Used to learn an endpoint's prefill cost: time to first token grows with prompt tokens, and the
 * slope is what lets a 50k-token prompt be predicted from 1k-token calls.
 */
export class LinearFit {
  #s0 = 0;
  #sx = 0;
  #sy = 0;
  #sxx = 0;
  #sxy = 0;
  readonly #decay: number;
  readonly #minSpread: number;

  /**
   * @param decay weight kept by old samples per new sample (0.98 ≈ the last 50 samples).
   * @param minSpread smallest standard deviation of x for which a slope is trusted.
   */
  constructor(decay = 0.98, minSpread = 256) {
    this.#decay = decay;
    this.#minSpread = minSpread;
  }

  observe(x: number, y: number): void {
    const d = this.#decay;
    this.#s0 = this.#s0 * d + 1;
    this.#sx = this.#sx * d + x;
    this.#sy = this.#sy * d + y;
    this.#sxx = this.#sxx * d + x * x;
    this.#sxy = this.#sxy * d + x * y;
  }

  /** Total weight of the samples (≈ their count until old ones fade). */
  get weight(): number {
    return this.#s0;
  }

  /** Weighted mean of x; 0 before any sample. */
  get meanX(): number {
    return this.#s0 > 0 ? this.#sx / this.#s0 : 0;
  }

  /** Weighted mean of y; 0 before any sample. */
  get meanY(): number {
    return this.#s0 > 0 ? this.#sy / this.#s0 : 0;
  }

  /** Weighted variance of x, ≥ 0; 0 before two distinct samples. */
  get varX(): number {
    const n = this.#s0;
    return n > 0 ? Math.max(0, this.#sxx / n - (this.#sx / n) ** 2) : 0;
  }

  /** Weighted covariance of x and y; 0 before two distinct samples. */
  get covXY(): number {
    const n = this.#s0;
    return n > 0 ? this.#sxy / n - (this.#sx / n) * (this.#sy / n) : 0;
  }

  /** The slope, ≥ 0, or 0 while the x values seen are too alike to tell. */
  get slope(): number {
    return this.slopeOr(0);
  }

  /** The slope, ≥ 0, or `fallback` while the x values seen are too alike to tell. */
  slopeOr(fallback: number): number {
    const n = this.#s0;
    if (n < 2) return fallback;
    const varX = this.#sxx / n - (this.#sx / n) ** 2;
    if (varX < this.#minSpread * this.#minSpread) return fallback;
    const cov = this.#sxy / n - (this.#sx / n) * (this.#sy / n);
    return Math.max(0, cov / varX);
  }
}
