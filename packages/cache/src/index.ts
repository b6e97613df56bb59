export { Cache, type CacheCounters, type CacheOperation, createCache } from './cache.js';
export { CacheArgumentError, CacheConfigError, CacheError } from './errors.js';
export { registerCacheMetrics } from './metrics.js';
export { type CacheOptions, DEFAULT_CACHE_OPTIONS } from './options.js';
