import type { ConnectionOptions as TlsOptions } from 'node:tls';
import { findUnknownOption } from '@redpool/config';
import type { Logger } from 'pino';
import { ConfigError } from './errors.js';

/** Reconnect policy: full-jitter exponential backoff, `random(0, min(maxDelayMs, baseDelayMs * 2^n))`. */
export interface RetryOptions {
  /**
   * Failed reconnects during which commands keep waiting (each up to its deadline) for Redis to
   * return; past that, commands fail at once with ConnectionError until a reconnect succeeds.
   * Reconnecting itself never stops, so the pool heals by itself when Redis is back.
   * @defaultValue 20
   */
  attempts?: number;
  /** @defaultValue 50 */
  baseDelayMs?: number;
  /**
   * Cap of one backoff delay. Keep it at or below 1000 so service resumes within a second of
   * Redis returning.
   * @defaultValue 1000
   */
  maxDelayMs?: number;
}

/** A Redis node address. */
export interface NodeAddress {
  host: string;
  port: number;
}

/** Options of {@link createPool}. Every duration is in milliseconds and says so in its name. */
export interface PoolOptions {
  /** `redis://[user:pass@]host:port[/db]` or `rediss://…` for TLS. Overrides host/port/username/password/db. */
  url?: string;
  /** @defaultValue '127.0.0.1' */
  host?: string;
  /** @defaultValue 6379 */
  port?: number;
  username?: string;
  password?: string;
  /** @defaultValue 0 */
  db?: number;
  /** `true` for TLS with the system CAs, or Node TLS options (ca, cert, key, servername…). */
  tls?: boolean | TlsOptions;
  /** Redis Cluster: the startup nodes. Credentials and TLS options above apply to every node. */
  cluster?: { nodes: Array<NodeAddress | string> };
  /** Redis Sentinel: the sentinels and the master group name. */
  sentinel?: { sentinels: NodeAddress[]; name: string; username?: string; password?: string };
  /**
   * Pool id: used in stats, metric labels and as the `CLIENT SETNAME` prefix.
   * @defaultValue 'redpool'
   */
  name?: string;
  /** Total connections of both lanes, subscribers and BullMQ connections included. @defaultValue 50 */
  maxConnections?: number;
  /** Exclusive connections kept open and ready. @defaultValue 0 */
  minIdle?: number;
  /** Multiplexed connections that carry ordinary commands. @defaultValue 1 */
  sharedConnections?: number;
  /** TCP keepalive initial delay in milliseconds; `0` leaves it to the OS default (7200 s on Linux). @defaultValue 30000 */
  keepAlive?: number;
  /** A connection idle this long is PINGed before use and by the background sweep. `0` disables. @defaultValue 30000 */
  healthCheckIntervalMs?: number;
  /** Deadline of one health-check PING. @defaultValue 1000 */
  healthCheckTimeoutMs?: number;
  /** Deadline from opening a socket to the connection being ready (TCP, TLS, AUTH, SELECT). @defaultValue 5000 */
  connectTimeoutMs?: number;
  /** Deadline of one command; the connection is reset when it passes. @defaultValue 5000 */
  commandTimeoutMs?: number;
  /** Deadline of waiting for an exclusive connection. @defaultValue 5000 */
  acquireTimeoutMs?: number;
  /** Callers allowed to wait for an exclusive connection at once. @defaultValue 1000 */
  maxWaiting?: number;
  retry?: RetryOptions;
  /** Retry a read-only, idempotent command once after a timeout or connection loss. @defaultValue false */
  retryOnTimeout?: boolean;
  /** Close every connection after this long with no activity; `0` disables, else at least 30000. @defaultValue 0 */
  idleDisconnectMs?: number;
  /** Commands held while Redis is unreachable before new ones fail fast. @defaultValue 1000 */
  offlineQueue?: number;
  /** A lease held longer than this is reported as a probable leak. `0` disables. @defaultValue 30000 */
  leaseWarnMs?: number;
  /** A pino logger (a child is made per pool). @defaultValue a pino logger at level `warn` */
  logger?: Logger;
}

/** Options after defaults and validation. */
export interface ResolvedPoolOptions {
  name: string;
  target: ConnectionTarget;
  maxConnections: number;
  minIdle: number;
  sharedConnections: number;
  keepAlive: number;
  healthCheckIntervalMs: number;
  healthCheckTimeoutMs: number;
  connectTimeoutMs: number;
  commandTimeoutMs: number;
  acquireTimeoutMs: number;
  maxWaiting: number;
  retry: Required<RetryOptions>;
  retryOnTimeout: boolean;
  idleDisconnectMs: number;
  offlineQueue: number;
  leaseWarnMs: number;
}

