import { optionalFunction } from '../internal/validate.js';
import { resolveStoreOptions } from './resolve-store-options.js';
import type { Lease, Ledger, StateStore, StoreOptions, StoreSettings } from './state-store.js';

/** Options of {@link memoryStore}. */
export interface MemoryStoreOptions extends StoreOptions {
  /** Clock in ms for leases and windows. @default `Date.now` */
  readonly now?: (() => number) | undefined;
}

interface Session {
  spentUsd: number;
  /** token → [usd, expiresAt] */
  readonly reservations: Map<string, [number, number]>;
  /** Settled tokens → when, oldest first: a settle is booked once. */
  readonly settled: Map<string, number>;
  /** Forgotten then (ms), as a Redis key with a TTL would be. */
  expiresAt: number;
}

interface StoredRecord {
  readonly fields: Map<string, string>;
  expiresAt: number;
}

/** How often expired sessions, records and empty entries are swept out (ms). */
const SWEEP_MS = 10_000;

/** Settled tokens remembered per session (a replayed settle is recognised among them). */
const SETTLED_KEPT = 1_000;

/**
 * A {@link StateStore} in this process's memory. Routers that share one instance share their
 * state — slots, trials, budgets, sessions — as a fleet on Redis would, which is how the fleet
 * logic is tested without a server. Without a `store` option a router has no shared state at all
 * (the behaviour of a single process).
 *
 * @example
 * const store = memoryStore();
 * const a = createRouter({ endpoints, store });
 * const b = createRouter({ endpoints, store }); // a and b never exceed an endpoint's slots together
 */
export function memoryStore(options: MemoryStoreOptions = {}): StateStore {
  const { namespace, settings } = resolveStoreOptions('memoryStore', options, ['now']);
  const now = optionalFunction<() => number>('memoryStore.now', options.now, Date.now);
  return new MemoryStore(namespace, settings, now);
}

class MemoryStore implements StateStore {
  readonly kind = 'memory';
  readonly namespace: string;
  readonly settings: StoreSettings;
  readonly #now: () => number;
  /** Semaphores: key → token → expiresAt. */
  readonly #slots = new Map<string, Map<string, number>>();
  /** Claims: key → [holder, expiresAt]. */
  readonly #claims = new Map<string, [string, number]>();
  /** Budget windows: key → [at, deposits, withdrawals][] (one entry per operation batch). */
  readonly #windows = new Map<string, Array<[number, number, number]>>();
  readonly #sessions = new Map<string, Session>();
  readonly #records = new Map<string, StoredRecord>();
  #nextSweep = 0;
  readonly #listeners = new Set<(message: string) => void>();

  constructor(namespace: string, settings: StoreSettings, now: () => number) {
    this.namespace = namespace;
    this.settings = settings;
    this.#now = now;
  }

  async acquire(
    key: string,
    limit: number,
    tokens: readonly string[],
    leaseMs: number,
  ): Promise<number> {
    const held = this.#live(key);
    const now = this.#now();
    let taken = 0;
    for (const token of tokens) {
      // A token already held is its own slot (asked again after an answer that never arrived).
      if (held.size >= limit && !held.has(token)) break;
      held.set(token, now + leaseMs);
      taken++;
    }
    return taken;
  }

  async release(key: string, token: string, limit: number): Promise<void> {
    const held = this.#live(key);
    const wasFull = held.size >= limit;
    if (held.delete(token) && wasFull) this.#broadcast(`released:${key}`);
  }

  async renew(leases: readonly Lease[], leaseMs: number, force: boolean): Promise<number> {
    const now = this.#now();
    let missing = 0;
    for (const lease of leases) {
      if (lease.kind === 'slot') {
        const held = this.#live(lease.key);
        if (!held.has(lease.token)) missing++;
        if (held.has(lease.token) || force) held.set(lease.token, now + leaseMs);
      } else {
        const session = this.#session(lease.key, 2 * leaseMs);
        const r = session.reservations.get(lease.token);
        if (!r) missing++;
        if (r) r[1] = now + leaseMs;
        else if (force) session.reservations.set(lease.token, [lease.usd ?? 0, now + leaseMs]);
      }
    }
    return missing;
  }

  async claim(key: string, holder: string, ttlMs: number): Promise<boolean> {
    const now = this.#now();
    const current = this.#claims.get(key);
    if (current && current[0] !== holder && current[1] > now) return false;
    this.#claims.set(key, [holder, now + ttlMs]);
    return true;
  }

