import { Redis } from 'ioredis';
import { ConfigError } from '../errors.js';
import { fail, isObject, optionalString } from '../internal/validate.js';
import {
  ACQUIRE,
  CLAIM,
  DEPOSIT,
  PUT,
  RELEASE,
  RENEW,
  RESERVE,
  SETTLE,
  UNCLAIM,
  WITHDRAW,
} from './redis-scripts.js';
import { resolveStoreOptions } from './resolve-store-options.js';
import type { Lease, Ledger, StateStore, StoreOptions, StoreSettings } from './state-store.js';

/** Options of {@link redisStore}. Give `url` or `client`. */
export interface RedisStoreOptions extends StoreOptions {
  /** `redis://[user:password@]host:port[/db]` (or `rediss://`); the store opens its own connections. */
  readonly url?: string | undefined;
  /**
   * An `ioredis` client of yours instead of `url`: the store defines its scripts on it, opens one
   * duplicate for broadcasts, and never closes yours.
   */
  readonly client?: Redis | undefined;
}

// The scripts, as ioredis methods once defined on a client (EVALSHA, EVAL on NOSCRIPT).
interface Scripts {
  tieredAcquire(key: string, limit: number, leaseMs: number, ...tokens: string[]): Promise<number>;
  tieredRelease(
    key: string,
    token: string,
    limit: number,
    channel: string,
    message: string,
  ): Promise<number>;
  tieredRenew(keyCount: number, ...keysThenArgs: Array<string | number>): Promise<number>;
  tieredClaim(key: string, holder: string, ttlMs: number): Promise<number>;
  tieredUnclaim(key: string, holder: string): Promise<number>;
  tieredDeposit(key: string, windowMs: number, calls: number): Promise<number>;
  tieredWithdraw(
    key: string,
    windowMs: number,
    ratio: number,
    floor: number,
    force: string,
  ): Promise<number>;
  tieredReserve(
    key: string,
    token: string,
    usd: string,
    budgetUsd: string,
    leaseMs: number,
    ttlMs: number,
  ): Promise<[number, string, string]>;
  tieredSettle(
    key: string,
    settledKey: string,
    token: string,
    spentUsd: string,
    ttlMs: number,
  ): Promise<[string, string]>;
  tieredPut(key: string, field: string, value: string, ttlMs: number): Promise<number>;
}

const SCRIPTS: Record<keyof Scripts, { lua: string; keys?: number }> = {
  tieredAcquire: { lua: ACQUIRE, keys: 1 },
  tieredRelease: { lua: RELEASE, keys: 1 },
  tieredRenew: { lua: RENEW },
  tieredClaim: { lua: CLAIM, keys: 1 },
  tieredUnclaim: { lua: UNCLAIM, keys: 1 },
  tieredDeposit: { lua: DEPOSIT, keys: 1 },
  tieredWithdraw: { lua: WITHDRAW, keys: 1 },
  tieredReserve: { lua: RESERVE, keys: 1 },
  tieredSettle: { lua: SETTLE, keys: 2 },
  tieredPut: { lua: PUT, keys: 1 },
};

/**
 * A {@link StateStore} on Redis (≥ 6.2; `ioredis`), shared by every router that points at the same
 * server and namespace — processes and hosts alike. Each operation is one Lua script (atomic, one
 * round trip); leases and windows run on the server's clock.
 *
 * The connection fails fast rather than queueing: no offline queue, no per-command retries, a
 * command timeout. When Redis is down or slow, routers run on local state (`store:degraded`) and
 * catch up when it returns; ioredis reconnects in the background.
 *
 * @example
 * import { createRouter } from '@tiered/sdk';
 * import { redisStore } from '@tiered/sdk/redis';
 * const router = createRouter({ endpoints, store: redisStore({ url: process.env.REDIS_URL }) });
 */