/** Where and how to connect, in one of three shapes. */
export type ConnectionTarget =
  | { kind: 'standalone'; host: string; port: number; auth: Auth; db: number; tls?: TlsOptions }
  | { kind: 'cluster'; nodes: NodeAddress[]; auth: Auth; tls?: TlsOptions }
  | {
      kind: 'sentinel';
      sentinels: NodeAddress[];
      masterName: string;
      auth: Auth;
      db: number;
      tls?: TlsOptions;
      sentinelAuth: Auth;
    };

export interface Auth {
  username?: string;
  password?: string;
}

/** The defaults, in one place. */
export const DEFAULT_POOL_OPTIONS = {
  name: 'redpool',
  host: '127.0.0.1',
  port: 6379,
  db: 0,
  maxConnections: 50,
  minIdle: 0,
  sharedConnections: 1,
  keepAlive: 30_000,
  healthCheckIntervalMs: 30_000,
  healthCheckTimeoutMs: 1_000,
  connectTimeoutMs: 5_000,
  commandTimeoutMs: 5_000,
  acquireTimeoutMs: 5_000,
  maxWaiting: 1_000,
  retry: { attempts: 20, baseDelayMs: 50, maxDelayMs: 1_000 },
  retryOnTimeout: false,
  idleDisconnectMs: 0,
  offlineQueue: 1_000,
  leaseWarnMs: 30_000,
} as const;

const DAY_MS = 86_400_000;

/** Every option name, so a typo (`maxConnection`, ioredis' `commandTimeout`) fails instead of being ignored. */
const POOL_OPTION_NAMES: Record<keyof PoolOptions, true> = {
  url: true,
  host: true,
  port: true,
  username: true,
  password: true,
  db: true,
  tls: true,
  cluster: true,
  sentinel: true,
  name: true,
  maxConnections: true,
  minIdle: true,
  sharedConnections: true,
  keepAlive: true,
  healthCheckIntervalMs: true,
  healthCheckTimeoutMs: true,
  connectTimeoutMs: true,
  commandTimeoutMs: true,
  acquireTimeoutMs: true,
  maxWaiting: true,
  retry: true,
  retryOnTimeout: true,
  idleDisconnectMs: true,
  offlineQueue: true,
  leaseWarnMs: true,
  logger: true,
};
const RETRY_OPTION_NAMES: Record<keyof RetryOptions, true> = {
  attempts: true,
  baseDelayMs: true,
  maxDelayMs: true,
};
const SENTINEL_OPTION_NAMES: Record<keyof NonNullable<PoolOptions['sentinel']>, true> = {
  sentinels: true,
  name: true,
  username: true,
  password: true,
};
const CLUSTER_OPTION_NAMES: Record<keyof NonNullable<PoolOptions['cluster']>, true> = { nodes: true };

/** Throws {@link ConfigError} for the first key of `options` that is no option, naming the closest one. */
function rejectUnknown(options: object, names: object, prefix = ''): void {
  const unknown = findUnknownOption(options, new Set(Object.keys(names)));
  if (unknown === undefined) return;
  const hint = unknown.closest === undefined ? '' : `; did you mean "${prefix}${unknown.closest}"?`;
  throw new ConfigError(
    `${prefix}${unknown.field}`,
    (options as Record<string, unknown>)[unknown.field],
    `no such option${hint}`,
  );
}

function int(field: string, value: unknown, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(field, value, `an integer from ${min} to ${max}`);
  }
  return value;
}

function durationOrOff(field: string, value: unknown, min: number, max: number, fallback: number): number {
  if (value === 0) return 0;
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(field, value, `0 (off) or an integer from ${min} to ${max} (milliseconds)`);
  }
  return value;
}

