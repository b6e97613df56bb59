import { Cluster, type ClusterOptions, Redis, type RedisOptions } from 'ioredis';
import { fullJitterDelay } from './backoff.js';
import type { BudgetRole } from './connection-budget.js';
import { endOnClose } from './end-on-close.js';
import { ConnectionError } from './errors.js';
import type { ResolvedPoolOptions } from './options.js';

/** A connection of the pool: one ioredis client, or one ioredis Cluster client. */
export type RedisConnection = Redis | Cluster;

/** What a connection is for; it decides timeouts, queueing and reconnect behaviour. */
export type ConnectionRole = BudgetRole;

/**
 * Offline queue and per-command deadline of each role. Only BullMQ gets ioredis' offline queue
 * without a deadline (and its re-sending after a reconnect), because BullMQ requires
 * `maxRetriesPerRequest: null`. A subscriber queues while reconnecting (a SUBSCRIBE during an
 * outage waits for Redis) but every command has the `commandTimeoutMs` deadline and is failed
 * after `retry.attempts` reconnects.
 */
function queueing(role: ConnectionRole, o: ResolvedPoolOptions): Partial<RedisOptions> {
  // With maxRetriesPerRequest null, ioredis neither fails nor re-sends a command that was in flight
  // when the socket closed unless autoResendUnfulfilledCommands is on: it would never settle (a
  // Worker's BZPOPMIN hung until BullMQ's own watchdog). BullMQ is built for ioredis' default here.
  if (role === 'bullmq')
    return { enableOfflineQueue: true, maxRetriesPerRequest: null, autoResendUnfulfilledCommands: true };
  if (role === 'subscriber')
    return {
      enableOfflineQueue: true,
      maxRetriesPerRequest: o.retry.attempts,
      commandTimeout: o.commandTimeoutMs,
    };
  return { enableOfflineQueue: false, maxRetriesPerRequest: 0 };
}

/**
 * Builds ioredis clients for one pool. Every client starts lazily (no socket until
 * {@link connectWithDeadline}), never queues commands while offline (the shared lane keeps its
 * own bounded queue) and never re-sends unanswered commands after a reconnect, so a write that
 * timed out is not silently run twice.
 */
export class ConnectionFactory {
  private sequence = 0;

  constructor(private readonly options: ResolvedPoolOptions) {}

  /** A new connection of `role`, not connected yet; `disconnect()` and `quit()` always end it (see {@link endOnClose}). */
  create(
    role: ConnectionRole,
    overrides: Partial<RedisOptions> = {},
    clusterOverrides: Partial<ClusterOptions> = {},
  ): RedisConnection {
    const conn = this.build(role, overrides, clusterOverrides);
    endOnClose(conn);
    return conn;
  }

