/**
 * A retry budget in the manner of Finagle's RetryBudget and gRPC's retry throttling: every call
 * deposits `ratio` of a retry, a floor of `minPerSec` retries per second is always allowed, and
 * deposits expire after the window. A retry withdraws one. When a tier fails wholesale the
 * budget runs dry, and the outage does not become a retry storm.
 */
export class RetryBudget {
  readonly #ratio: number;
  readonly #minPerSec: number;
  readonly #windowMs: number;
  readonly #bucketMs: number;
  // Ring of per-bucket deposits and withdrawals; 10 buckets over the window.
  readonly #deposits = new Float64Array(10);
  readonly #withdrawals = new Float64Array(10);
  #bucketStart = 0;
  #started = false;
  #bucket = 0;

  constructor(ratio: number, minPerSec: number, windowMs: number) {
    this.#ratio = ratio;
    this.#minPerSec = minPerSec;
    this.#windowMs = windowMs;
    this.#bucketMs = windowMs / 10;
  }

  /** Records a call (its first attempt). */
  deposit(now: number): void {
    this.#advance(now);
    this.#deposits[this.#bucket] = (this.#deposits[this.#bucket] ?? 0) + 1;
  }

  /** Takes one retry if the budget allows it; `ratio` overrides the deposit ratio for this check. */
  tryWithdraw(now: number, ratio = this.#ratio): boolean {
    if (this.available(now, ratio) < 1) return false;
    this.withdraw(now);
    return true;
  }

  /** Records a retry whatever the balance (one a shared budget allowed). */
  withdraw(now: number): void {
    this.#advance(now);
    this.#withdrawals[this.#bucket] = (this.#withdrawals[this.#bucket] ?? 0) + 1;
  }

  /** Retries available now. */
  available(now: number, ratio = this.#ratio): number {
    this.#advance(now);
    let deposits = 0;
    let withdrawals = 0;
    for (let i = 0; i < 10; i++) {
      deposits += this.#deposits[i] ?? 0;
      withdrawals += this.#withdrawals[i] ?? 0;
    }
    const floor = (this.#minPerSec * this.#windowMs) / 1000;
    return floor + deposits * ratio - withdrawals;
  }

  #advance(now: number): void {
    if (!this.#started) {
      this.#started = true;
      this.#bucketStart = now;
    }
    let steps = Math.floor((now - this.#bucketStart) / this.#bucketMs);
    if (steps <= 0) return;
    this.#bucketStart += steps * this.#bucketMs;
    steps = Math.min(steps, 10);
    for (let i = 0; i < steps; i++) {
      this.#bucket = (this.#bucket + 1) % 10;
      this.#deposits[this.#bucket] = 0;
      this.#withdrawals[this.#bucket] = 0;
    }
  }
}
