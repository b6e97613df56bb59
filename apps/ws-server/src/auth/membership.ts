import { type Cache, connectCachePool, createCache, registerCacheMetrics } from '@redpool/cache';
import { cacheRedisTarget } from '@redpool/config';
import { type Pool, registerPoolMetrics } from '@redpool/pool';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { WsConfig } from '../config/config.js';
import type { ChatMembership } from './authorization.js';
import { cachedChatMembership } from './membership-cache.js';
import { httpChatMembership } from './membership-source.js';

/** The chat membership lookup of a configuration, with the cache it goes through. */
export interface MembershipLookup {
  readonly membership: ChatMembership;
  readonly cache: Cache;
  /** The cache Redis' own pool (`REDIS_CACHE_URL`): close it with the server. */
  readonly pool: Pool;
}

/**
 * The membership source of `WS_MEMBERSHIP_URL`, cached on the cache Redis (`REDIS_CACHE_URL`,
 * its own pool) for `WS_MEMBERSHIP_CACHE_TTL_SECONDS`; its metrics (`redpool_cache_*{cache="ws"}`
 * and the pool's, `pool="ws-cache"`) go to `registry`. Undefined without a source: the token's
 * `rooms` claim decides, and there is nothing to look up or cache.
 */
export async function createMembershipLookup(
  config: WsConfig,
  log: Logger,
  registry: Registry,
): Promise<MembershipLookup | undefined> {
  if (config.membershipUrl === '') return undefined;
  const pool = await connectCachePool({ ...cacheRedisTarget(config), name: 'ws-cache', logger: log });
  // No logger: during a cache outage every read would log; the pool logs the outage once and
  // redpool_cache_errors_total counts the reads that went to the source.
  const cache = createCache(pool, { keyPrefix: 'ws', ignoreErrors: true });
  registerPoolMetrics(pool, registry);
  registerCacheMetrics(cache, registry);
  const source = httpChatMembership(config.membershipUrl, config.membershipTimeoutMs);
  return { membership: cachedChatMembership(source, cache, config.membershipCacheTtlSeconds), cache, pool };
}
