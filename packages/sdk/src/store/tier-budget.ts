import type { RetryBudget } from '../signals/retry-budget.js';
import type { Fleet } from './fleet.js';

/** A retry budget's parameters, as `retry.*` options give them. */
export interface BudgetShape {
  readonly ratio: number;
  /** Retries always allowed over the window, whatever the calls. */
  readonly floor: number;
  readonly windowMs: number;
}

/**
 * A tier's retry budget: local, and with a store also fleet-wide. Calls are deposited in both
 * (the shared deposits are batched into the next sync); a retry is decided by the shared budget
 * — one round trip, on the failure path only — or locally while the store is down. So an outage
 * seen by every process draws on one budget, not one per process, and the floor is the fleet's,
 * not multiplied by its size.
 */
export class TierBudget {
  readonly local: RetryBudget;
  readonly #fleet: Fleet | undefined;
  readonly #key: string;
  readonly #shape: BudgetShape;

  constructor(local: RetryBudget, fleet: Fleet | undefined, key: string, shape: BudgetShape) {
    this.local = local;
    this.#fleet = fleet;
    this.#key = key;
    this.#shape = shape;
  }

  /** Records a call (its first attempt). */
  deposit(now: number): void {
    this.local.deposit(now);
    this.#fleet?.deposit(this.#key, this.#shape.windowMs);
  }

  /** Takes one retry if the budget (fleet-wide when shared) allows it. */
  async retry(now: number): Promise<boolean> {
    const fleet = this.#fleet;
    if (fleet) {
      const { ratio, floor, windowMs } = this.#shape;
      const shared = await fleet.withdraw(this.#key, ratio, floor, windowMs);
      if (shared !== undefined) {
        // The local view learns of it too, for when the store goes away.
        if (shared) this.local.withdraw(now);
        return shared;
      }
    }
    return this.local.tryWithdraw(now);
  }

  /** Retries available now, by the local view (no round trip: a hedge decides on a timer). */
  available(now: number): number {
    return this.local.available(now);
  }

  /**
   * Takes one retry by the local view, for a hedge; with a store the withdrawal is also recorded
   * fleet-wide, so hedges count against the shared budget that later retries check.
   */
  take(now: number): boolean {
    if (!this.local.tryWithdraw(now)) return false;
    const fleet = this.#fleet;
    if (fleet) {
      const { ratio, floor, windowMs } = this.#shape;
      void fleet.withdraw(this.#key, ratio, floor, windowMs, true);
    }
    return true;
  }
}
