import { LocalSemaphore, type Release } from './local-semaphore.js';
import type { Lease, StateStore } from './state-store.js';

/** What a gate uses of the fleet. */
export interface GateHost {
  readonly store: StateStore;
  readonly leaseMs: number;
  /** Longest wait between two tries while the endpoint is full (release notices come sooner). */
  readonly pollMs: number;
  /** Routers alive on the store, as last seen (≥ 1). */
  readonly members: number;
  readonly degraded: boolean;
  /** Runs a store operation with the fleet's timeout; a failure puts the fleet in degraded mode. */
  op<T>(run: () => Promise<T>): Promise<T>;
  newToken(): string;
  /** Leases this router holds, renewed by the fleet until dropped. */
  hold(lease: Lease): void;
  drop(token: string): void;
}

interface Waiter {
  readonly token: string;
  readonly signal: AbortSignal;
  readonly resolve: (grant: SlotGrant) => void;
  readonly reject: (reason: unknown) => void;
  readonly onAbort: () => void;
  done: boolean;
  /** Acquire rounds its token was part of: more than one means it waited. */
  tries: number;
}

// Consecutive hand-overs of one fleet slot between calls of this process (see `#serve`).
const MAX_HAND_OVERS = 8;

/** A fleet slot held: how to give it back, and whether the call had to wait for it. */
export interface SlotGrant {
  readonly release: Release;
  readonly waited: boolean;
}

/**
 * One endpoint's slots across every router on the store: a distributed semaphore with leases.
 * Calls of this process wait in one FIFO; one "pump" asks the store for as many slots as there are
 * waiters (one round trip for all of them), then sleeps until a release notice or the poll timer.
 * So each process sends at most one acquire per endpoint at a time, whatever its queue length. A
 * slot released while this process has calls waiting goes straight to the next of them (no round
 * trip), a bounded number of times in a row before it goes back to the store for everyone.
 *
 * While the store is down the gate runs on a local semaphore sized to this process's fair share
 * (`limit ÷ routers last seen`), so the fleet as a whole still stays near the limit.
 */
export class SlotGate {
  readonly #host: GateHost;
  readonly #key: string;
  readonly #limit: number;
  readonly #waiters: Waiter[] = [];
  readonly #local: LocalSemaphore;
  #pumping = false;
  #notices = 0;
  #wake: (() => void) | undefined;

  constructor(host: GateHost, key: string, limit: number) {
    this.#host = host;
    this.#key = key;
    this.#limit = limit;
    this.#local = new LocalSemaphore(limit);
  }