/** Applies defaults and validates; throws {@link ConfigError} naming the field, the value and the allowed range. */
export function resolveOptions(options: PoolOptions): ResolvedPoolOptions {
  if (options === null || typeof options !== 'object') throw new ConfigError('options', options, 'an object');
  rejectUnknown(options, POOL_OPTION_NAMES);
  const name = options.name ?? DEFAULT_POOL_OPTIONS.name;
  if (typeof name !== 'string' || !/^[A-Za-z0-9_.:-]{1,64}$/.test(name)) {
    throw new ConfigError('name', name, '1-64 characters of A-Z a-z 0-9 _ . : -');
  }
  const maxConnections = int(
    'maxConnections',
    options.maxConnections,
    2,
    10_000,
    DEFAULT_POOL_OPTIONS.maxConnections,
  );
  const sharedConnections = int(
    'sharedConnections',
    options.sharedConnections,
    1,
    Math.min(64, maxConnections - 1),
    DEFAULT_POOL_OPTIONS.sharedConnections,
  );
  const retry = options.retry ?? {};
  if (typeof retry !== 'object' || retry === null) throw new ConfigError('retry', retry, 'an object');
  rejectUnknown(retry, RETRY_OPTION_NAMES, 'retry.');
  const baseDelayMs = int(
    'retry.baseDelayMs',
    retry.baseDelayMs,
    1,
    60_000,
    DEFAULT_POOL_OPTIONS.retry.baseDelayMs,
  );
  const maxDelayMs = int(
    'retry.maxDelayMs',
    retry.maxDelayMs,
    baseDelayMs,
    300_000,
    DEFAULT_POOL_OPTIONS.retry.maxDelayMs,
  );
  const idleDisconnectMs = options.idleDisconnectMs ?? DEFAULT_POOL_OPTIONS.idleDisconnectMs;
  if (
    typeof idleDisconnectMs !== 'number' ||
    !Number.isInteger(idleDisconnectMs) ||
    (idleDisconnectMs !== 0 && (idleDisconnectMs < 30_000 || idleDisconnectMs > 7 * DAY_MS))
  ) {
    throw new ConfigError(
      'idleDisconnectMs',
      idleDisconnectMs,
      `0 (off) or an integer from 30000 to ${7 * DAY_MS}`,
    );
  }
  if (options.retryOnTimeout !== undefined && typeof options.retryOnTimeout !== 'boolean') {
    throw new ConfigError('retryOnTimeout', options.retryOnTimeout, 'true or false');
  }
  return {
    name,
    target: resolveTarget(options),
    maxConnections,
    minIdle: int(
      'minIdle',
      options.minIdle,
      0,
      maxConnections - sharedConnections,
      DEFAULT_POOL_OPTIONS.minIdle,
    ),
    sharedConnections,
    keepAlive: durationOrOff(
      'keepAlive',
      options.keepAlive,
      1_000,
      7_200_000,
      DEFAULT_POOL_OPTIONS.keepAlive,
    ),
    healthCheckIntervalMs: durationOrOff(
      'healthCheckIntervalMs',
      options.healthCheckIntervalMs,
      100,
      DAY_MS,
      DEFAULT_POOL_OPTIONS.healthCheckIntervalMs,
    ),
    healthCheckTimeoutMs: int(
      'healthCheckTimeoutMs',
      options.healthCheckTimeoutMs,
      10,
      60_000,
      DEFAULT_POOL_OPTIONS.healthCheckTimeoutMs,
    ),
    connectTimeoutMs: int(
      'connectTimeoutMs',
      options.connectTimeoutMs,
      10,
      600_000,
      DEFAULT_POOL_OPTIONS.connectTimeoutMs,
    ),
    commandTimeoutMs: int(
      'commandTimeoutMs',
      options.commandTimeoutMs,
      10,
      600_000,
      DEFAULT_POOL_OPTIONS.commandTimeoutMs,
    ),
    acquireTimeoutMs: int(
      'acquireTimeoutMs',
      options.acquireTimeoutMs,
      10,
      600_000,
      DEFAULT_POOL_OPTIONS.acquireTimeoutMs,
    ),
    maxWaiting: int('maxWaiting', options.maxWaiting, 0, 1_000_000, DEFAULT_POOL_OPTIONS.maxWaiting),
    retry: {
      attempts: int('retry.attempts', retry.attempts, 0, 1_000_000, DEFAULT_POOL_OPTIONS.retry.attempts),
      baseDelayMs,
      maxDelayMs,
    },
    retryOnTimeout: options.retryOnTimeout ?? DEFAULT_POOL_OPTIONS.retryOnTimeout,
    idleDisconnectMs,
    offlineQueue: int('offlineQueue', options.offlineQueue, 0, 1_000_000, DEFAULT_POOL_OPTIONS.offlineQueue),
    leaseWarnMs: durationOrOff(
      'leaseWarnMs',
      options.leaseWarnMs,
      100,
      DAY_MS,
      DEFAULT_POOL_OPTIONS.leaseWarnMs,
    ),
  };
}

