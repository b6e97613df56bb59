import { EventEmitter } from 'node:events';
import { Cluster, type Redis } from 'ioredis';
import type { Logger } from 'pino';
import { routeCommand } from './command-router.js';
import { installCommands, type PoolCommands } from './commands.js';
import { ConnectionBudget } from './connection-budget.js';
import { ConnectionFactory, connectWithDeadline, type RedisConnection } from './connection-factory.js';
import { DedicatedConnections } from './dedicated-connections.js';
import {
  CommandTimeoutError,
  ConnectionError,
  PoolClosedError,
  PoolError,
  UnsupportedCommandError,
} from './errors.js';
import { type AcquireOptions, ExclusiveLane, type Lease } from './exclusive-lane.js';
import { Instruments } from './instruments.js';
import { createLogger } from './logger.js';
import { type PoolOptions, type ResolvedPoolOptions, resolveOptions } from './options.js';
import type { RedisScript } from './script.js';
import { SharedLane, sweepPeriodMs } from './shared-lane.js';
import type { PoolStats, PoolStatus } from './stats.js';
import type { BatchResult, CommandTuple, RedisArg } from './types.js';

/** Payload of `connected` and `disconnected`. */
export interface ConnectionEvent {
  pool: string;
  reason: string;
}

/** Events of a {@link Pool}. The pool never emits `error`: failures reach the caller of the command. */
export interface PoolEvents {
  connected: [ConnectionEvent];
  disconnected: [ConnectionEvent];
  status: [PoolStatus];
  closed: [];
}

/** Options of `pool.close()`. */
export interface CloseOptions {
  /** How long in-flight work and leases may take to finish. @defaultValue 5000 */
  timeoutMs?: number;
}

/**
 * A pooled Redis client with two lanes under one `maxConnections` budget: a multiplexed shared
 * lane for ordinary commands and an exclusive lane of leased connections
 * for blocking commands, transactions, pub/sub and BullMQ.
 * @example
 * const pool = createPool({ url: 'redis://127.0.0.1:6379', name: 'ws' });
 * await pool.call('SET', 'greeting', 'hello', 'EX', 60);
 * const greeting = await pool.call('GET', 'greeting');
 * await pool.close();
 */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the typed commands are installed on the prototype (see the end of this file).
export class Pool extends EventEmitter<PoolEvents> {
  readonly name: string;
  readonly options: Readonly<ResolvedPoolOptions>;
  /** Counters and observers; `registerPoolMetrics` reads these. */
  readonly instruments = new Instruments();
  private readonly log: Logger;
  private readonly factory: ConnectionFactory;
  private readonly shared: SharedLane;
  private readonly exclusive: ExclusiveLane;
  private readonly dedicated: DedicatedConnections;
  /** The one owner of `maxConnections`: every connection of every lane holds a slot of it. */
  private readonly budget: ConnectionBudget;
  private currentStatus: PoolStatus = 'idle';
  private lastActivityAt = 0;
  private healthy = true;
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(options: PoolOptions = {}) {
    super();
    this.options = resolveOptions(options);
    this.name = this.options.name;
    this.log = (options.logger ?? createLogger({ level: 'warn' })).child({ pool: this.name });
    this.factory = new ConnectionFactory(this.options);
    this.budget = new ConnectionBudget(this.options.maxConnections);
    // The shared lane's connections always exist (connected or reconnecting): their slots are held for good.
    for (let i = 0; i < this.options.sharedConnections; i++) this.budget.tryReserve('shared');
    const activity = () => {
      this.lastActivityAt = Date.now();
    };
    this.shared = new SharedLane(this.options, this.factory, this.log, this.instruments, {
      connected: () => {
        this.healthy = true;
        this.setStatus('connected', 'ready');
      },
      disconnected: (reason) => {
        if (this.currentStatus === 'connected') this.setStatus('reconnecting', reason);
      },
      activity,
      healthCheckFailed: (reason) => {
        this.healthy = false;
        this.instruments.counters.healthCheckFailures++;
        this.log.warn({ reason }, 'health check failed');
      },
    });
    this.exclusive = new ExclusiveLane(this.options, {
      factory: this.factory,
      budget: this.budget,
      log: this.log,
      instruments: this.instruments,
      activity,
    });
    this.dedicated = new DedicatedConnections(this.options, {
      factory: this.factory,
      budget: this.budget,
      log: this.log,
      freeIdleSlot: () => this.exclusive.freeIdleSlot(),
      activity,
    });
    this.startTimers();
  }

  /** Current state: `idle` (nothing open), `connected`, `reconnecting`, `closing`, `closed`. */
  get status(): PoolStatus {
    return this.currentStatus;
  }

  /** True when the pool talks to a Redis Cluster. */
  get isCluster(): boolean {
    return this.shared.primary instanceof Cluster;
  }