export function redisStore(options: RedisStoreOptions): StateStore {
  const { namespace, settings } = resolveStoreOptions('redisStore', options, ['url', 'client']);
  const url = optionalString('redisStore.url', options.url);
  const client = options.client;
  if (client !== undefined && !(isObject(client) && typeof client.duplicate === 'function')) {
    fail('redisStore.client', 'an ioredis client', client);
  }
  if ((url === undefined) === (client === undefined)) {
    throw new ConfigError(
      'redisStore.url',
      'Expected exactly one of `redisStore.url` and `redisStore.client`, got ' +
        (url === undefined ? 'neither' : 'both'),
    );
  }
  if (url !== undefined && !/^rediss?:\/\//.test(url)) {
    fail('redisStore.url', 'a redis:// or rediss:// URL', url.replace(/\/\/[^@/]*@/, '//***@'));
  }
  return new RedisStore(namespace, settings, url, client);
}

class RedisStore implements StateStore {
  readonly kind = 'redis';
  readonly namespace: string;
  readonly settings: StoreSettings;
  readonly #url: string | undefined;
  readonly #given: Redis | undefined;
  readonly #channel: string;
  #client: (Redis & Scripts) | undefined;
  #subscriber: Redis | undefined;
  readonly #listeners = new Set<(message: string) => void>();
  #firstReady: Promise<void> | undefined;
  #users = 0;

  constructor(
    namespace: string,
    settings: StoreSettings,
    url: string | undefined,
    client: Redis | undefined,
  ) {
    this.namespace = namespace;
    this.settings = settings;
    this.#url = url;
    this.#given = client;
    this.#channel = `${namespace}:broadcast`;
  }

  attach(): void {
    this.#users++;
  }