function resolveTarget(options: PoolOptions): ConnectionTarget {
  const shapes = [options.url !== undefined, options.cluster !== undefined, options.sentinel !== undefined];
  if (shapes.filter(Boolean).length > 1) {
    throw new ConfigError('url/cluster/sentinel', 'several', 'at most one of url, cluster and sentinel');
  }
  let { host, port, username, password, db } = options;
  let tls: TlsOptions | undefined = options.tls === true ? {} : options.tls || undefined;
  if (options.url !== undefined) {
    let parsed: URL;
    try {
      parsed = new URL(options.url);
    } catch {
      throw new ConfigError(
        'url',
        redactUrl(String(options.url)),
        'redis://[user:password@]host[:port][/db] or rediss://…',
      );
    }
    if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
      throw new ConfigError('url', redactUrl(options.url), 'a redis:// or rediss:// URL');
    }
    host = parsed.hostname.replace(/^\[|\]$/g, '') || DEFAULT_POOL_OPTIONS.host;
    port = parsed.port ? Number(parsed.port) : DEFAULT_POOL_OPTIONS.port;
    username = parsed.username ? decodeURIComponent(parsed.username) : username;
    password = parsed.password ? decodeURIComponent(parsed.password) : password;
    const path = parsed.pathname.replace(/^\//, '');
    db = path ? Number(path) : db;
    if (parsed.protocol === 'rediss:') tls = tls ?? {};
  }
  const auth: Auth = {};
  if (username !== undefined) auth.username = username;
  if (password !== undefined) auth.password = password;
  if (options.cluster) {
    rejectUnknown(options.cluster, CLUSTER_OPTION_NAMES, 'cluster.');
    const nodes = options.cluster.nodes;
    if (!Array.isArray(nodes) || nodes.length === 0)
      throw new ConfigError('cluster.nodes', nodes, 'a non-empty array of {host, port} or "host:port"');
    return {
      kind: 'cluster',
      nodes: nodes.map((n, i) => parseNode(`cluster.nodes[${i}]`, n)),
      auth,
      ...(tls ? { tls } : {}),
    };
  }
  const dbNumber = int('db', db, 0, 15, DEFAULT_POOL_OPTIONS.db);
  if (options.sentinel) {
    rejectUnknown(options.sentinel, SENTINEL_OPTION_NAMES, 'sentinel.');
    const { sentinels, name } = options.sentinel;
    if (!Array.isArray(sentinels) || sentinels.length === 0)
      throw new ConfigError('sentinel.sentinels', sentinels, 'a non-empty array of {host, port}');
    if (typeof name !== 'string' || name.length === 0)
      throw new ConfigError('sentinel.name', name, 'the master group name');
    const sentinelAuth: Auth = {};
    if (options.sentinel.username !== undefined) sentinelAuth.username = options.sentinel.username;
    if (options.sentinel.password !== undefined) sentinelAuth.password = options.sentinel.password;
    return {
      kind: 'sentinel',
      sentinels: sentinels.map((n, i) => parseNode(`sentinel.sentinels[${i}]`, n)),
      masterName: name,
      auth,
      db: dbNumber,
      sentinelAuth,
      ...(tls ? { tls } : {}),
    };
  }
  return {
    kind: 'standalone',
    host: typeof host === 'string' && host.length > 0 ? host : DEFAULT_POOL_OPTIONS.host,
    port: int('port', port, 1, 65_535, DEFAULT_POOL_OPTIONS.port),
    auth,
    db: dbNumber,
    ...(tls ? { tls } : {}),
  };
}

function parseNode(field: string, node: NodeAddress | string): NodeAddress {
  if (typeof node === 'string') {
    const match = /^(.+):(\d+)$/.exec(node);
    if (!match) throw new ConfigError(field, node, '"host:port"');
    return { host: match[1]!, port: int(field, Number(match[2]), 1, 65_535, 0) };
  }
  if (!node || typeof node.host !== 'string') throw new ConfigError(field, node, '{host, port}');
  return { host: node.host, port: int(`${field}.port`, node.port, 1, 65_535, 0) };
}

/** Replaces the password of a redis URL with `***` so it can be logged. */
export function redactUrl(url: string): string {
  return url.replace(/(\/\/[^:/@]*:)[^@]*@/, '$1***@');
}
