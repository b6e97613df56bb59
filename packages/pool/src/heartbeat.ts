import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { ConfigError } from './errors.js';
import type { Pool } from './pool.js';
import type { PoolStats } from './stats.js';

/** Options of {@link startHeartbeat}. */
export interface HeartbeatOptions {
  /** Name of the application, e.g. `ws-server` or `worker`. */
  app: string;
  /** How often the stats are published. @defaultValue 15000 */
  intervalMs?: number;
  /** Lifetime of one heartbeat key; a process silent this long disappears. @defaultValue 3 × intervalMs */
  ttlMs?: number;
  /** Key prefix. @defaultValue 'redpool:heartbeat' */
  keyPrefix?: string;
  /** The pools whose stats are published; the first one also carries the heartbeat. @defaultValue [pool] */
  pools?: Pool[];
  logger?: Logger;
}

/** One process's heartbeat as stored in Redis. */
export interface HeartbeatRecord {
  app: string;
  host: string;
  pid: number;
  /** ISO time the process started. */
  startedAt: string;
  /** ISO time of this heartbeat. */
  at: string;
  intervalMs: number;
  pools: PoolStats[];
}

/** A running heartbeat; `stop()` removes its key. */
export interface Heartbeat {
  readonly key: string;
  /** Publishes now (also done every `intervalMs`). */
  publish(): Promise<void>;
  stop(): Promise<void>;
}

export const DEFAULT_HEARTBEAT_PREFIX = 'redpool:heartbeat';
const processStartedAt = new Date(Date.now() - Math.round(process.uptime() * 1000));

/**
 * Publishes the stats of this process's pools to Redis every `intervalMs` under a key with a TTL
 * of a few heartbeats, so fleet-wide tooling (the worker's pool-usage report) sees every process,
 * not only its own.
 * @example
 * startHeartbeat(pool, { app: 'ws-server' });
 */
export function startHeartbeat(pool: Pool, options: HeartbeatOptions): Heartbeat {
  if (typeof options?.app !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(options.app)) {
    throw new ConfigError('heartbeat.app', options?.app, '1-64 characters of A-Z a-z 0-9 _ . -');
  }
  const intervalMs = options.intervalMs ?? 15_000;
  if (!Number.isInteger(intervalMs) || intervalMs < 100 || intervalMs > 3_600_000) {
    throw new ConfigError('heartbeat.intervalMs', intervalMs, 'an integer from 100 to 3600000');
  }
  const ttlMs = options.ttlMs ?? intervalMs * 3;
  if (!Number.isInteger(ttlMs) || ttlMs <= intervalMs) {
    throw new ConfigError('heartbeat.ttlMs', ttlMs, `an integer above intervalMs (${intervalMs})`);
  }
  const prefix = options.keyPrefix ?? DEFAULT_HEARTBEAT_PREFIX;
  const pools = options.pools ?? [pool];
  const host = hostname();
  const key = `${prefix}:${options.app}:${host}:${process.pid}:${processStartedAt.getTime()}`;
  let stopped = false;

  const publish = async (): Promise<void> => {
    if (stopped) return;
    const record: HeartbeatRecord = {
      app: options.app,
      host,
      pid: process.pid,
      startedAt: processStartedAt.toISOString(),
      at: new Date().toISOString(),
      intervalMs,
      pools: pools.map((p) => p.stats()),
    };
    try {
      await pool.call('SET', key, JSON.stringify(record), 'PX', ttlMs);
    } catch (err) {
      options.logger?.warn({ err: (err as Error).message, key }, 'heartbeat not published');
    }
  };
  void publish();
  const timer = setInterval(() => void publish(), intervalMs);
  timer.unref();
  return {
    key,
    publish,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await pool.call('DEL', key).catch(() => undefined);
    },
  };
}

/** Every live heartbeat under `keyPrefix` (SCAN, never KEYS). Unreadable records are skipped. */
export async function readHeartbeats(
  pool: Pool,
  keyPrefix = DEFAULT_HEARTBEAT_PREFIX,
): Promise<HeartbeatRecord[]> {
  const keys: string[] = [];
  for await (const key of pool.scanKeys(`${keyPrefix}:*`)) keys.push(key);
  if (keys.length === 0) return [];
  // One GET per key in one round trip per node (keys live on different Cluster slots).
  const replies = await pool.pipeline(keys.map((k) => ['GET', k] as const));
  const records: HeartbeatRecord[] = [];
  for (const [err, value] of replies) {
    if (err || typeof value !== 'string') continue;
    try {
      const parsed = JSON.parse(value) as HeartbeatRecord;
      if (typeof parsed.app === 'string' && Array.isArray(parsed.pools)) records.push(parsed);
    } catch {
      // A foreign or corrupt value under our prefix is not a heartbeat.
    }
  }
  return records;
}
