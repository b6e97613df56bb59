import { createPool, type Pool, type PoolOptions } from '@redpool/pool';

/**
 * Pool settings for a cache that must never hold its callers up: while the cache Redis is
 * unreachable, a few commands wait for the reconnect at most `commandTimeoutMs` and the rest
 * fail at once (`offlineQueue`), and every failure is a miss, so a lookup goes to its source; a
 * frozen cache costs a read at most `commandTimeoutMs`. Reconnecting goes on in the background.
 */
export const CACHE_POOL_DEFAULTS = Object.freeze({
  name: 'cache',
  maxConnections: 4,
  offlineQueue: 16,
  commandTimeoutMs: 250,
  connectTimeoutMs: 1_000,
  healthCheckTimeoutMs: 250,
} satisfies PoolOptions);

/**
 * A pool for the cache Redis with {@link CACHE_POOL_DEFAULTS} under `options` (which name the
 * target: `url`, `cluster` or `sentinel`), connected when it resolves. A cache Redis that is down
 * at start-up is logged, not thrown: it only means misses until it answers.
 * @example
 * const pool = await connectCachePool({ url: process.env.REDIS_CACHE_URL, logger });
 * const cache = createCache(pool, { keyPrefix: 'ws', ignoreErrors: true });
 */
export async function connectCachePool(options: PoolOptions): Promise<Pool> {
  const pool = createPool({ ...CACHE_POOL_DEFAULTS, ...options });
  await pool.connect().catch((err: Error) => {
    options.logger?.warn(
      { err: err.message, pool: pool.name },
      'cache Redis unreachable; reads go to their source',
    );
  });
  return pool;
}
