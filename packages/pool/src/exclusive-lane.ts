import { createPool, type Pool as GenericPool } from 'generic-pool';
import type { Logger } from 'pino';
import { fullJitterDelay } from './backoff.js';
import { type ConnectionFactory, connectWithDeadline, type RedisConnection } from './connection-factory.js';
import { AcquireTimeoutError, ConnectionError, PoolExhaustedError } from './errors.js';
import { pingWithDeadline } from './health.js';
import type { Instruments } from './instruments.js';
import type { ResolvedPoolOptions } from './options.js';
import { quitWithDeadline } from './shared-lane.js';

/** An exclusive connection on loan. Call exactly one of `release()` or `destroy()`. */
export interface Lease {
  readonly connection: RedisConnection;
  /** Gives the connection back (destroyed instead if it is no longer ready). */
  release(): Promise<void>;
  /** Closes the connection (use after an error that may have left it in a bad state). */
  destroy(): Promise<void>;
}

/** Options of one lease. */
export interface AcquireOptions {
  /**
   * Report this lease as a probable leak after this long; `0` for a lease that is meant to be
   * long-lived (a receive loop, a subscriber-like consumer). @defaultValue the pool's `leaseWarnMs`
   */
  leaseWarnMs?: number;
}

interface Waiter {
  settled: boolean;
  reject(err: Error): void;
}

interface Loan {
  leasedAt: number;
  warnTimer: NodeJS.Timeout | undefined;
}

/** Everything the lane needs from its pool, besides options. */
export interface ExclusiveLaneContext {
  factory: ConnectionFactory;
  log: Logger;
  instruments: Instruments;
  /** Connections open outside this lane (shared lane, subscribers, BullMQ). */
  connectionsElsewhere(): number;
  activity(): void;
}

/**
 * The exclusive lane: a generic-pool of connections leased for work that must own one
 * (blocking commands, WATCH/MULTI). It wraps generic-pool's sharp edges: creation has a deadline
 * and a jittered backoff after failures (no busy loop, generic-pool #175), waiters fail with the
 * real connect error at once instead of hanging, validation never rejects, and `use()` (which
 * destroys a connection on any Redis reply error) is never used.
 */
export class ExclusiveLane {
  private pool: GenericPool<RedisConnection> | null = null;
  private readonly waiters = new Set<Waiter>();
  private readonly loans = new Map<RedisConnection, Loan>();
  private readonly lastUsed = new WeakMap<RedisConnection, number>();
  private createFailures = 0;

  constructor(
    private readonly options: ResolvedPoolOptions,
    private readonly ctx: ExclusiveLaneContext,
  ) {}

  /** Connections this lane may hold at most. */
  get capacity(): number {
    return this.options.maxConnections - this.options.sharedConnections;
  }

  get size(): number {
    return this.pool?.size ?? 0;
  }

  get idle(): number {
    return this.pool?.available ?? 0;
  }

  get borrowed(): number {
    return this.loans.size;
  }

  get pending(): number {
    return this.waiters.size;
  }

  /** Leases a connection within `acquireTimeoutMs`. */
  acquire(options: AcquireOptions = {}): Promise<Lease> {
    const leaseWarnMs = options.leaseWarnMs ?? this.options.leaseWarnMs;
    const pool = this.ensurePool();
    const started = performance.now();
    if (pool.available === 0 && this.waiters.size - pool.spareResourceCapacity >= this.options.maxWaiting) {
      return Promise.reject(new PoolExhaustedError(this.options.name, this.options.maxWaiting));
    }
    return new Promise<Lease>((resolve, reject) => {
      const waiter: Waiter = {
        settled: false,
        reject: (err) => {
          if (waiter.settled) return;
          waiter.settled = true;
          this.waiters.delete(waiter);
          clearTimeout(timer);
          this.ctx.instruments.acquireFinished(
            (performance.now() - started) / 1000,
            err instanceof AcquireTimeoutError,
          );
          reject(err);
        },
      };
      const timer = setTimeout(
        () => waiter.reject(new AcquireTimeoutError(this.options.name, this.options.acquireTimeoutMs)),
        this.options.acquireTimeoutMs,
      );
      this.waiters.add(waiter);
      pool.acquire().then(
        (conn) => {
          if (waiter.settled) {
            // The caller gave up (deadline or create failure) before this arrived: hand it back.
            void pool.release(conn).catch(() => undefined);
            return;
          }
          waiter.settled = true;
          this.waiters.delete(waiter);
          clearTimeout(timer);
          this.ctx.instruments.acquireFinished((performance.now() - started) / 1000, false);
          resolve(this.lend(pool, conn, leaseWarnMs));
        },
        (err: Error) => {
          const mapped =
            err.name === 'TimeoutError'
              ? new AcquireTimeoutError(this.options.name, this.options.acquireTimeoutMs)
              : err;
          waiter.reject(
            mapped.message.includes('max waitingClients')
              ? new PoolExhaustedError(this.options.name, this.options.maxWaiting)
              : mapped,
          );
        },
      );
    });
  }

