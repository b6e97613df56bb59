import { coreRedisTarget } from '@redpool/config';
import { createPool, type Pool } from '@redpool/pool';
import type { Logger } from 'pino';
import type { WsConfig } from '../config/config.js';

/**
 * The one pool every core Redis connection of the server comes from: the shared lane for history
 * and publishes, and the fan-out's dedicated publish/subscribe connections. One Redis at
 * `REDIS_URL`, a Cluster (`REDIS_CLUSTER_NODES`) or a Sentinel-managed master (`REDIS_SENTINELS`),
 * chosen the same way as the worker's.
 */
export function createServerPool(config: WsConfig, log: Logger): Pool {
  return createPool({
    ...coreRedisTarget(config),
    name: 'ws',
    maxConnections: config.redisMaxConnections,
    logger: log,
  });
}
