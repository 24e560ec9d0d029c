import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryStore, type StateStore } from '../src/index.js';
import { redisStore } from '../src/redis.js';
import { redisAvailable, redisForTests, redisRequired, uniqueNamespace } from './redis-server.js';

// The same contract, held by every store: the fleet logic relies on exactly these semantics.

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let redis: { url: string; stop(): Promise<void> } | undefined;
beforeAll(async () => {
  if (redisAvailable) redis = await redisForTests();
});
afterAll(async () => {
  await redis?.stop();
});

it('Redis is available where it must be (CI)', () => {
  if (redisRequired) expect(redisAvailable, 'CI needs redis-server or REDIS_URL').toBe(true);
});

const stores: Array<[string, () => StateStore, boolean]> = [
  ['memory', () => memoryStore({ namespace: uniqueNamespace('mem') }), true],
  [
    'redis',
    () => redisStore({ url: redis?.url ?? 'redis://unused', namespace: uniqueNamespace('redis') }),
    redisAvailable,
  ],
];

describe.each(stores)('%s store', (_name, make, available) => {
  let store: StateStore;
  const key = (k: string) => `${store.namespace}:${k}`;

  beforeAll(() => {
    if (!available) return;
    store = make();
    store.attach();
  });
  afterAll(async () => {
    if (available) await store.detach();
  });

  it.runIf(available)('a semaphore grants up to its limit, in token order', async () => {
    const k = key('sem');
    expect(await store.acquire(k, 3, ['a', 'b'], 5_000)).toBe(2);
    expect(await store.acquire(k, 3, ['c', 'd', 'e'], 5_000)).toBe(1);
    expect(await store.acquire(k, 3, ['d'], 5_000)).toBe(0);
    await store.release(k, 'a', 3);
    expect(await store.acquire(k, 3, ['d', 'e'], 5_000)).toBe(1);
  });

  it.runIf(available)('a token already held counts as taken, even when full', async () => {
    const k = key('again');
    expect(await store.acquire(k, 2, ['a', 'b'], 5_000)).toBe(2);
    // The answer was lost: the holder asks again, with one more token.
    expect(await store.acquire(k, 2, ['a', 'b', 'c'], 5_000)).toBe(2);
    expect(await store.acquire(k, 2, ['c'], 5_000)).toBe(0);
    await store.release(k, 'a', 2);
    expect(await store.acquire(k, 2, ['b', 'c'], 5_000)).toBe(2);
  });

  it.runIf(available)('a release of a full semaphore is broadcast, of a free one not', async () => {
    const k = key('notice');
    const heard: string[] = [];
    const stop = await store.subscribe((m) => heard.push(m));
    await store.acquire(k, 2, ['a', 'b'], 5_000);
    await store.release(k, 'a', 2); // was full: waiters are told
    await store.release(k, 'b', 2); // was not full
    await sleep(50);
    stop();
    expect(heard.filter((m) => m === `released:${k}`)).toHaveLength(1);
  });

  it.runIf(available)('an unrenewed lease lapses, a renewed one holds', async () => {
    const k = key('lease');
    expect(await store.acquire(k, 2, ['kept', 'lost'], 150)).toBe(2);
    await sleep(90);
    expect(await store.renew([{ kind: 'slot', key: k, token: 'kept' }], 150, false)).toBe(0);
    await sleep(90);
    // 'lost' expired (180 ms > 150 ms), 'kept' was renewed: one slot free.
    expect(await store.acquire(k, 2, ['x', 'y'], 150)).toBe(1);
  });

  it.runIf(available)('renew with force re-adds leases the store lost', async () => {
    const k = key('force');
    const leases = [
      { kind: 'slot' as const, key: k, token: 'a' },
      { kind: 'slot' as const, key: k, token: 'b' },
    ];
    expect(await store.renew(leases, 5_000, false)).toBe(2);
    expect(await store.acquire(k, 2, ['c'], 5_000)).toBe(1); // not re-added without force
    await store.release(k, 'c', 2);
    expect(await store.renew(leases, 5_000, true)).toBe(2);
    expect(await store.acquire(k, 2, ['c'], 5_000)).toBe(0); // both count now
  });

  it.runIf(available)('a claim has one holder until it lapses or is let go', async () => {
    const k = key('claim');
    expect(await store.claim(k, 'A', 150)).toBe(true);
    expect(await store.claim(k, 'B', 150)).toBe(false);
    expect(await store.claim(k, 'A', 150)).toBe(true); // extended by its holder
    await store.unclaim(k, 'B'); // not B's to let go
    expect(await store.claim(k, 'B', 150)).toBe(false);
    await store.unclaim(k, 'A');
    expect(await store.claim(k, 'B', 150)).toBe(true);
    await sleep(200);
    expect(await store.claim(k, 'A', 150)).toBe(true);
  });

  it.runIf(available)('a retry budget allows floor + ratio × calls over its window', async () => {
    const k = key('budget');
    const take = () => store.withdraw(k, 0.5, 2, 10_000, false);
    expect([await take(), await take(), await take()]).toEqual([true, true, false]);
    await store.deposit(k, 4, 10_000); // + 4 × 0.5 = 2 more
    expect([await take(), await take(), await take()]).toEqual([true, true, false]);
    expect(await store.withdraw(k, 0.5, 2, 10_000, true)).toBe(true); // forced: recorded anyway
    await store.deposit(k, 2, 10_000); // + 1, but the forced one used it
    expect(await take()).toBe(false);
  });

  it.runIf(available)('a retry budget forgets what left its window', async () => {
    const k = key('window');
    expect(await store.withdraw(k, 0, 1, 200, false)).toBe(true);
    expect(await store.withdraw(k, 0, 1, 200, false)).toBe(false);
    await sleep(300);
    expect(await store.withdraw(k, 0, 1, 200, false)).toBe(true);
  });

  it.runIf(available)('a session budget reserves atomically and books what was spent', async () => {
    const k = key('session');
    const r1 = await store.reserve(k, 't1', 0.6, 1, 5_000, 60_000);
    expect(r1).toEqual({ granted: true, spentUsd: 0, reservedUsd: 0.6 });
    const r2 = await store.reserve(k, 't2', 0.5, 1, 5_000, 60_000);
    expect(r2.granted).toBe(false);
    expect(r2.reservedUsd).toBeCloseTo(0.6, 12);
    const settled = await store.settle(k, 't1', 0.25, 60_000);
    expect(settled.spentUsd).toBeCloseTo(0.25, 12);
    expect(settled.reservedUsd).toBe(0);
    const r3 = await store.reserve(k, 't3', 0.75, 1, 5_000, 60_000);
    expect(r3.granted).toBe(true); // 0.25 + 0.75 = 1: the exact remainder is allowed
  });

  it.runIf(available)('sums of small costs stay exact', async () => {
    const k = key('floats');
    for (let i = 0; i < 10; i++) {
      await store.reserve(k, `t${i}`, 0.1, 1, 5_000, 60_000);
      await store.settle(k, `t${i}`, 0.1, 60_000);
    }
    const last = await store.reserve(k, 'over', 1e-6, 1, 5_000, 60_000);
    expect(last.granted).toBe(false);
    expect(last.spentUsd).toBeCloseTo(1, 12);
  });

  it.runIf(available)('a settle is booked once per token (a replay books nothing)', async () => {
    const k = key('replay');
    await store.reserve(k, 't1', 0.5, 1, 5_000, 60_000);
    expect((await store.settle(k, 't1', 0.25, 60_000)).spentUsd).toBeCloseTo(0.25, 12);
    expect((await store.settle(k, 't1', 0.25, 60_000)).spentUsd).toBeCloseTo(0.25, 12);
    // A settle whose reservation lapsed (a long outage) is booked all the same.
    expect((await store.settle(k, 't2', 0.5, 60_000)).spentUsd).toBeCloseTo(0.75, 12);
  });

  it.runIf(available)("a dead process's reservation lapses with its lease", async () => {
    const k = key('lapse');
    expect((await store.reserve(k, 'dead', 1, 1, 150, 60_000)).granted).toBe(true);
    expect((await store.reserve(k, 'x', 0.5, 1, 150, 60_000)).granted).toBe(false);
    await sleep(200);
    expect((await store.reserve(k, 'x', 0.5, 1, 150, 60_000)).granted).toBe(true);
  });

  it.runIf(available)(
    'a session and a record are forgotten ttlMs after their last write',
    async () => {
      const s = key('ttl-session');
      const r = key('ttl-record');
      await store.reserve(s, 't', 0.5, 1, 5_000, 150);
      await store.settle(s, 't', 0.5, 150);
      await store.put(r, 'f', 'v', 150);
      await sleep(250);
      expect((await store.reserve(s, 'u', 0, 1, 5_000, 150)).spentUsd).toBe(0);
      expect(await store.getAll(r)).toEqual({});
    },
  );

  it.runIf(available)('records: put, read all, remove', async () => {
    const k = key('records');
    await store.put(k, 'a', '1', 60_000);
    await store.put(k, 'b', '2', 60_000);
    await store.remove(k, 'a');
    expect(await store.getAll(k)).toEqual({ b: '2' });
    expect(await store.getAll(key('none'))).toEqual({});
  });

  it.runIf(available)('broadcasts reach every subscriber', async () => {
    const heard: string[][] = [[], []];
    const stops = await Promise.all(heard.map((h) => store.subscribe((m) => h.push(m))));
    await store.publish('hello');
    await sleep(50);
    for (const stop of stops) stop();
    await store.publish('after');
    await sleep(50);
    expect(heard).toEqual([['hello'], ['hello']]);
  });
});