  /** Resolves once a slot is held fleet-wide (or locally, degraded); rejects if `signal` aborts. */
  acquire(signal: AbortSignal): Promise<SlotGrant> {
    if (signal.aborted) return Promise.reject(signal.reason);
    if (this.#host.degraded) return this.#acquireLocally(signal, false);
    return new Promise<SlotGrant>((resolve, reject) => {
      const waiter: Waiter = {
        token: this.#host.newToken(),
        signal,
        resolve,
        reject,
        onAbort: () => {
          if (waiter.done) return;
          waiter.done = true;
          const i = this.#waiters.indexOf(waiter);
          if (i >= 0) this.#waiters.splice(i, 1);
          reject(signal.reason);
        },
        done: false,
        tries: 0,
      };
      signal.addEventListener('abort', waiter.onAbort, { once: true });
      this.#waiters.push(waiter);
      void this.#pump();
    });
  }

  /** A release notice for this endpoint: someone gave a slot back. */
  notice(): void {
    this.#notices++;
    this.#wake?.();
  }

  /** The fleet changed mode (degraded or restored) or its member count: re-size and re-route. */
  refresh(): void {
    this.#local.limit = Math.max(1, Math.floor(this.#limit / Math.max(1, this.#host.members)));
    this.#wake?.();
  }

  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      while (this.#waiters.length > 0) {
        if (this.#host.degraded) {
          // The store is gone: every waiter moves to the local fair share.
          for (const w of this.#waiters.splice(0)) this.#handOver(w);
          return;
        }
        const batch = this.#waiters.slice(0, 64);
        for (const w of batch) w.tries++;
        const seen = this.#notices;
        let taken: number;
        try {
          taken = await this.#host.op(() =>
            this.#host.store.acquire(
              this.#key,
              this.#limit,
              batch.map((w) => w.token),
              this.#host.leaseMs,
            ),
          );
        } catch {
          continue; // degraded now: the loop hands the waiters over
        }
        for (let i = 0; i < taken; i++) this.#grant(batch[i] as Waiter);
        if (taken === batch.length || this.#notices !== seen) continue;
        await this.#sleep();
      }
    } finally {
      this.#pumping = false;
    }
  }

  #grant(w: Waiter): void {
    const i = this.#waiters.indexOf(w);
    if (i >= 0) this.#waiters.splice(i, 1);
    const lease: Lease = { kind: 'slot', key: this.#key, token: w.token };
    if (w.done) {
      // Aborted, or served by a hand-over, while its slot was being taken: give it straight back.
      this.#releaseShared(lease);
      return;
    }
    this.#host.hold(lease);
    this.#serve(w, lease, 0, w.tries > 1);
  }

  // Gives a held fleet slot to a waiter. On release, the slot goes to the next waiter of this
  // process without a round trip — at most MAX_HAND_OVERS times in a row, so that on a contended
  // endpoint the other processes get their turn: then it is released to the store, where every
  // process's pump competes for it.
  #serve(w: Waiter, lease: Lease, handOvers: number, waited: boolean): void {
    w.done = true;
    w.signal.removeEventListener('abort', w.onAbort);
    const releaseCount = this.#local.take();
    let released = false;
    w.resolve({
      release: () => {
        if (released) return;
        released = true;
        releaseCount();
        const next = handOvers < MAX_HAND_OVERS && !this.#host.degraded && this.#nextWaiter();
        if (next) {
          this.#serve(next, lease, handOvers + 1, true);
          return;
        }
        this.#host.drop(lease.token);
        this.#releaseShared(lease);
      },
      waited,
    });
  }

  #nextWaiter(): Waiter | undefined {
    let w = this.#waiters.shift();
    while (w?.done) w = this.#waiters.shift();
    return w;
  }

  #releaseShared(lease: Lease): void {
    // A failed release is not retried: the lease expires on its own within leaseMs.
    this.#host
      .op(() => this.#host.store.release(lease.key, lease.token, this.#limit))
      .catch(() => {});
  }

  #handOver(w: Waiter): void {
    w.signal.removeEventListener('abort', w.onAbort);
    if (w.done) return;
    w.done = true;
    this.#acquireLocally(w.signal, true).then(w.resolve, w.reject);
  }

  /**
   * A slot of the local fair share. It is still leased under a token (held, not in the store), so
   * that when the store comes back the fleet re-registers it and the store counts it.
   */
  async #acquireLocally(signal: AbortSignal, waited: boolean): Promise<SlotGrant> {
    const wait = waited || !this.#local.free;
    const releaseLocal = await this.#local.acquire(signal);
    if (!this.#host.degraded) {
      // The store came back while this call waited for the local share: the slot is the store's
      // to give (a local one now would be counted nowhere but here, over the fleet's limit).
      releaseLocal();
      const grant = await this.acquire(signal);
      return { release: grant.release, waited: true };
    }
    const lease: Lease = { kind: 'slot', key: this.#key, token: this.#host.newToken() };
    this.#host.hold(lease);
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        releaseLocal();
        this.#host.drop(lease.token);
        // Even while degraded: the store may be back and catching up — the renew that registers
        // held leases may already have added this one. (Releasing a token the store never had
        // does nothing; while it is down the release just fails.)
        this.#releaseShared(lease);
      },
      waited: wait,
    };
  }

  // Until a release notice, a change of mode, or the poll timer (which also finds the slots of a
  // dead router once their leases expire).
  #sleep(): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(wake, this.#host.pollMs);
      timer.unref?.();
      const self = this;
      function wake() {
        clearTimeout(timer);
        self.#wake = undefined;
        resolve();
      }
      this.#wake = wake;
    });
  }
}
