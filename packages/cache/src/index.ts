export { Cache, type CacheCounters, type CacheOperation, createCache } from './cache.js';
export { CACHE_POOL_DEFAULTS, connectCachePool } from './cache-pool.js';
export { CacheArgumentError, CacheConfigError, CacheError } from './errors.js';
export type { TrackerState } from './invalidation-tracker.js';
export type { LocalCache, LocalCacheCounters } from './local-cache.js';
export { registerCacheMetrics } from './metrics.js';
export {
  type CacheOptions,
  DEFAULT_CACHE_OPTIONS,
  DEFAULT_LOCAL_CACHE_OPTIONS,
  type LocalCacheOptions,
} from './options.js';
