/**
 * The last N samples in a ring buffer, for percentiles (p50/p95/p99) in stats and for the hedge
 * delay. Percentiles are computed on demand and cached until enough new samples arrive, so the
 * per-call cost is one array store.
 */
export class SampleWindow {
  readonly #samples: Float64Array;
  #count = 0;
  #next = 0;
  #sorted: Float64Array | undefined;
  #sortedAtCount = -1;

  constructor(capacity = 256) {
    this.#samples = new Float64Array(capacity);
  }

  get size(): number {
    return Math.min(this.#count, this.#samples.length);
  }

  add(value: number): void {
    this.#samples[this.#next] = value;
    this.#next = (this.#next + 1) % this.#samples.length;
    this.#count++;
  }

  /** Nearest-rank percentile, q in [0, 1]; `undefined` when empty. */
  percentile(q: number): number | undefined {
    const size = this.size;
    if (size === 0) return undefined;
    // Re-sort only after 1/16 of the window changed: percentiles move slowly.
    if (!this.#sorted || this.#count - this.#sortedAtCount >= Math.max(1, size >> 4)) {
      this.#sorted = this.#samples.slice(0, size).sort();
      this.#sortedAtCount = this.#count;
    }
    const sorted = this.#sorted;
    const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
    return sorted[rank];
  }
}