  async detach(): Promise<void> {
    this.#users = Math.max(0, this.#users - 1);
    if (this.#users > 0) return;
    const subscriber = this.#subscriber;
    const own = this.#given ? undefined : this.#client;
    this.#subscriber = undefined;
    this.#firstReady = undefined;
    this.#wasReady = false;
    if (!this.#given) this.#client = undefined;
    await Promise.all([close(subscriber), close(own)]);
  }

  async acquire(
    key: string,
    limit: number,
    tokens: readonly string[],
    leaseMs: number,
  ): Promise<number> {
    const redis = await this.#redis();
    return Number(await redis.tieredAcquire(key, limit, leaseMs, ...tokens));
  }

  async release(key: string, token: string, limit: number): Promise<void> {
    const redis = await this.#redis();
    await redis.tieredRelease(key, token, limit, this.#channel, `released:${key}`);
  }

  async renew(leases: readonly Lease[], leaseMs: number, force: boolean): Promise<number> {
    if (leases.length === 0) return 0;
    const redis = await this.#redis();
    const keys = leases.map((l) => l.key);
    const args: Array<string | number> = [leaseMs, force ? '1' : '0'];
    for (const l of leases) args.push(l.kind === 'slot' ? 's' : 'r', l.token, String(l.usd ?? 0));
    return Number(await redis.tieredRenew(keys.length, ...keys, ...args));
  }

  async claim(key: string, holder: string, ttlMs: number): Promise<boolean> {
    const redis = await this.#redis();
    return Number(await redis.tieredClaim(key, holder, Math.ceil(ttlMs))) === 1;
  }

  async unclaim(key: string, holder: string): Promise<void> {
    const redis = await this.#redis();
    await redis.tieredUnclaim(key, holder);
  }

  async deposit(key: string, calls: number, windowMs: number): Promise<void> {
    const redis = await this.#redis();
    await redis.tieredDeposit(key, windowMs, calls);
  }

  async withdraw(
    key: string,
    ratio: number,
    floor: number,
    windowMs: number,
    force: boolean,
  ): Promise<boolean> {
    const redis = await this.#redis();
    return Number(await redis.tieredWithdraw(key, windowMs, ratio, floor, force ? '1' : '0')) === 1;
  }

  async reserve(
    key: string,
    token: string,
    usd: number,
    budgetUsd: number,
    leaseMs: number,
    ttlMs: number,
  ): Promise<Ledger & { granted: boolean }> {
    const redis = await this.#redis();
    const [granted, spent, reserved] = await redis.tieredReserve(
      key,
      token,
      exact(usd),
      exact(budgetUsd),
      Math.ceil(leaseMs),
      Math.ceil(ttlMs),
    );
    return {
      granted: Number(granted) === 1,
      spentUsd: Number(spent),
      reservedUsd: Number(reserved),
    };
  }

  async settle(key: string, token: string, spentUsd: number, ttlMs: number): Promise<Ledger> {
    const redis = await this.#redis();
    const [spent, reserved] = await redis.tieredSettle(
      key,
      `${key}:settled`,
      token,
      exact(spentUsd),
      Math.ceil(ttlMs),
    );
    return { spentUsd: Number(spent), reservedUsd: Number(reserved) };
  }

  async put(key: string, field: string, value: string, ttlMs: number): Promise<void> {
    const redis = await this.#redis();
    await redis.tieredPut(key, field, value, Math.ceil(ttlMs));
  }

  async getAll(key: string): Promise<Record<string, string>> {
    const redis = await this.#redis();
    return redis.hgetall(key);
  }

  async remove(key: string, field: string): Promise<void> {
    const redis = await this.#redis();
    await redis.hdel(key, field);
  }

  async publish(message: string): Promise<void> {
    const redis = await this.#redis();
    await redis.publish(this.#channel, message);
  }

  async subscribe(listener: (message: string) => void): Promise<() => void> {
    // One subscriber connection for every router on this store: routers that subscribe at once
    // wait for the same one (each opening its own would leave all but the last unclosed).
    this.#subscribing ??= this.#openSubscriber().finally(() => {
      this.#subscribing = undefined;
    });
    await this.#subscribing;
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #subscribing: Promise<void> | undefined;

  async #openSubscriber(): Promise<void> {
    if (this.#subscriber) return;
    const base = await this.#redis();
    if (this.#subscriber) return;
    if (this.#users === 0) throw new Error('the store is detached: no router uses it');
    // Its own connection (a subscribed connection takes no other commands), which queues the
    // SUBSCRIBE until connected and re-subscribes after a reconnect.
    const subscriber = base.duplicate({ enableOfflineQueue: true, maxRetriesPerRequest: null });
    subscriber.on('error', () => {});
    subscriber.on('message', (channel: string, message: string) => {
      if (channel !== this.#channel) return;
      for (const l of this.#listeners) l(message);
    });
    this.#subscriber = subscriber;
    await subscriber.subscribe(this.#channel);
  }

  async ping(): Promise<void> {
    const redis = await this.#redis();
    await redis.ping();
  }

  // The client, with the scripts defined on it.
  async #redis(): Promise<Redis & Scripts> {
    // No router uses the store (the last one closed): a late operation (a lost hedge's slot
    // release, …) must not open a connection nobody will close — it would keep the process alive.
    if (this.#users === 0) throw new Error('the store is detached: no router uses it');
    let client = this.#client;
    if (!client) {
      const base =
        this.#given ??
        new Redis(this.#url as string, {
          enableOfflineQueue: false,
          maxRetriesPerRequest: 0,
          // A backstop only: the router bounds each operation by `timeoutMs` itself and tells a
          // slow answer from a failed one.
          commandTimeout: 4 * this.settings.timeoutMs,
          connectTimeout: Math.max(2_000, 4 * this.settings.timeoutMs),
          retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 6), 2_000),
          connectionName: `tiered:${this.namespace}`,
        });
      // Connection errors surface through the commands that fail; an unhandled 'error' event
      // would only print noise.
      if (!this.#given) base.on('error', () => {});
      for (const [name, { lua, keys }] of Object.entries(SCRIPTS)) {
        if (!(name in base)) {
          base.defineCommand(name, keys === undefined ? { lua } : { lua, numberOfKeys: keys });
        }
      }
      client = base as Redis & Scripts;
      this.#client = client;
    }
    if (client.status !== 'ready' && !this.#wasReady) {
      // Never connected yet: wait for the first connection (the fleet's timeout bounds the wait).
      // Once connected, a lost connection fails commands at once instead.
      const c = client;
      this.#firstReady ??= new Promise<void>((resolve) => c.once('ready', () => resolve()));
      await this.#firstReady;
    }
    if (client.status === 'ready') this.#wasReady = true;
    return client;
  }

  #wasReady = false;
}

// A float as Redis reads it back without loss.
function exact(usd: number): string {
  return usd.toPrecision(17);
}

async function close(client: Redis | undefined): Promise<void> {
  if (!client) return;
  if (client.status === 'ready') {
    try {
      await client.quit();
      return;
    } catch {
      // fall through: drop the connection
    }
  }
  client.disconnect();
}
