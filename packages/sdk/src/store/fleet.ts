import { randomUUID } from 'node:crypto';
import type { ResolvedConfig } from '../config.js';
import type { EndpointSignals } from '../signals/endpoint-signals.js';
import type { HealthTransition } from '../signals/health.js';
import { type FleetSignalsReport, foldFleetSignals, reportSignals } from './fleet-signals.js';
import { type GateHost, SlotGate, type SlotGrant } from './slot-gate.js';
import type { Lease, StateStore } from './state-store.js';

/** What the fleet tells the router. */
export interface FleetHooks {
  /** Another router ejected or restored an endpoint (already applied to its health). */
  onRemoteHealth(s: EndpointSignals, transition: HealthTransition, reason: string): void;
  onDegraded(reason: string): void;
  onRestored(downMs: number): void;
}

/** `router.stats().store`. */
export interface StoreStats {
  /** The store's kind: `'memory'`, `'redis'`, … */
  readonly kind: string;
  readonly namespace: string;
  /** This router's id on the store. */
  readonly memberId: string;
  /** Running on local state because the store did not answer. */
  readonly degraded: boolean;
  /** Times the store was lost since the router started. */
  readonly degradedCount: number;
  /** Routers alive on the store, as last seen (this one included). */
  readonly members: number;
  /** Slot leases and budget reservations this router holds now. */
  readonly leases: number;
  /** Leases found expired when renewed (the process stalled longer than `leaseMs`). */
  readonly leasesLost: number;
}

interface Fact {
  /** Sender's member id. */
  readonly m: string;
  readonly t: 'eject' | 'restore' | 'hold';
  /** Endpoint id. */
  readonly e: string;
  /** Remaining cool-down or hold, ms. */
  readonly ms?: number;
  readonly r?: string;
  /** Ejections in a row. */
  readonly n?: number;
}

interface HealthRecord {
  /** End of the cool-down, epoch ms. */
  readonly until: number;
  readonly r: string;
  readonly n: number;
}

interface Shared {
  ejected: boolean;
  until: number;
  hold: number;
}

const RELEASED = 'released:';

class StoreTimeout extends Error {
  constructor(ms: number) {
    super(`the store did not answer within ${ms}ms`);
  }
}
/** Pending writes kept for when the store returns (session spending, deposits); oldest dropped. */
const MAX_PENDING = 10_000;

/**
 * A router's link to a shared {@link StateStore}: fleet-wide slots, one half-open trial and one
 * prober per endpoint, shared ejections and Retry-After holds, retry budgets, session budgets and
 * affinity, and latency signals. Reads on the routing path stay local (signals are synced in the
 * background); the only round trips on a call's path are the slot acquire and, for sessions with a
 * budget, the reservation.
 *
 * When the store fails or is slow (`timeoutMs`), the fleet turns degraded: calls go on with local
 * state — each router takes its fair share of an endpoint's slots; a session with a budget refuses
 * new calls (only the store knows what the others spent) — and `store:degraded` is emitted. A
 * background ping brings it back (`store:restored`): leases taken meanwhile are registered,
 * spending is replayed.
 */
export class Fleet implements GateHost {
  readonly store: StateStore;
  readonly memberId = randomUUID();
  readonly leaseMs: number;
  readonly pollMs: number;
  readonly #config: ResolvedConfig;
  readonly #signals: readonly EndpointSignals[];
  readonly #hooks: FleetHooks;
  readonly #ns: string;
  readonly #byId = new Map<string, EndpointSignals>();
  /** Slot gates by their store key (what a release notice names), made on first use. */
  readonly #gates = new Map<string, SlotGate>();
  readonly #slotKeys = new Map<EndpointSignals, string>();
  readonly #held = new Map<string, Lease>();
  readonly #shared = new Map<EndpointSignals, Shared>();
  readonly #pending: Array<() => Promise<unknown>> = [];
  #members = 1;
  #degraded = false;
  #degradedAt = 0;
  #degradedCount = 0;
  #leasesLost = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #ticking: Promise<void> | undefined;
  #unsubscribe: (() => void) | undefined;
  #closed = false;
  #nextToken = 0;
  #answered = false;

