import { StoreUnavailableError } from '../errors.js';
import type { Fleet } from './fleet.js';
import type { Lease, Ledger } from './state-store.js';

/** A reservation a call holds on a session budget. */
export interface BudgetHold {
  /** USD held for the call's worst case. */
  readonly usd: number;
  /** Ends the reservation and books what the call spent. */
  settle(spentUsd: number): void;
}

/** Sessions are forgotten by the store a day after their last call. */
export const SESSION_TTL_MS = 24 * 3_600_000;

/**
 * A session budget shared by every router on the store: spending and reservations live in the
 * store, so a session id used in several processes has one budget, not one each. A reservation
 * is checked and taken atomically there — no two processes can both take the last dollar — and
 * leased: a crashed process's reservation lapses within `leaseMs`.
 *
 * When the store does not answer, a reservation is refused (`StoreUnavailableError`, nothing
 * sent): only the store knows what the other processes spent, and a budget is a promise about
 * money. Spending of calls already under way is kept and replayed when the store is back.
 */
export class SessionLedger {
  readonly #fleet: Fleet;
  readonly #sessionId: string;
  readonly #key: string;
  readonly #budgetUsd: number;
  /** The store's books as last seen (reservations include this router's own). */
  #spentUsd = 0;
  #reservedUsd = 0;

  constructor(fleet: Fleet, sessionId: string, budgetUsd: number) {
    this.#fleet = fleet;
    this.#sessionId = sessionId;
    this.#key = fleet.key('session', sessionId);
    this.#budgetUsd = budgetUsd;
  }

  /** What the session spent fleet-wide, as last seen. */
  get spentUsd(): number {
    return this.#spentUsd;
  }

  /** USD left for new calls, fleet-wide as last seen. */
  available(): number {
    return this.#budgetUsd - this.#spentUsd - this.#reservedUsd;
  }

  /**
   * Reserves `usd` fleet-wide; `undefined` when the budget no longer has it.
   * @throws {StoreUnavailableError} when the store cannot be asked.
   */
  async reserve(usd: number): Promise<BudgetHold | undefined> {
    const fleet = this.#fleet;
    const token = fleet.newToken();
    let ledger: Ledger & { granted: boolean };
    try {
      if (fleet.degraded) throw new Error('the store is degraded');
      ledger = await fleet.op(() =>
        fleet.store.reserve(this.#key, token, usd, this.#budgetUsd, fleet.leaseMs, SESSION_TTL_MS),
      );
    } catch (cause) {
      throw new StoreUnavailableError(
        `Failed to reserve $${usd.toPrecision(3)} of session ${this.#sessionId}'s budget: the shared store did not answer (${(cause as Error)?.message ?? String(cause)}); nothing was sent`,
        this.#sessionId,
        cause,
      );
    }
    this.#see(ledger);
    if (!ledger.granted) return undefined;
    const lease: Lease = { kind: 'reservation', key: this.#key, token, usd };
    fleet.hold(lease);
    let settled = false;
    return {
      usd,
      settle: (spentUsd) => {
        if (settled) return;
        settled = true;
        fleet.drop(token);
        // Seen at once here; the store's answer (or its replay after an outage) makes it exact.
        this.#spentUsd += spentUsd;
        this.#reservedUsd = Math.max(0, this.#reservedUsd - usd);
        fleet.durable(
          () => fleet.store.settle(this.#key, token, spentUsd, SESSION_TTL_MS),
          (books) => this.#see(books),
        );
      },
    };
  }

  #see(ledger: Ledger): void {
    this.#spentUsd = ledger.spentUsd;
    this.#reservedUsd = ledger.reservedUsd;
  }
}
