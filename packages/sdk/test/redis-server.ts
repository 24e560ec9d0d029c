import { redisServerInstalled, startRedisServer } from '@tiered/mock-server';

/**
 * Redis for tests: `REDIS_URL` when set (CI starts one, see `.ci/run`), else a `redis-server` of
 * the test's own on a free loopback port. Without either, the Redis tests are skipped locally —
 * and fail under CI, where Redis must be present.
 */
export const hasRedisServer = redisServerInstalled();
export const redisAvailable = Boolean(process.env.REDIS_URL) || hasRedisServer;
export const redisRequired = Boolean(process.env.CI);

/** A Redis URL for a test file: `REDIS_URL`, or a server of its own (`stop` it in `afterAll`). */
export async function redisForTests(): Promise<{ url: string; stop(): Promise<void> }> {
  if (process.env.REDIS_URL) return { url: process.env.REDIS_URL, stop: async () => {} };
  const server = await startRedisServer();
  return { url: server.url, stop: () => server.stop() };
}

let namespaces = 0;
/** A namespace no other test uses: tests on one server keep apart by it. */
export function uniqueNamespace(name: string): string {
  return `test-${name}-${process.pid}-${Date.now().toString(36)}-${namespaces++}`;
}
