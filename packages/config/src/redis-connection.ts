import type { InvalidValueErrorClass } from './invalid-value.js';
import { pattern, redisUrl } from './parsers.js';
import type { EnvVariable } from './variable.js';

/** Which Redis a process connects to, as read from the environment (both apps read it alike). */
export interface RedisConnectionSettings {
  /** The core Redis (`REDIS_URL`); with Cluster or Sentinel it only supplies user, password, db and TLS. */
  redisUrl: string;
  /** Redis Cluster seed nodes (`host:port`); empty: not a Cluster. */
  redisClusterNodes: string[];
  /** Sentinels (`host:port`) that know the core Redis' master; empty: no Sentinel. */
  redisSentinels: string[];
  /** The master group name the sentinels monitor. */
  redisSentinelName: string;
  /** The cache Redis (`allkeys-lru`); empty: the cache lives on the core Redis (development only). */
  redisCacheUrl: string;
}

/** Where a pool connects: exactly the target fields of `@redpool/pool`'s `createPool` options. */
export type RedisTarget =
  | { url: string }
  | { cluster: { nodes: string[] }; username?: string; password?: string; tls?: boolean }
  | {
      sentinel: { sentinels: Array<{ host: string; port: number }>; name: string };
      username?: string;
      password?: string;
      db?: number;
      tls?: boolean;
    };

/** The defaults of {@link RedisConnectionSettings} (one Redis on localhost). */
export const DEFAULT_REDIS_CONNECTION_SETTINGS: Readonly<RedisConnectionSettings> = Object.freeze({
  redisUrl: 'redis://127.0.0.1:6379',
  redisClusterNodes: [],
  redisSentinels: [],
  redisSentinelName: 'mymaster',
  redisCacheUrl: '',
});

const HOST_PORT = /^[A-Za-z0-9.[\]:-]+:\d{1,5}$/;

function hostPortList(raw: string): string[] | undefined {
  const nodes = raw.split(',').map((s) => s.trim());
  return nodes.every((n) => HOST_PORT.test(n)) ? nodes : undefined;
}

/**
 * The variables that choose the Redis topology and the cache Redis, shared by the ws-server and
 * the worker. `REDIS_URL` itself stays in each app's list: each says what it keeps there.
 */
export const REDIS_CONNECTION_VARIABLES: readonly EnvVariable<RedisConnectionSettings>[] = [
  {
    name: 'REDIS_CLUSTER_NODES',
    field: 'redisClusterNodes',
    allowed: 'comma-separated host:port seed nodes',
    description:
      'use Redis Cluster with these seed nodes; REDIS_URL then only supplies user, password and TLS (empty: one Redis at REDIS_URL)',
    defaultText: '(empty)',
    parse: hostPortList,
  },
  {
    name: 'REDIS_SENTINELS',
    field: 'redisSentinels',
    allowed: 'comma-separated host:port sentinels',
    description:
      'find the core Redis through these sentinels (failover); REDIS_URL then only supplies user, password, db and TLS (empty: no Sentinel)',
    defaultText: '(empty)',
    parse: hostPortList,
  },
  {
    name: 'REDIS_SENTINEL_NAME',
    field: 'redisSentinelName',
    allowed: '1-128 characters of A-Z a-z 0-9 _ . -',
    description: 'the master group name the sentinels monitor',
    parse: pattern(/^[A-Za-z0-9_.-]{1,128}$/),
  },
  {
    name: 'REDIS_CACHE_URL',
    field: 'redisCacheUrl',
    allowed: 'a redis:// or rediss:// URL, or empty',
    description:
      'the cache Redis (maxmemory-policy allkeys-lru), on its own pool; empty: the cache shares the core Redis (development only)',
    defaultText: '(empty)',
    redact: (raw) => raw.replace(/(\/\/[^:/@]*:)[^@]*@/, '$1***@'),
    parse: redisUrl,
  },
];

/**
 * Checks what no single variable can: Cluster and Sentinel exclude each other.
 * @throws `invalidValue` (the app's configuration error) naming the variable.
 */
export function checkRedisConnection(
  settings: RedisConnectionSettings,
  invalidValue: InvalidValueErrorClass,
): void {
  if (settings.redisClusterNodes.length > 0 && settings.redisSentinels.length > 0)
    throw new invalidValue(
      'REDIS_SENTINELS',
      settings.redisSentinels.join(','),
      'empty when REDIS_CLUSTER_NODES is set (a Cluster fails over by itself)',
    );
}

/** The core Redis target of the settings: Cluster, Sentinel or the one Redis at `REDIS_URL`. */
export function coreRedisTarget(settings: RedisConnectionSettings): RedisTarget {
  const { db, ...credentials } = credentialsOf(settings.redisUrl);
  if (settings.redisClusterNodes.length > 0)
    return { cluster: { nodes: [...settings.redisClusterNodes] }, ...credentials };
  if (settings.redisSentinels.length > 0) {
    return {
      sentinel: {
        sentinels: settings.redisSentinels.map((node) => {
          const colon = node.lastIndexOf(':');
          return { host: node.slice(0, colon).replace(/^\[|\]$/g, ''), port: Number(node.slice(colon + 1)) };
        }),
        name: settings.redisSentinelName,
      },
      ...credentials,
      ...(db !== undefined ? { db } : {}),
    };
  }
  return { url: settings.redisUrl };
}

/** The cache Redis target: `REDIS_CACHE_URL`, else the core Redis. */
export function cacheRedisTarget(settings: RedisConnectionSettings): RedisTarget {
  return settings.redisCacheUrl !== '' ? { url: settings.redisCacheUrl } : coreRedisTarget(settings);
}

/** User, password, db and TLS of a redis:// URL, for the nodes of a Cluster or a Sentinel master. */
function credentialsOf(url: string): { username?: string; password?: string; tls?: boolean; db?: number } {
  try {
    const u = new URL(url);
    const db = u.pathname.replace(/^\//, '');
    return {
      ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
      ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
      ...(u.protocol === 'rediss:' ? { tls: true } : {}),
      ...(/^\d+$/.test(db) ? { db: Number(db) } : {}),
    };
  } catch {
    return {};
  }
}