  /** Opens the shared lane now instead of on the first command; rejects at `connectTimeoutMs`. */
  async connect(): Promise<void> {
    this.assertOpen();
    await this.shared.connect();
  }

  /**
   * Runs one command. Ordinary commands share the multiplexed lane; blocking ones (BLPOP,
   * XREAD BLOCK, WAIT…) are sent on an exclusive connection with a deadline of their block time
   * plus `commandTimeoutMs`.
   * @example
   * await pool.call('HSET', 'user:1', 'name', 'Ada');
   * const popped = await pool.call('BLPOP', 'jobs', 1); // routed to the exclusive lane
   */
  call<T = unknown>(command: string, ...args: RedisArg[]): Promise<T> {
    return this.dispatch(command, args, false) as Promise<T>;
  }

  /** Like {@link Pool.call}, with bulk replies as Buffers. */
  callBuffer<T = Buffer | null>(command: string, ...args: RedisArg[]): Promise<T> {
    return this.dispatch(command, args, true) as Promise<T>;
  }

  /** Several commands in one round trip, not atomic; each gets its own `[error, reply]`. */
  pipeline(commands: readonly CommandTuple[], options: { buffer?: boolean } = {}): Promise<BatchResult[]> {
    this.assertOpen();
    return this.shared.batch(commands, false, options.buffer ?? false);
  }

  /** Several commands as one MULTI/EXEC transaction on the shared lane (no WATCH). */
  multi(commands: readonly CommandTuple[], options: { buffer?: boolean } = {}): Promise<BatchResult[]> {
    this.assertOpen();
    return this.shared.batch(commands, true, options.buffer ?? false);
  }

  /** Runs a Lua script by SHA1, loading it on NOSCRIPT. */
  async runScript<T = unknown>(
    script: RedisScript,
    keys: readonly RedisArg[],
    args: readonly RedisArg[] = [],
    options: { buffer?: boolean } = {},
  ): Promise<T> {
    const buffer = options.buffer ?? false;
    try {
      return (await this.dispatch('EVALSHA', [script.sha1, keys.length, ...keys, ...args], buffer)) as T;
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      return (await this.dispatch('EVAL', [script.source, keys.length, ...keys, ...args], buffer)) as T;
    }
  }

  /** Leases an exclusive connection; give it back with `release()` (or `destroy()` after an error). */
  async acquire(options: AcquireOptions = {}): Promise<Lease> {
    this.assertOpen();
    return this.exclusive.acquire(options);
  }

  /**
   * Runs `fn` with an exclusive connection and gives it back when `fn` settles; a connection
   * that `fn` left in doubt (it threw) is destroyed rather than reused.
   * @example
   * const result = await pool.withConnection(async (conn) => {
   *   await conn.watch('balance');
   *   const balance = Number(await conn.get('balance'));
   *   return conn.multi().set('balance', balance - 10).exec();
   * });
   */
  async withConnection<T>(fn: (connection: RedisConnection) => Promise<T>): Promise<T> {
    const lease = await this.acquire();
    try {
      const result = await fn(lease.connection);
      await lease.release();
      return result;
    } catch (err) {
      await lease.destroy();
      throw err;
    }
  }

  /** Alias of {@link Pool.withConnection} for WATCH/MULTI/EXEC work. */
  transaction<T>(fn: (connection: RedisConnection) => Promise<T>): Promise<T> {
    return this.withConnection(fn);
  }

  /**
   * A dedicated connection for pub/sub (`CLIENT SETNAME <pool>:subscriber:<n>`), holding one of
   * the `maxConnections` slots until it ends: `quit()` and `disconnect()` end it (status `end`,
   * one `end` event) even while Redis is down and it waits to reconnect. When none is free an
   * idle exclusive connection is closed for it, else it fails with `PoolExhaustedError`
   * (`reason: 'budget'`).
   * It reconnects and resubscribes by itself; a command sent while Redis is unreachable waits for
   * the reconnect up to `commandTimeoutMs`. On Redis Cluster, `sharded: true` gives ioredis'
   * sharded subscribers (SSUBSCRIBE to the node that owns each channel's slot). `protocol: 2`
   * makes it speak RESP2, where Redis delivers client-tracking invalidations as messages on
   * `__redis__:invalidate` (ioredis drops RESP3 `invalidate` pushes). `reconnect: false` ends it
   * (and frees its slot) when its socket closes, for state that a reconnect would not restore
   * (client tracking).
   * @example
   * const sub = await pool.subscriber();
   * sub.on('message', (channel, message) => console.log(channel, message));
   * await sub.subscribe('news');
   * // later
   * await sub.quit();
   */
  async subscriber(
    options: { sharded?: boolean; protocol?: 2 | 3; reconnect?: boolean } = {},
  ): Promise<RedisConnection> {
    this.assertOpen();
    const conn = this.dedicated.create(
      'subscriber',
      {
        ...(options.protocol ? { protocol: options.protocol } : {}),
        ...(options.reconnect === false ? { retryStrategy: () => null } : {}),
      },
      options.sharded ? { shardedSubscribers: true } : {},
    );
    try {
      await connectWithDeadline(conn, this.options.connectTimeoutMs);
    } catch (err) {
      await this.dedicated.discard(conn);
      throw err;
    }
    return conn;
  }