  constructor(
    store: StateStore,
    config: ResolvedConfig,
    signals: readonly EndpointSignals[],
    hooks: FleetHooks,
  ) {
    this.store = store;
    this.#config = config;
    this.#signals = signals;
    this.#hooks = hooks;
    this.#ns = store.namespace;
    this.leaseMs = store.settings.leaseMs;
    this.pollMs = Math.max(5, Math.min(250, this.leaseMs / 4));
    for (const s of signals) {
      this.#byId.set(s.endpoint.id, s);
      this.#shared.set(s, { ejected: false, until: 0, hold: 0 });
      this.#slotKeys.set(s, this.key('slots', s.endpoint.id));
    }
  }

  get degraded(): boolean {
    return this.#degraded;
  }

  get members(): number {
    return this.#members;
  }

  /** Joins the store: listens to the fleet's broadcasts and starts the background sync. */
  start(): void {
    this.store.attach();
    this.#subscribe();
    this.#schedule(0);
  }

  // Listens to the fleet's broadcasts; a failed attempt is made again when the store is restored.
  #subscribe(): void {
    this.op(() => this.store.subscribe((message) => this.#onMessage(message))).then(
      (unsubscribe) => {
        if (this.#closed) unsubscribe();
        else this.#unsubscribe = unsubscribe;
      },
      () => {},
    );
  }

  /**
   * Runs a store operation within `timeoutMs`. A failure makes the fleet degraded at once; a
   * timeout only when the one before timed out too (one slow answer — a GC pause, a busy moment —
   * is the operation's failure, not the store's).
   */
  op<T>(run: () => Promise<T>): Promise<T> {
    // Left the store (closed): what still ends after close (a lost hedge's slot) asks it nothing.
    if (this.#left) return Promise.reject(new Error('the router left the store'));
    return this.#within(run).then(
      (value) => {
        this.#timeouts = 0;
        return value;
      },
      (error: unknown) => {
        if (!(error instanceof StoreTimeout) || ++this.#timeouts >= 2) {
          this.#degrade((error as Error)?.message ?? String(error));
        }
        throw error;
      },
    );
  }

  #timeouts = 0;
  #left = false;

  // A store operation bounded by `timeoutMs`, whatever the store does: no call hangs on it. Until
  // the store first answered, the bound is wider (a connection is being set up; a fleet that
  // starts at once should not begin degraded for a slow handshake).
  #within<T>(run: () => Promise<T>): Promise<T> {
    const { timeoutMs } = this.store.settings;
    const limitMs = this.#answered ? timeoutMs : Math.max(4 * timeoutMs, 2_000);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new StoreTimeout(limitMs)), limitMs);
      timer.unref?.();
      let pending: Promise<T>;
      try {
        pending = run();
      } catch (error) {
        pending = Promise.reject(error);
      }
      pending.then(
        (value) => {
          clearTimeout(timer);
          this.#answered = true;
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  }

  newToken(): string {
    return `${this.memberId}:${(this.#nextToken++).toString(36)}`;
  }

  hold(lease: Lease): void {
    this.#held.set(lease.token, lease);
  }

  drop(token: string): void {
    this.#held.delete(token);
  }

  key(...parts: string[]): string {
    return `${this.#ns}:${parts.join(':')}`;
  }

  // --- Slots ---------------------------------------------------------------------------------

  /** A slot of the endpoint, fleet-wide (its `maxConcurrency` counts across every router). */
  acquireSlot(s: EndpointSignals, signal: AbortSignal): Promise<SlotGrant> {
    const key = this.#slotKeys.get(s) as string;
    let gate = this.#gates.get(key);
    if (!gate) {
      gate = new SlotGate(this, key, s.endpoint.maxConcurrency);
      gate.refresh();
      this.#gates.set(key, gate);
    }
    return gate.acquire(signal);
  }

  // --- Health: trials, probes, ejections, holds ---------------------------------------------

  /**
   * Whether this router may send the half-open trial to an endpoint: one router fleet-wide does.
   * The others hold off until its outcome arrives (or the claim lapses). Degraded: yes (locally
   * one trial, as without a store).
   */
  async claimTrial(s: EndpointSignals): Promise<boolean> {
    const { firstTokenFloorMs } = this.#config.timeouts;
    const ttlMs = Math.max(2 * firstTokenFloorMs, this.#config.health.cooldownMs);
    // This router's own trial is under way: its other calls wait for the outcome too.
    if (this.#trialing.has(s)) return false;
    if (this.#degraded) return true;
    this.#trialing.add(s);
    let mine = true;
    try {
      mine = await this.op(() =>
        this.store.claim(this.key('trial', s.endpoint.id), this.memberId, ttlMs),
      );
    } catch {
      // Degraded: one trial locally, as without a store.
    }
    if (!mine) {
      this.#trialing.delete(s);
      s.health.trialElsewhere(this.#config.now() + ttlMs);
      return false;
    }
    const timer = setTimeout(() => this.#trialing.delete(s), ttlMs);
    timer.unref?.();
    return true;
  }

  readonly #trialing = new Set<EndpointSignals>();

  /** Whether this router is the one that probes the endpoint (claimed until `ttlMs`). */
  async claimProber(s: EndpointSignals, ttlMs: number): Promise<boolean> {
    if (this.#degraded) return true;
    try {
      return await this.op(() =>
        this.store.claim(this.key('probe', s.endpoint.id), this.memberId, ttlMs),
      );
    } catch {
      return true;
    }
  }

  /**
   * Tells the fleet what changed in an endpoint's health since it last did: an ejection (or a
   * longer cool-down), a restore, a Retry-After hold. Cheap when nothing changed.
   */
  shareHealth(s: EndpointSignals): void {
    // Degraded: what changed stays unshared until the store is back (restore shares it).
    if (this.#degraded) return;
    const shared = this.#shared.get(s) as Shared;
    const h = s.health;
    const now = this.#config.now();
    const id = s.endpoint.id;
    if (h.ejected && (!shared.ejected || h.ejectedUntil !== shared.until)) {
      this.#trialing.delete(s);
      shared.ejected = true;
      shared.until = h.ejectedUntil;
      const ms = Math.max(0, h.ejectedUntil - now);
      this.#publish({ m: this.memberId, t: 'eject', e: id, ms, r: h.reason, n: h.ejections });
      const record: HealthRecord = { until: Date.now() + ms, r: h.reason, n: h.ejections };
      this.#write(() =>
        this.store.put(this.key('health'), id, JSON.stringify(record), this.#recordTtl()),
      );
      // The trial claim (ours after a failed trial, or free) now lasts until the cool-down ends:
      // a router that has not heard of this ejection yet cannot send a second trial meanwhile.
      if (ms > 0) {
        this.#write(() => this.store.claim(this.key('trial', id), this.memberId, ms));
      }
    } else if (!h.ejected && shared.ejected) {
      this.#trialing.delete(s);
      shared.ejected = false;
      this.#publish({ m: this.memberId, t: 'restore', e: id });
      this.#write(() => this.store.remove(this.key('health'), id));
      this.#write(() => this.store.unclaim(this.key('trial', id), this.memberId));
    }
    if (h.heldUntil > shared.hold && h.heldUntil > now) {
      shared.hold = h.heldUntil;
      this.#publish({ m: this.memberId, t: 'hold', e: id, ms: h.heldUntil - now });
    }
  }

  // --- Retry budgets ---------------------------------------------------------------------------

  /** Records calls in a shared retry budget (batched: flushed with the next sync). */
  deposit(key: string, windowMs: number): void {
    const entry = this.#deposits.get(key);
    if (entry) entry[0]++;
    else this.#deposits.set(key, [1, windowMs]);
  }

  readonly #deposits = new Map<string, [number, number]>();

  /**
   * Takes a retry from a shared budget: one round trip, on the failure path only. Resolves
   * `undefined` when the store cannot say (degraded): the caller decides locally.
   */
  async withdraw(
    key: string,
    ratio: number,
    floor: number,
    windowMs: number,
    force = false,
  ): Promise<boolean | undefined> {
    if (this.#degraded) return undefined;
    try {
      return await this.op(() => this.store.withdraw(key, ratio, floor, windowMs, force));
    } catch {
      return undefined;
    }
  }

  // --- Writes that must not be lost --------------------------------------------------------------

  /**
   * A write to the store that must land eventually (spending): tried now, else kept and replayed,
   * in order, when the store is back.
   */
  durable<T>(write: () => Promise<T>, onDone?: (value: T) => void): void {
    if (this.#degraded) {
      this.#keep(write);
      return;
    }
    this.op(write).then(onDone, () => this.#keep(write));
  }

  /** A write that may be lost (the next write repairs it): skipped while degraded. */
  bestEffort(write: () => Promise<unknown>): void {
    this.#write(write);
  }

  // Replays the kept writes in order; stops at the first that fails (kept for the next try).
  async #replay(
    run: (write: () => Promise<unknown>) => Promise<unknown>,
    max = Number.POSITIVE_INFINITY,
  ): Promise<void> {
    for (let n = 0; n < max && this.#pending.length > 0; n++) {
      const write = this.#pending[0] as () => Promise<unknown>;
      await run(write);
      if (this.#pending[0] === write) this.#pending.shift();
    }
  }

  #keep(write: () => Promise<unknown>): void {
    this.#pending.push(write);
    if (this.#pending.length > MAX_PENDING) this.#pending.shift();
  }

  // A best-effort write: lost if the store is down (the next sync or event repairs it).
  #write(write: () => Promise<unknown>): void {
    if (this.#degraded) return;
    this.op(write).catch(() => {});
  }

  #publish(fact: Fact): void {
    this.#write(() => this.store.publish(JSON.stringify(fact)));
  }

  // --- Background sync ------------------------------------------------------------------------

  #schedule(delayMs: number): void {
    if (this.#closed) return;
    const interval = Math.min(this.store.settings.syncIntervalMs, this.leaseMs / 3);
    this.#timer = setTimeout(
      () => {
        this.#ticking = this.tick().finally(() => {
          this.#ticking = undefined;
          // ±10% jitter, so the routers of a fleet do not sync in lockstep.
          this.#schedule(interval * (0.9 + 0.2 * this.#config.random()));
        });
      },
      Math.max(0, delayMs),
    );
    this.#timer.unref?.();
  }

  /**
   * One sync: check a degraded store, renew leases, flush deposits, publish this router's signals
   * and read the fleet's, and catch up on ejections missed while not listening.
   */
  async tick(): Promise<void> {
    if (this.#closed) return;
    if (this.#degraded) {
      try {
        await this.#within(() => this.store.ping());
      } catch {
        return;
      }
      await this.#restore();
    }
    try {
      if (this.#held.size > 0) {
        this.#leasesLost += await this.op(() =>
          this.store.renew([...this.#held.values()], this.leaseMs, false),
        );
      }
      // Writes kept after an answer that did not come in time (one slow answer does not make the
      // fleet degraded, so no restore would replay them): again now, in order — a batch per sync,
      // so that a long backlog does not hold back the next lease renewal.
      await this.#replay((write) => this.op(write), 64);
      for (const [key, [calls, windowMs]] of this.#deposits) {
        this.#deposits.delete(key);
        await this.op(() => this.store.deposit(key, calls, windowMs));
      }
      const signalsKey = this.key('signals');
      const report = reportSignals(this.#signals, Date.now());
      await this.op(() =>
        this.store.put(signalsKey, this.memberId, JSON.stringify(report), 10 * this.#interval()),
      );
      const all = await this.op(() => this.store.getAll(signalsKey));
      this.#foldSignals(all);
      const health = await this.op(() => this.store.getAll(this.key('health')));
      this.#applyRecords(health);
    } catch {
      // Degraded now; the next tick pings.
    }
  }

  #interval(): number {
    return this.store.settings.syncIntervalMs;
  }

  #foldSignals(all: Record<string, string>): void {
    const now = Date.now();
    const freshMs = 3 * this.#interval() + this.store.settings.timeoutMs;
    const others: FleetSignalsReport[] = [];
    let members = 1;
    for (const [member, json] of Object.entries(all)) {
      if (member === this.memberId) continue;
      let report: FleetSignalsReport;
      try {
        report = JSON.parse(json) as FleetSignalsReport;
      } catch {
        continue;
      }
      if (now - report.at > 10 * this.#interval()) {
        // A router gone for good: clear its entry for everyone.
        this.#write(() => this.store.remove(this.key('signals'), member));
        continue;
      }
      if (now - report.at > freshMs) continue;
      members++;
      others.push(report);
    }
    foldFleetSignals(this.#signals, others);
    if (members !== this.#members) {
      this.#members = members;
      for (const gate of this.#gates.values()) gate.refresh();
    }
  }

  #applyRecords(records: Record<string, string>): void {
    for (const [id, json] of Object.entries(records)) {
      const s = this.#byId.get(id);
      if (!s) continue;
      let record: HealthRecord;
      try {
        record = JSON.parse(json) as HealthRecord;
      } catch {
        continue;
      }
      // Ejected by someone and not restored since: eject here too (half-open if the cool-down
      // already ended, so one trial brings it back).
      const until = this.#config.now() + (record.until - Date.now());
      if (!s.health.ejected || until > s.health.ejectedUntil + 1) {
        this.#applyEject(s, until, record.r, record.n);
      }
    }
  }

  #onMessage(message: string): void {
    if (message.startsWith(RELEASED)) {
      this.#gates.get(message.slice(RELEASED.length))?.notice();
      return;
    }
    let fact: Fact;
    try {
      fact = JSON.parse(message) as Fact;
    } catch {
      return;
    }
    if (fact.m === this.memberId) return;
    const s = this.#byId.get(fact.e);
    if (!s) return;
    const now = this.#config.now();
    if (fact.t === 'eject') {
      this.#applyEject(s, now + (fact.ms ?? 0), fact.r ?? 'ejected by another router', fact.n ?? 1);
    } else if (fact.t === 'restore') {
      const transition = s.health.applyRestore();
      const shared = this.#shared.get(s) as Shared;
      shared.ejected = false;
      if (transition) this.#hooks.onRemoteHealth(s, transition, 'restored by another router');
    } else if (fact.t === 'hold') {
      const until = now + (fact.ms ?? 0);
      s.health.holdUntil(until);
      const shared = this.#shared.get(s) as Shared;
      shared.hold = Math.max(shared.hold, until);
    }
  }

  #applyEject(s: EndpointSignals, until: number, reason: string, ejections: number): void {
    const transition = s.health.applyEject(until, reason, ejections);
    const shared = this.#shared.get(s) as Shared;
    shared.ejected = true;
    shared.until = s.health.ejectedUntil;
    if (transition) this.#hooks.onRemoteHealth(s, transition, `${reason} (another router)`);
  }

  #recordTtl(): number {
    return 2 * this.#config.health.maxCooldownMs + 60_000;
  }

  #degrade(reason: string): void {
    if (this.#degraded || this.#closed) return;
    this.#degraded = true;
    this.#degradedAt = this.#config.now();
    this.#degradedCount++;
    // The others' load as last seen would stay frozen for the whole outage and keep steering
    // calls away from endpoints they may have left long ago; each router now keeps to its fair
    // share of slots instead. (Their latency signals stay: they age slowly.)
    for (const s of this.#signals) if (s.fleet) s.fleet = { ...s.fleet, pending: 0 };
    for (const gate of this.#gates.values()) gate.refresh();
    this.#hooks.onDegraded(reason);
  }

  async #restore(): Promise<void> {
    try {
      // What this router holds now counts again, whether it was taken before or during the outage.
      if (this.#held.size > 0) {
        await this.#within(() => this.store.renew([...this.#held.values()], this.leaseMs, true));
      }
      await this.#replay((write) => this.#within(write));
    } catch {
      return; // lost again while catching up: still degraded, the next tick retries
    }
    this.#degraded = false;
    if (!this.#unsubscribe) this.#subscribe();
    for (const gate of this.#gates.values()) gate.refresh();
    for (const s of this.#signals) this.shareHealth(s);
    this.#hooks.onRestored(this.#config.now() - this.#degradedAt);
  }

  stats(): StoreStats {
    return {
      kind: this.store.kind,
      namespace: this.#ns,
      memberId: this.memberId,
      degraded: this.#degraded,
      degradedCount: this.#degradedCount,
      members: this.#members,
      leases: this.#held.size,
      leasesLost: this.#leasesLost,
    };
  }

  /** Leaves the store: stops syncing, flushes what it can, removes this router's entries. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    await this.#ticking;
    this.#unsubscribe?.();
    if (!this.#degraded) {
      const { store } = this;
      const writes: Array<() => Promise<unknown>> = [...this.#pending];
      for (const [key, [calls, windowMs]] of this.#deposits) {
        writes.push(() => store.deposit(key, calls, windowMs));
      }
      writes.push(() => store.remove(this.key('signals'), this.memberId));
      for (const s of this.#signals) {
        writes.push(() => store.unclaim(this.key('probe', s.endpoint.id), this.memberId));
      }
      for (const write of writes) {
        try {
          await this.op(write);
        } catch {
          break;
        }
      }
    }
    this.#left = true;
    await this.store.detach();
  }
}