  async unclaim(key: string, holder: string): Promise<void> {
    if (this.#claims.get(key)?.[0] === holder) this.#claims.delete(key);
  }

  async deposit(key: string, calls: number, windowMs: number): Promise<void> {
    this.#window(key, windowMs).push([this.#now(), calls, 0]);
  }

  async withdraw(
    key: string,
    ratio: number,
    floor: number,
    windowMs: number,
    force: boolean,
  ): Promise<boolean> {
    const entries = this.#window(key, windowMs);
    let deposits = 0;
    let withdrawals = 0;
    for (const [, d, w] of entries) {
      deposits += d;
      withdrawals += w;
    }
    if (!force && floor + deposits * ratio - withdrawals < 1) return false;
    entries.push([this.#now(), 0, 1]);
    return true;
  }

  async reserve(
    key: string,
    token: string,
    usd: number,
    budgetUsd: number,
    leaseMs: number,
    ttlMs: number,
  ): Promise<Ledger & { granted: boolean }> {
    const session = this.#session(key, ttlMs);
    const reservedUsd = this.#reserved(session);
    // A hair of tolerance: float sums of many small costs must not refuse the exact remainder.
    const granted = session.spentUsd + reservedUsd + usd <= budgetUsd * (1 + 1e-9);
    if (granted) session.reservations.set(token, [usd, this.#now() + leaseMs]);
    return {
      granted,
      spentUsd: session.spentUsd,
      reservedUsd: granted ? reservedUsd + usd : reservedUsd,
    };
  }

  async settle(key: string, token: string, spentUsd: number, ttlMs: number): Promise<Ledger> {
    const session = this.#session(key, ttlMs);
    const now = this.#now();
    session.reservations.delete(token);
    for (const [t, at] of session.settled) {
      if (at > now - ttlMs && session.settled.size < SETTLED_KEPT) break;
      session.settled.delete(t);
    }
    if (!session.settled.has(token)) {
      session.spentUsd += spentUsd;
      session.settled.set(token, now);
    }
    return { spentUsd: session.spentUsd, reservedUsd: this.#reserved(session) };
  }

  async put(key: string, field: string, value: string, ttlMs: number): Promise<void> {
    let record = this.#record(key);
    if (!record) {
      record = { fields: new Map(), expiresAt: 0 };
      this.#records.set(key, record);
    }
    record.fields.set(field, value);
    record.expiresAt = this.#now() + ttlMs;
  }

  async getAll(key: string): Promise<Record<string, string>> {
    return Object.fromEntries(this.#record(key)?.fields ?? []);
  }

  async remove(key: string, field: string): Promise<void> {
    this.#record(key)?.fields.delete(field);
  }

  #record(key: string): StoredRecord | undefined {
    this.#sweep();
    const record = this.#records.get(key);
    if (!record || record.expiresAt > this.#now()) return record;
    this.#records.delete(key);
    return undefined;
  }

  // Drops expired sessions and records (keyed by session id: a long-lived process serving many
  // sessions must not keep every one forever), now and then. Slots, claims and windows are keyed
  // by endpoint or tier: few.
  #sweep(): void {
    const now = this.#now();
    if (now < this.#nextSweep) return;
    this.#nextSweep = now + SWEEP_MS;
    for (const [key, session] of this.#sessions) {
      if (session.expiresAt <= now) this.#sessions.delete(key);
    }
    for (const [key, record] of this.#records)
      if (record.expiresAt <= now) this.#records.delete(key);
  }

  async publish(message: string): Promise<void> {
    this.#broadcast(message);
  }

  async subscribe(listener: (message: string) => void): Promise<() => void> {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async ping(): Promise<void> {}

  attach(): void {}

  async detach(): Promise<void> {}

  // Delivered on a later turn, as a network broadcast would be: never inside the publisher's call.
  #broadcast(message: string): void {
    for (const listener of this.#listeners) queueMicrotask(() => listener(message));
  }

  #live(key: string): Map<string, number> {
    let held = this.#slots.get(key);
    if (!held) {
      held = new Map();
      this.#slots.set(key, held);
    }
    const now = this.#now();
    for (const [token, expiresAt] of held) if (expiresAt <= now) held.delete(token);
    return held;
  }

  #window(key: string, windowMs: number): Array<[number, number, number]> {
    let entries = this.#windows.get(key);
    if (!entries) {
      entries = [];
      this.#windows.set(key, entries);
    }
    const since = this.#now() - windowMs;
    let drop = 0;
    while (drop < entries.length && (entries[drop] as [number, number, number])[0] <= since) drop++;
    if (drop > 0) entries.splice(0, drop);
    return entries;
  }

  // A session's books; each write keeps them at least `ttlMs` more.
  #session(key: string, ttlMs: number): Session {
    this.#sweep();
    const now = this.#now();
    let session = this.#sessions.get(key);
    if (!session || session.expiresAt <= now) {
      session = { spentUsd: 0, reservations: new Map(), settled: new Map(), expiresAt: 0 };
      this.#sessions.set(key, session);
    }
    session.expiresAt = Math.max(session.expiresAt, now + ttlMs);
    return session;
  }

  #reserved(session: Session): number {
    const now = this.#now();
    let sum = 0;
    for (const [token, [usd, expiresAt]] of session.reservations) {
      if (expiresAt <= now) session.reservations.delete(token);
      else sum += usd;
    }
    return sum;
  }
}
