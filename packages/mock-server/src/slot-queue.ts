interface Waiter {
  readonly grant: (granted: boolean) => void;
}

/**
 * Concurrency slots with a FIFO queue beyond them, like a model server's batch slots. A waiter whose
 * client goes away leaves the queue at once, so an aborted request never takes a slot.
 */
export class SlotQueue {
  #limit: number;
  #active = 0;
  readonly #waiters: Waiter[] = [];

  /** @param limit number of slots; `Infinity` for no limit. */
  constructor(limit: number) {
    this.#limit = limit;
  }

  /** Slots taken now. */
  get active(): number {
    return this.#active;
  }

  /** Requests waiting now. */
  get queued(): number {
    return this.#waiters.length;
  }

  /** Takes a slot now if one is free (and nobody waits: FIFO). */
  tryAcquire(): boolean {
    if (this.#active < this.#limit && this.#waiters.length === 0) {
      this.#active++;
      return true;
    }
    return false;
  }

  /**
   * Waits for a slot. Resolves `true` with the slot taken, or `false` when `signal` aborted first
   * (the waiter has then left the queue).
   */
  acquire(signal: AbortSignal): Promise<boolean> {
    if (signal.aborted) return Promise.resolve(false);
    if (this.tryAcquire()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter: Waiter = {
        grant: (granted) => {
          signal.removeEventListener('abort', onAbort);
          resolve(granted);
        },
      };
      const onAbort = (): void => {
        const index = this.#waiters.indexOf(waiter);
        if (index >= 0) this.#waiters.splice(index, 1);
        waiter.grant(false);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.#waiters.push(waiter);
    });
  }

  /** Frees a slot and hands it to the oldest waiter. */
  release(): void {
    this.#active--;
    this.#drain();
  }

  /** Changes the number of slots; more slots admit waiters at once, fewer take effect as slots free. */
  setLimit(limit: number): void {
    this.#limit = limit;
    this.#drain();
  }

  #drain(): void {
    while (this.#active < this.#limit && this.#waiters.length > 0) {
      const waiter = this.#waiters.shift();
      this.#active++;
      waiter?.grant(true);
    }
  }
}
