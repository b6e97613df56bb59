export { Cache, type CacheCounters, type CacheOperation, createCache } from './cache.js';
export { CACHE_POOL_DEFAULTS, connectCachePool } from './cache-pool.js';
export { CacheArgumentError, CacheConfigError, CacheError } from './errors.js';
export { registerCacheMetrics } from './metrics.js';
export { type CacheOptions, DEFAULT_CACHE_OPTIONS } from './options.js';
