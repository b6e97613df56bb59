import { createPool, type Pool } from '@redpool/pool';
import type { Logger } from 'pino';
import type { WsConfig } from '../config/config.js';

/**
 * The one pool every Redis connection of the server comes from: the shared lane for history and
 * publishes, and the fan-out's dedicated publish/subscribe connections. On Cluster the nodes come
 * from `REDIS_CLUSTER_NODES` and the credentials and TLS from `REDIS_URL`.
 */
export function createServerPool(config: WsConfig, log: Logger): Pool {
  return createPool({
    ...(config.redisClusterNodes.length > 0
      ? { cluster: { nodes: config.redisClusterNodes }, ...credentialsOf(config.redisUrl) }
      : { url: config.redisUrl }),
    name: 'ws',
    maxConnections: config.redisMaxConnections,
    logger: log,
  });
}

/** User, password and TLS of a redis:// URL, for Cluster nodes. */
function credentialsOf(url: string): { username?: string; password?: string; tls?: boolean } {
  try {
    const u = new URL(url);
    return {
      ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
      ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
      ...(u.protocol === 'rediss:' ? { tls: true } : {}),
    };
  } catch {
    return {};
  }
}