  /** Closes every idle connection now (idle disconnect); leased ones are left alone. */
  async closeIdle(): Promise<void> {
    const pool = this.pool;
    if (!pool || this.loans.size > 0 || this.waiters.size > 0) return;
    this.pool = null;
    await pool.drain();
    await pool.clear();
  }

  /**
   * Stops lending, waits for leases to come back until `deadline` (epoch ms), then closes
   * every connection, leased or not.
   */
  async close(deadline: number): Promise<void> {
    const pool = this.pool;
    for (const w of [...this.waiters]) w.reject(new ConnectionError('Pool is closing'));
    while (this.loans.size > 0 && Date.now() < deadline) await sleep(20);
    for (const conn of this.loans.keys()) conn.disconnect();
    if (!pool) return;
    this.pool = null;
    const drained = pool.drain().then(() => pool.clear());
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, Math.max(0, deadline - Date.now()) + 100);
    });
    await Promise.race([drained, late]);
    clearTimeout(timer);
  }

  private lend(pool: GenericPool<RedisConnection>, conn: RedisConnection, leaseWarnMs: number): Lease {
    const loan: Loan = { leasedAt: Date.now(), warnTimer: undefined };
    if (leaseWarnMs > 0) {
      loan.warnTimer = setTimeout(() => {
        this.ctx.instruments.counters.leaseWarnings++;
        this.ctx.log.warn(
          { heldMs: Date.now() - loan.leasedAt, leaseWarnMs },
          'connection lease held past leaseWarnMs: probable leak (release() or destroy() it)',
        );
      }, leaseWarnMs);
      loan.warnTimer.unref();
    }
    this.loans.set(conn, loan);
    this.ctx.activity();
    let done = false;
    const finish = async (destroy: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(loan.warnTimer);
      this.loans.delete(conn);
      this.lastUsed.set(conn, Date.now());
      this.ctx.activity();
      if (destroy || conn.status !== 'ready' || this.pool !== pool) {
        await pool.destroy(conn).catch(() => undefined);
      } else {
        await pool.release(conn).catch(() => undefined);
      }
    };
    return { connection: conn, release: () => finish(false), destroy: () => finish(true) };
  }

  private ensurePool(): GenericPool<RedisConnection> {
    if (this.pool) return this.pool;
    const o = this.options;
    const pool = createPool<RedisConnection>(
      {
        create: () => this.create(),
        destroy: (conn) => quitWithDeadline(conn, 1_000),
        validate: (conn) => this.validate(conn),
      },
      {
        max: this.capacity,
        min: o.minIdle,
        maxWaitingClients: o.maxWaiting,
        testOnBorrow: true,
        acquireTimeoutMillis: o.acquireTimeoutMs,
        fifo: false,
        autostart: true,
        evictionRunIntervalMillis: 30_000,
        numTestsPerEvictionRun: 10,
        softIdleTimeoutMillis: 300_000,
        // generic-pool's hard idleTimeout ignores `min` and causes churn: effectively off.
        idleTimeoutMillis: 2_147_483_647,
      },
    );
    pool.on('factoryCreateError', (err: Error) => {
      this.ctx.log.warn({ err: err.message }, 'exclusive connection could not be created');
      for (const w of [...this.waiters]) w.reject(err);
    });
    pool.on('factoryDestroyError', () => undefined);
    this.pool = pool;
    return pool;
  }

  private async create(): Promise<RedisConnection> {
    if (this.createFailures > 0) {
      await sleep(
        fullJitterDelay(this.createFailures, this.options.retry.baseDelayMs, this.options.retry.maxDelayMs),
      );
    }
    if (this.ctx.connectionsElsewhere() + this.size > this.options.maxConnections) {
      throw new PoolExhaustedError(this.options.name, this.options.maxWaiting);
    }
    const conn = this.ctx.factory.create('exclusive');
    conn.on('error', (err: Error) => this.ctx.log.debug({ err: err.message }, 'exclusive connection error'));
    try {
      await connectWithDeadline(conn, this.options.connectTimeoutMs);
    } catch (err) {
      this.createFailures++;
      throw err;
    }
    this.createFailures = 0;
    this.lastUsed.set(conn, Date.now());
    return conn;
  }

  private async validate(conn: RedisConnection): Promise<boolean> {
    if (conn.status !== 'ready') return false;
    const interval = this.options.healthCheckIntervalMs;
    const idleFor = Date.now() - (this.lastUsed.get(conn) ?? 0);
    if (interval === 0 || idleFor < interval) return true;
    const ok = await pingWithDeadline(conn, this.options.healthCheckTimeoutMs);
    if (!ok) this.ctx.instruments.counters.healthCheckFailures++;
    return ok;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
