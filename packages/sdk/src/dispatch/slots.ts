import PQueue from 'p-queue';
import type { EndpointSignals } from '../signals/endpoint-signals.js';
import type { Fleet } from '../store/fleet.js';

/** Releases a slot; safe to call more than once. */
export type Release = () => void;

/** A slot held, and whether the call had to wait in a queue for it. */
export interface Slot {
  readonly release: Release;
  readonly queued: boolean;
}

/**
 * Concurrency slots: one p-queue per endpoint (its `maxConcurrency`, priorities, abort while
 * queued) and one global queue (`maxConcurrency` of the router). With a shared store, a call that
 * holds its local slot then takes a fleet-wide one (the endpoint's `maxConcurrency` counts across
 * every router on the store; the router's own `maxConcurrency` stays per process). A slot is held
 * for the whole attempt — for a stream, until the stream ends. Endpoints without a limit skip the
 * queues.
 */
export class Slots {
  readonly #queues = new Map<EndpointSignals, PQueue>();
  readonly #global: PQueue | undefined;
  readonly #fleet: Fleet | undefined;

  constructor(globalLimit: number, fleet?: Fleet) {
    this.#global = Number.isFinite(globalLimit)
      ? new PQueue({ concurrency: globalLimit })
      : undefined;
    this.#fleet = fleet;
  }

  /** Waits for a slot on the endpoint (and a global one); rejects if `signal` aborts first. */
  async acquire(s: EndpointSignals, signal: AbortSignal, priority: number): Promise<Slot> {
    const limit = s.endpoint.maxConcurrency;
    let releaseEndpoint: Release | undefined;
    // Whether the call had to queue: all slots were taken when it asked.
    let queued = this.#global !== undefined && this.#global.pending >= this.#global.concurrency;
    if (Number.isFinite(limit)) {
      let queue = this.#queues.get(s);
      if (!queue) {
        queue = new PQueue({ concurrency: limit });
        this.#queues.set(s, queue);
      }
      queued ||= queue.pending >= queue.concurrency;
      s.queued++;
      try {
        const releaseLocal = await holdSlot(queue, signal, priority);
        releaseEndpoint = releaseLocal;
        if (this.#fleet) {
          try {
            const grant = await this.#fleet.acquireSlot(s, signal);
            queued ||= grant.waited;
            releaseEndpoint = () => {
              grant.release();
              releaseLocal();
            };
          } catch (error) {
            releaseLocal();
            throw error;
          }
        }
      } finally {
        s.queued--;
      }
    }
    let releaseGlobal: Release | undefined;
    if (this.#global) {
      try {
        releaseGlobal = await holdSlot(this.#global, signal, priority);
      } catch (error) {
        releaseEndpoint?.();
        throw error;
      }
    }
    s.inFlight++;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      s.inFlight--;
      releaseGlobal?.();
      releaseEndpoint?.();
    };
    return { release, queued };
  }
}

/**
 * Waits for a slot of a p-queue and holds it until released: the queue's task is a promise that
 * settles on release. Rejects with the signal's reason if it aborts while queued.
 */
export function holdSlot(
  queue: PQueue,
  signal: AbortSignal | undefined,
  priority: number,
): Promise<Release> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise<Release>((resolve, reject) => {
    queue
      .add(() => new Promise<void>((done) => resolve(() => done())), { signal, priority })
      .catch(reject);
  });
}
