/**
 * Where routers keep the state they share: the one narrow interface between the router and a
 * backing store (in-process memory, Redis). The store is dumb storage with atomic operations; what
 * the router does with them — fleet-wide slots, one half-open trial, shared budgets, the fallback
 * to local state when the store is down — lives in the router (`store/fleet.ts`), once for every
 * store.
 *
 * Every operation may reject (the store is unreachable); the router then runs on local state.
 * Durations are relative (`ttlMs`, `leaseMs`): each store measures them on its own clock (Redis:
 * the server's `TIME`), so the clocks of the processes sharing it never have to agree.
 */
export interface StateStore {
  /** What the store is, for stats: `'memory'`, `'redis'`, … */
  readonly kind: string;
  /** Prefix of every key and channel, so several fleets can share one server. */
  readonly namespace: string;
  /** How routers on this store time their leases, syncs and store operations. */
  readonly settings: StoreSettings;

  /**
   * Counting semaphore with leases: takes as many of `tokens` (in order) as `limit` leaves room
   * for, each leased for `leaseMs`; expired leases are dropped first, so a dead holder's slots come
   * back. Resolves with how many were taken (the first n tokens). A token already held counts as
   * taken (and is renewed), full or not: a router that gave up waiting for an answer (its
   * timeout) asks again with the same tokens, and must get the slots it was granted meanwhile.
   */
  acquire(key: string, limit: number, tokens: readonly string[], leaseMs: number): Promise<number>;
  /**
   * Gives a lease back. When the semaphore was full, broadcasts `released:{key}` (see `publish`),
   * so routers waiting for a slot try again at once instead of at their next poll.
   */
  release(key: string, token: string, limit: number): Promise<void>;
  /**
   * Extends leases held (semaphore tokens and reservations); with `force`, re-adds those the store
   * no longer has (after an outage, so it counts what is really in flight). Resolves with how many
   * were missing.
   */
  renew(leases: readonly Lease[], leaseMs: number, force: boolean): Promise<number>;

  /** A lease held by one holder at a time: true if `holder` holds `key` now (taken or extended). */
  claim(key: string, holder: string, ttlMs: number): Promise<boolean>;
  /** Lets a claim go early, if `holder` holds it. */
  unclaim(key: string, holder: string): Promise<void>;

  /** Retry budget over a sliding window: records `calls` calls (deposits). */
  deposit(key: string, calls: number, windowMs: number): Promise<void>;
  /**
   * Takes one retry if `floor + deposits × ratio − withdrawals ≥ 1` over the window; with `force`
   * it is recorded whatever the balance (a hedge decided locally). Resolves with whether it was
   * taken.
   */
  withdraw(
    key: string,
    ratio: number,
    floor: number,
    windowMs: number,
    force: boolean,
  ): Promise<boolean>;

  /**
   * Session budget: reserves `usd` under `token` (leased for `leaseMs`) if what is spent plus what
   * live reservations hold plus `usd` stays within `budgetUsd`.
   */
  reserve(
    key: string,
    token: string,
    usd: number,
    budgetUsd: number,
    leaseMs: number,
    ttlMs: number,
  ): Promise<Ledger & { readonly granted: boolean }>;
  /**
   * Ends a reservation and books what the call spent — once per token: the router replays a
   * settle whose answer it did not get, and the replay of one that happened books nothing.
   */
  settle(key: string, token: string, spentUsd: number, ttlMs: number): Promise<Ledger>;

  /** Small shared records: one field of a hash, the whole key expiring `ttlMs` after the last write. */
  put(key: string, field: string, value: string, ttlMs: number): Promise<void>;
  getAll(key: string): Promise<Record<string, string>>;
  remove(key: string, field: string): Promise<void>;

  /** Broadcasts to every router on the store (itself included). */
  publish(message: string): Promise<void>;
  /** Listens to broadcasts; resolves once subscribed, with the function that stops listening. */
  subscribe(listener: (message: string) => void): Promise<() => void>;

  /** Resolves when the store answers. */
  ping(): Promise<void>;
  /** A router starts using the store: stores count users and close their connections with the last. */
  attach(): void;
  /** A router is done with the store. */
  detach(): Promise<void>;
}

/** A lease a router holds: a semaphore token or a budget reservation. */
export interface Lease {
  readonly kind: 'slot' | 'reservation';
  readonly key: string;
  readonly token: string;
  /** For a reservation re-added after an outage: the amount it holds (USD). */
  readonly usd?: number | undefined;
}

/** A session budget's books as the store has them. */
export interface Ledger {
  readonly spentUsd: number;
  /** USD held by live reservations, this one included. */
  readonly reservedUsd: number;
}

/** Timing of the routers that share a store (the same for all of them). */
export interface StoreSettings {
  /**
   * How long a slot or a budget reservation outlives a router that stopped renewing it (a crash):
   * its slots come back to the fleet within this time. Renewed every third of it. @default 10000
   */
  readonly leaseMs: number;
  /**
   * How often a router publishes its latency signals and load, reads the fleet's, renews its
   * leases and checks a degraded store. @default 1000
   */
  readonly syncIntervalMs: number;
  /** Longest a store operation may take before the router runs on local state. @default 250 */
  readonly timeoutMs: number;
}

/** Options every store accepts. */
export interface StoreOptions {
  /** Prefix of every key and channel. @default 'tiered' */
  readonly namespace?: string | undefined;
  /** See {@link StoreSettings.leaseMs}. @default 10000 */
  readonly leaseMs?: number | undefined;
  /** See {@link StoreSettings.syncIntervalMs}. @default 1000 */
  readonly syncIntervalMs?: number | undefined;
  /** See {@link StoreSettings.timeoutMs}. @default 250 */
  readonly timeoutMs?: number | undefined;
}

/** The operations of a {@link StateStore}: what `createRouter` checks a `store` for. */
export const STATE_STORE_OPERATIONS = [
  'acquire',
  'release',
  'renew',
  'claim',
  'unclaim',
  'deposit',
  'withdraw',
  'reserve',
  'settle',
  'put',
  'getAll',
  'remove',
  'publish',
  'subscribe',
  'ping',
] as const;
