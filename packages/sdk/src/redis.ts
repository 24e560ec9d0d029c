/**
 * `@tiered/sdk/redis`: router state shared on Redis, across processes and hosts. Needs the
 * `ioredis` package (an optional peer dependency of `@tiered/sdk`): `npm i ioredis`.
 */
export type { RedisStoreOptions } from './store/redis-store.js';
export { redisStore } from './store/redis-store.js';
