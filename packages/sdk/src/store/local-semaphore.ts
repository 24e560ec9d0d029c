/** Gives a slot back; safe to call more than once. */
export type Release = () => void;

interface Waiter {
  readonly resolve: (release: Release) => void;
}

/**
 * A counting semaphore in this process, FIFO, with a limit that can change while it is in use
 * (slots already held stay held; new ones wait until the count is under the new limit). The fleet
 * falls back to it while the store is down, with the limit set to this process's fair share; it
 * also counts the slots the store granted (`take`), so a process that held many when the store
 * went away takes no more until it is under its share.
 */
export class LocalSemaphore {
  #limit: number;
  #held = 0;
  readonly #waiters: Waiter[] = [];

  constructor(limit: number) {
    this.#limit = limit;
  }

  get held(): number {
    return this.#held;
  }

  /** A slot can be had without waiting. */
  get free(): boolean {
    return this.#held < this.#limit && this.#waiters.length === 0;
  }

  set limit(value: number) {
    this.#limit = value;
    this.#drain();
  }

  /** Resolves with a release once a slot is free; rejects with the signal's reason if it aborts first. */
  acquire(signal: AbortSignal): Promise<Release> {
    if (signal.aborted) return Promise.reject(signal.reason);
    if (this.#held < this.#limit && this.#waiters.length === 0) {
      return Promise.resolve(this.#take());
    }
    return new Promise<Release>((resolve, reject) => {
      const waiter: Waiter = {
        resolve: (release) => {
          signal.removeEventListener('abort', onAbort);
          resolve(release);
        },
      };
      const onAbort = () => {
        const i = this.#waiters.indexOf(waiter);
        if (i >= 0) this.#waiters.splice(i, 1);
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.#waiters.push(waiter);
    });
  }

  /**
   * Counts a slot held elsewhere (granted by the store) without waiting, so that if the fleet
   * falls back to this semaphore, what this process already holds counts against its share.
   */
  take(): Release {
    return this.#take();
  }

  #take(): Release {
    this.#held++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#held--;
      this.#drain();
    };
  }

  #drain(): void {
    while (this.#held < this.#limit && this.#waiters.length > 0) {
      (this.#waiters.shift() as Waiter).resolve(this.#take());
    }
  }
}