describe.runIf(redisAvailable)('redis store, as the server sees it', () => {
  let raw: Redis;
  beforeAll(() => {
    raw = new Redis(redis?.url as string);
  });
  afterAll(async () => {
    await raw.quit();
  });

  it('a reservation re-added after an outage does not make its session live forever', async () => {
    const store = redisStore({ url: redis?.url as string, namespace: uniqueNamespace('readd') });
    store.attach();
    const k = `${store.namespace}:session:s`;
    // The session's key expired meanwhile; the router re-adds the reservation it still holds.
    await store.renew([{ kind: 'reservation', key: k, token: 't', usd: 0.5 }], 1_000, true);
    const ttl = await raw.pttl(k);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(2_000);
    await store.detach();
  });

  it('a retry budget that only takes deposits stays within its window', async () => {
    const store = redisStore({ url: redis?.url as string, namespace: uniqueNamespace('window') });
    store.attach();
    const k = `${store.namespace}:retry`;
    // A 50 ms window: 10 buckets of 5 ms. Healthy traffic deposits, never withdraws.
    for (let i = 0; i < 40; i++) {
      await store.deposit(k, 1, 50);
      await sleep(6);
    }
    expect(await raw.hlen(k)).toBeLessThanOrEqual(10);
    await store.detach();
  });
});
