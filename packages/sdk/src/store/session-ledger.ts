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
// Float sums of many small costs must not refuse the exact remainder.
const TOLERANCE = 1 + 1e-9;

/**
 * A session budget shared by every router on the store: spending and reservations live in the
 * store, so a session id used in several processes has one budget, not one each. A reservation
 * is checked and taken atomically there (no two processes can both take the last dollar) and is
 * leased: a crashed process's reservation lapses within `leaseMs`.
 *
 * Degraded, each router may spend its fair share of what was left when the store went away
 * (`left ÷ routers`), so the budget holds through an outage too; its spending is replayed when
 * the store is back.
 */
export class SessionLedger {
  readonly #fleet: Fleet;
  readonly #key: string;
  readonly #budgetUsd: number;
  /** The store's books as last seen (reservations include this router's own). */
  #spentUsd = 0;
  #reservedUsd = 0;
  /** Degraded: this router's share of what was left, and what it spent and holds since. */
  #shareUsd: number | undefined;
  #localSpentUsd = 0;
  #localReservedUsd = 0;

  constructor(fleet: Fleet, sessionId: string, budgetUsd: number) {
    this.#fleet = fleet;
    this.#key = fleet.key('session', sessionId);
    this.#budgetUsd = budgetUsd;
  }

  /** What the session spent fleet-wide, as last seen. */
  get spentUsd(): number {
    return this.#spentUsd;
  }

  /** USD left for new calls, fleet-wide as last seen (degraded: this router's share). */
  available(): number {
    this.#checkMode();
    if (this.#shareUsd !== undefined) {
      return this.#shareUsd - this.#localSpentUsd - this.#localReservedUsd;
    }
    return this.#budgetUsd - this.#spentUsd - this.#reservedUsd;
  }

  /** Reserves `usd` fleet-wide; `undefined` when the budget no longer has it. */
  async reserve(usd: number): Promise<BudgetHold | undefined> {
    const fleet = this.#fleet;
    const token = fleet.newToken();
    if (!fleet.degraded) {
      try {
        const ledger = await fleet.op(() =>
          fleet.store.reserve(
            this.#key,
            token,
            usd,
            this.#budgetUsd,
            fleet.leaseMs,
            SESSION_TTL_MS,
          ),
        );
        this.#see(ledger);
        if (!ledger.granted) return undefined;
        return this.#hold(token, usd, false);
      } catch {
        // Degraded now: decide on the local share below.
      }
    }
    this.#checkMode();
    if (usd > this.available() * TOLERANCE) return undefined;
    this.#localReservedUsd += usd;
    return this.#hold(token, usd, true);
  }

  #hold(token: string, usd: number, local: boolean): BudgetHold {
    const fleet = this.#fleet;
    const lease: Lease = { kind: 'reservation', key: this.#key, token, usd };
    fleet.hold(lease);
    let settled = false;
    return {
      usd,
      settle: (spentUsd) => {
        if (settled) return;
        settled = true;
        fleet.drop(token);
        if (local) this.#localReservedUsd -= usd;
        if (this.#shareUsd !== undefined) this.#localSpentUsd += spentUsd;
        // Seen at once here; the store's answer (or its replay after an outage) makes it exact.
        this.#spentUsd += spentUsd;
        this.#reservedUsd = Math.max(0, this.#reservedUsd - usd);
        fleet.durable(
          () => fleet.store.settle(this.#key, token, spentUsd, SESSION_TTL_MS),
          (ledger) => this.#see(ledger),
        );
      },
    };
  }

  #see(ledger: Ledger): void {
    this.#spentUsd = ledger.spentUsd;
    this.#reservedUsd = ledger.reservedUsd;
  }

  // Entering degraded mode freezes this router's share; leaving it drops the share.
  #checkMode(): void {
    if (this.#fleet.degraded) {
      if (this.#shareUsd === undefined) {
        const left = Math.max(0, this.#budgetUsd - this.#spentUsd - this.#reservedUsd);
        this.#shareUsd = left / Math.max(1, this.#fleet.members);
        this.#localSpentUsd = 0;
      }
    } else if (this.#shareUsd !== undefined) {
      this.#shareUsd = undefined;
    }
  }
}