  /**
   * A connection configured as BullMQ requires (`maxRetriesPerRequest: null`), holding one of the
   * `maxConnections` slots until it ends; the copies BullMQ makes with `duplicate()` (a Worker's
   * blocking connection) hold a slot each too, on Redis Cluster as well. `quit()` and
   * `disconnect()` end it even while Redis is down (commands queued for the reconnect fail).
   * @example
   * const worker = new Worker('mail', handler, { connection: pool.bullmq() });
   */
  bullmq(): Redis {
    this.assertOpen();
    return this.dedicated.create('bullmq') as Redis;
  }

  /** Every key matching `pattern`, via SCAN on every master (never KEYS). */
  async *scanKeys(pattern: string, count = 500): AsyncGenerator<string> {
    this.assertOpen();
    await this.shared.connect();
    const primary = this.shared.primary;
    const nodes: RedisConnection[] = primary instanceof Cluster ? primary.nodes('master') : [primary];
    for (const node of nodes) {
      let cursor = '0';
      do {
        const [next, keys] = (await this.withDeadline(
          node.scan(cursor, 'MATCH', pattern, 'COUNT', count),
          'SCAN',
        )) as [string, string[]];
        cursor = next;
        this.lastActivityAt = Date.now();
        yield* keys;
      } while (cursor !== '0');
    }
  }

  /** A snapshot of connections, activity and counters. */
  stats(): PoolStats {
    const now = Date.now();
    this.shared.sample(now);
    const idleMs = this.options.idleDisconnectMs;
    const open = this.shared.openConnections + this.exclusive.size + this.dedicated.size;
    return {
      name: this.name,
      status: this.currentStatus,
      maxConnections: this.options.maxConnections,
      open,
      idle: this.exclusive.idle,
      inUse: this.exclusive.borrowed + this.dedicated.size,
      waiting: this.exclusive.pending,
      sharedLane: {
        connections: this.shared.openConnections,
        inFlight: this.shared.inFlight,
        queued: this.shared.queued,
      },
      dedicated: this.dedicated.size,
      lastActivity: this.lastActivityAt ? new Date(this.lastActivityAt).toISOString() : null,
      idleDisconnectMs: idleMs,
      msUntilIdleDisconnect:
        idleMs === 0 || open === 0 || this.lastActivityAt === 0
          ? null
          : Math.max(0, this.lastActivityAt + idleMs - now),
      healthy: this.healthy && this.currentStatus !== 'reconnecting',
      connected: this.shared.readyConnections > 0,
      counters: this.instruments.snapshot(),
    };
  }

  /**
   * Stops new work (it fails with PoolClosedError), lets in-flight commands and leases finish
   * until `timeoutMs`, then closes every connection.
   */
  async close(options: CloseOptions = {}): Promise<void> {
    if (this.currentStatus === 'closed' || this.currentStatus === 'closing') return;
    const timeoutMs = options.timeoutMs ?? 5_000;
    const deadline = Date.now() + timeoutMs;
    this.setStatus('closing', 'close() called');
    for (const t of this.timers) clearInterval(t);
    while (this.shared.inFlight > 0 && Date.now() < deadline) await sleep(10);
    const remaining = () => Math.max(100, deadline - Date.now());
    await this.exclusive.close(deadline);
    // A Redis that stops answering mid-QUIT would hold close() up: QUIT with a deadline, then force.
    await this.dedicated.closeAll(remaining());
    await this.shared.disconnect('pool closed', remaining());
    this.setStatus('closed', 'closed');
    this.emit('closed');
  }

  /** Closes every connection at once; in-flight commands fail. */
  async destroy(): Promise<void> {
    await this.close({ timeoutMs: 0 });
  }

  private dispatch(command: string, args: readonly RedisArg[], buffer: boolean): Promise<unknown> {
    if (this.currentStatus === 'closing' || this.currentStatus === 'closed') {
      return Promise.reject(new PoolClosedError(this.name));
    }
    const route = routeCommand(command, args);
    if (route.lane === 'rejected')
      return Promise.reject(new UnsupportedCommandError(command.toUpperCase(), route.hint));
    if (route.lane === 'exclusive') return this.blocking(command, args, buffer, route.blockMs);
    const attempt = this.shared.send(command, args, buffer);
    if (!this.options.retryOnTimeout || !route.readOnly) return attempt;
    return attempt.catch((err: unknown) => {
      if (err instanceof CommandTimeoutError || err instanceof ConnectionError)
        return this.shared.send(command, args, buffer);
      throw err;
    });
  }