  private build(
    role: ConnectionRole,
    overrides: Partial<RedisOptions>,
    clusterOverrides: Partial<ClusterOptions>,
  ): RedisConnection {
    const o = this.options;
    const id = ++this.sequence;
    const redisOptions: RedisOptions = {
      lazyConnect: true,
      connectTimeout: o.connectTimeoutMs,
      // ioredis' default 2 s timer outlives a failed handshake and keeps processes from exiting.
      disconnectTimeout: 500,
      keepAlive: o.keepAlive,
      noDelay: true,
      connectionName: `${o.name}:${role}:${id}`,
      autoResendUnfulfilledCommands: false,
      ...queueing(role, o),
      // The shared lane sends each tick's commands in one write itself (cork() in
      // shared-lane.ts); a Cluster keeps ioredis' auto-pipelining below, grouped per node.
      enableAutoPipelining: false,
      // Only the shared lane reconnects in place; an exclusive connection that breaks is
      // destroyed and replaced by the pool, which is simpler to reason about.
      retryStrategy: role === 'exclusive' ? () => null : (times: number) => this.reconnectDelay(times),
      // Detects a frozen or black-holed peer while replies are pending; blocking commands on
      // exclusive connections are guarded per call instead.
      ...(role === 'shared' ? { socketTimeout: o.commandTimeoutMs } : {}),
      // After a failover the old master answers READONLY: reconnect and resend to the new one.
      reconnectOnError: (err: Error) => (err.message.startsWith('READONLY') ? 2 : false),
      ...(o.target.auth.username !== undefined ? { username: o.target.auth.username } : {}),
      ...(o.target.auth.password !== undefined ? { password: o.target.auth.password } : {}),
      ...(o.target.tls ? { tls: o.target.tls } : {}),
      ...overrides,
    };
    const target = o.target;
    if (target.kind === 'cluster') {
      const clusterOptions: ClusterOptions = {
        lazyConnect: true,
        enableOfflineQueue: role === 'bullmq' || role === 'subscriber',
        enableAutoPipelining: role === 'shared',
        maxRedirections: 16,
        retryDelayOnFailover: 100,
        retryDelayOnClusterDown: 100,
        slotsRefreshTimeout: Math.min(o.connectTimeoutMs, 2000),
        clusterRetryStrategy: (times: number) => this.reconnectDelay(times),
        redisOptions: clusterNodeOptions(redisOptions),
        ...clusterOverrides,
      };
      return new Cluster(target.nodes, clusterOptions);
    }
    if (target.kind === 'sentinel') {
      return new Redis({
        ...redisOptions,
        db: target.db,
        sentinels: target.sentinels,
        name: target.masterName,
        failoverDetector: true,
        sentinelRetryStrategy: (times: number) =>
          fullJitterDelay(times, o.retry.baseDelayMs, o.retry.maxDelayMs),
        ...(target.sentinelAuth.username !== undefined
          ? { sentinelUsername: target.sentinelAuth.username }
          : {}),
        ...(target.sentinelAuth.password !== undefined
          ? { sentinelPassword: target.sentinelAuth.password }
          : {}),
      });
    }
    return new Redis({ ...redisOptions, host: target.host, port: target.port, db: target.db });
  }

  /** Reconnecting never stops by itself (the pool heals when Redis returns); the lanes decide when callers stop waiting. */
  private reconnectDelay(times: number): number {
    return fullJitterDelay(times - 1, this.options.retry.baseDelayMs, this.options.retry.maxDelayMs);
  }
}

/** Per-node options of a Cluster: the cluster object owns reconnects and auto-pipelining. */
function clusterNodeOptions(options: RedisOptions): ClusterOptions['redisOptions'] {
  const {
    retryStrategy: _r,
    lazyConnect: _l,
    enableAutoPipelining: _a,
    enableOfflineQueue: _o,
    ...rest
  } = options;
  return rest;
}

/**
 * Connects and waits for `ready` (TCP, TLS, AUTH, SELECT, ready check) within `deadlineMs`.
 * ioredis' own connectTimeout stops at the TCP handshake, so a peer that accepts and then never
 * answers would otherwise hang the ready check forever.
 */
export async function connectWithDeadline(conn: RedisConnection, deadlineMs: number): Promise<void> {
  if (conn.status === 'ready') return;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new ConnectionError(`Redis did not become ready within connectTimeoutMs=${deadlineMs}`));
    }, deadlineMs);
  });
  // ioredis rejects connect() with "Connection is closed." once it gives up; the cause (ECONNREFUSED
  // and the address, a TLS or AUTH failure) only reaches 'error' listeners, so keep the last one.
  let cause: Error | undefined;
  const remember = (err: Error) => {
    cause = err;
  };
  conn.on('error', remember);
  const connecting =
    conn.status === 'wait' || conn.status === 'end' || conn.status === 'close'
      ? conn.connect()
      : new Promise<void>((resolve, reject) => {
          conn.once('ready', resolve);
          conn.once('end', () => reject(new Error('Connection ended before it was ready')));
        });
  try {
    await Promise.race([connecting, deadline]);
  } catch (err) {
    connecting.catch(() => undefined);
    conn.disconnect();
    const reason = cause ?? (err as Error);
    throw err instanceof ConnectionError && cause === undefined
      ? err
      : new ConnectionError(`Cannot connect to Redis: ${reason.message}`, { cause: reason });
  } finally {
    clearTimeout(timer);
    conn.off('error', remember);
  }
}

/** Destroys the socket(s) under a connection at once, without a QUIT round trip. */
export function destroySockets(conn: RedisConnection): void {
  if (conn instanceof Cluster) {
    for (const node of conn.nodes('all')) node.stream?.destroy();
    return;
  }
  conn.stream?.destroy();
}
