import { type MockServer, startMockServer } from '@tiered/mock-server';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createRouter, type Router } from '../src/index.js';
import { redisStore } from '../src/redis.js';
import { redisAvailable, redisForTests, uniqueNamespace } from './redis-server.js';
import { edgeProfile, labOptions } from './two-tier.js';

// Routers on a real Redis, in this process: what the server sees of them (its connections).

let redis: { url: string; stop(): Promise<void> } | undefined;
let raw: Redis | undefined;
let mock: MockServer | undefined;
beforeAll(async () => {
  if (!redisAvailable) return;
  redis = await redisForTests();
  raw = new Redis(redis.url);
});
afterAll(async () => {
  await raw?.quit();
  await redis?.stop();
});
afterEach(async () => {
  await mock?.close();
  mock = undefined;
});

/** Connections the server has open for a namespace's routers (named `tiered:<namespace>`). */
async function connections(namespace: string): Promise<number> {
  const list = (await raw?.client('LIST')) as string;
  return list.split('\n').filter((line) => line.includes(` name=tiered:${namespace} `)).length;
}

async function settles(check: () => Promise<boolean>, timeoutMs = 2_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return check();
}

const ask = (content: string) => ({
  messages: [{ role: 'user' as const, content }],
  max_tokens: 8,
});

describe.runIf(redisAvailable)('routers on Redis leave no connection behind', () => {
  it('two routers sharing one redisStore: none left open once both closed', async () => {
    const profiles = [edgeProfile('edge-1')];
    mock = await startMockServer({ seed: 3, timeScale: 1, endpoints: profiles });
    const namespace = uniqueNamespace('shared');
    const store = redisStore({ url: redis?.url as string, namespace, syncIntervalMs: 20 });
    const routers: Router[] = [0, 1].map(() =>
      createRouter({ ...labOptions(mock as MockServer, profiles), store }),
    );
    await settles(async () => routers.every((r) => r.stats().store?.members === 2));
    for (const r of routers) await r.chat.completions.create(ask('hello'));
    await Promise.all(routers.map((r) => r.close()));
    expect(await settles(async () => (await connections(namespace)) === 0)).toBe(true);
  });

  it('an operation after the last router left fails at once, opening no connection', async () => {
    // A late one: the slot release of a hedge that lost, after the router closed (its fleet had
    // nothing left to write, e.g. degraded). Reconnecting for it would keep the process alive.
    const namespace = uniqueNamespace('late');
    const store = redisStore({ url: redis?.url as string, namespace });
    store.attach();
    await store.ping();
    await store.detach();
    await expect(store.release(`${namespace}:slots:e`, 't', 1)).rejects.toThrow(/detached/);
    await new Promise((r) => setTimeout(r, 100));
    expect(await connections(namespace)).toBe(0);
    // A router that attaches again is served.
    store.attach();
    await store.ping();
    await store.detach();
    expect(await settles(async () => (await connections(namespace)) === 0)).toBe(true);
  });
});