  private async blocking(
    command: string,
    args: readonly RedisArg[],
    buffer: boolean,
    blockMs: number,
  ): Promise<unknown> {
    if (!Number.isFinite(blockMs) || blockMs === 0) {
      throw new UnsupportedCommandError(
        command.toUpperCase(),
        'a blocking command needs a finite, non-zero timeout here (every wait has a deadline); use pool.withConnection() to block forever',
      );
    }
    const lease = await this.exclusive.acquire();
    const started = performance.now();
    const conn = lease.connection;
    try {
      const reply = await this.withDeadline(
        buffer ? conn.callBuffer(command, ...args) : conn.call(command, ...args),
        command,
        blockMs + this.options.commandTimeoutMs,
      );
      this.instruments.commandFinished(command, (performance.now() - started) / 1000, null);
      await lease.release();
      return reply;
    } catch (err) {
      const kind =
        err instanceof CommandTimeoutError ? 'timeout' : err instanceof PoolError ? 'connection' : 'reply';
      this.instruments.commandFinished(command, (performance.now() - started) / 1000, kind);
      if (kind === 'reply') await lease.release();
      else await lease.destroy();
      throw err;
    }
  }

  private withDeadline<T>(
    promise: Promise<T>,
    command: string,
    ms = this.options.commandTimeoutMs,
  ): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new CommandTimeoutError(command, ms)), ms);
    });
    return Promise.race([
      promise.catch((err: Error) => {
        if (err.name === 'ReplyError') throw err;
        throw new ConnectionError(`Connection lost: ${err.message}`, { cause: err });
      }),
      deadline,
    ]).finally(() => clearTimeout(timer));
  }

  private startTimers(): void {
    // The shared lane's hot path only counts; this turns the counts into activity times.
    const clock = setInterval(() => this.shared.sample(), 250);
    clock.unref();
    this.timers.push(clock);
    const interval = this.options.healthCheckIntervalMs;
    if (interval > 0) {
      const sweep = setInterval(() => {
        if (this.currentStatus === 'connected') void this.shared.sweep();
        this.exclusive.trimIdle();
      }, sweepPeriodMs(interval));
      sweep.unref();
      this.timers.push(sweep);
    }
    const idleMs = this.options.idleDisconnectMs;
    if (idleMs > 0) {
      const idle = setInterval(() => void this.disconnectIfIdle(), Math.min(5_000, Math.floor(idleMs / 10)));
      idle.unref();
      this.timers.push(idle);
    }
  }

  private async disconnectIfIdle(): Promise<void> {
    this.shared.sample();
    const busy =
      this.shared.inFlight > 0 ||
      this.shared.queued > 0 ||
      this.exclusive.borrowed > 0 ||
      this.exclusive.pending > 0 ||
      this.dedicated.size > 0;
    const open = this.shared.openConnections + this.exclusive.size;
    if (busy || open === 0 || Date.now() - this.lastActivityAt < this.options.idleDisconnectMs) return;
    // Not while reconnecting: that is not idleness, and the pool keeps to its retry policy.
    if (this.currentStatus !== 'connected') return;
    this.log.info({ idleDisconnectMs: this.options.idleDisconnectMs }, 'idle: closing every connection');
    await this.exclusive.closeIdle();
    await this.shared.disconnect('idle', 1_000);
    // Counted once every connection has closed, so the counter never runs ahead of stats().
    this.instruments.counters.idleDisconnects++;
    this.setStatus('idle', 'idle');
  }

  private setStatus(next: PoolStatus, reason: string): void {
    const previous = this.currentStatus;
    if (previous === next || previous === 'closed') return;
    this.currentStatus = next;
    this.log.debug({ from: previous, to: next, reason }, 'status');
    process.nextTick(() => {
      this.emit('status', next);
      if (next === 'connected') this.emit('connected', { pool: this.name, reason });
      if (previous === 'connected' && next !== 'connected')
        this.emit('disconnected', { pool: this.name, reason });
    });
  }

  private assertOpen(): void {
    if (this.currentStatus === 'closing' || this.currentStatus === 'closed')
      throw new PoolClosedError(this.name);
  }
}

/**
 * The typed commands of ioredis (`pool.get(key)`, `pool.hgetall(key)`, `pool.getBuffer(key)`…),
 * sent as {@link Pool.call} sends them; see `commands.ts`.
 */
export interface Pool extends PoolCommands {}
installCommands(Pool.prototype);

/**
 * Creates a pool; options are validated now and a bad one throws `ConfigError`.
 * No connection is opened until the first command or `pool.connect()`.
 */
export function createPool(options: PoolOptions = {}): Pool {
  return new Pool(options);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
