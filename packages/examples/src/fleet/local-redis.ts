import { redisServerInstalled, startRedisServer } from '@tiered/mock-server';

/** Why the fleet example cannot run: no Redis to share state on. */
export const NO_REDIS =
  'The fleet example needs Redis: set REDIS_URL=redis://host:port, or install redis-server ' +
  '(Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis) and it is started for you.';

/**
 * Redis for the example: `REDIS_URL` if set, else a throwaway `redis-server` on a free port
 * (stopped by `stop()`). Throws {@link NO_REDIS} when there is neither.
 */
export async function localRedis(): Promise<{
  url: string;
  started: boolean;
  stop(): Promise<void>;
}> {
  const url = process.env.REDIS_URL;
  if (url) return { url, started: false, stop: async () => {} };
  if (!redisServerInstalled()) throw new Error(NO_REDIS);
  const server = await startRedisServer();
  return { url: server.url, started: true, stop: () => server.stop() };
}
