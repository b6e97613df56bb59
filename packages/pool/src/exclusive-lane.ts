import type { Logger } from 'pino';
import { fullJitterDelay } from './backoff.js';
import { closeConnection } from './close-connection.js';
import type { ConnectionBudget, Slot } from './connection-budget.js';
import { type ConnectionFactory, connectWithDeadline, type RedisConnection } from './connection-factory.js';
import { AcquireTimeoutError, ConnectionError, PoolExhaustedError } from './errors.js';
import { pingWithDeadline } from './health.js';
import type { Instruments } from './instruments.js';
import type { ResolvedPoolOptions } from './options.js';

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
  readonly started: number;
  readonly leaseWarnMs: number;
  readonly timer: NodeJS.Timeout;
  readonly resolve: (lease: Lease) => void;
  readonly reject: (err: Error) => void;
}

/** Everything the lane needs from its pool, besides options. */
export interface ExclusiveLaneContext {
  factory: ConnectionFactory;
  budget: ConnectionBudget;
  log: Logger;
  instruments: Instruments;
  activity(): void;
}

/** Idle exclusive connections above `minIdle` are closed after this long unused. */
const IDLE_TRIM_MS = 300_000;

/**
 * The exclusive lane: connections leased for work that must own one (blocking commands,
 * WATCH/MULTI). Each connection holds a slot of the pool's {@link ConnectionBudget}, reserved
 * before it is created and given back when it has closed, so the lane never counts on its own.
 * Creation has a deadline and a jittered backoff after failures (no busy loop); when creation
 * fails, every waiter fails at once with the connect error; a waiter that is not served by
 * `acquireTimeoutMs` fails with {@link AcquireTimeoutError} and leaves nothing behind.
 */
export class ExclusiveLane {
  /** Connections ready to lend, most recently used last (LIFO keeps the others idle to be trimmed). */
  private readonly idleConnections: RedisConnection[] = [];
  private readonly waiters: Waiter[] = [];
  private readonly slots = new Map<RedisConnection, Slot>();
  private readonly borrowedConnections = new Set<RedisConnection>();
  private readonly lastUsed = new WeakMap<RedisConnection, number>();
  /** Creations and health checks under way: connections on their way to a waiter. */
  private coming = 0;
  private createFailures = 0;
  private closed = false;

  constructor(
    private readonly options: ResolvedPoolOptions,
    private readonly ctx: ExclusiveLaneContext,
  ) {
    ctx.budget.on('released', () => this.pump());
  }

  /** Connections of this lane: open, or being opened. */
  get size(): number {
    return this.slots.size;
  }

  get idle(): number {
    return this.idleConnections.length;
  }

  get borrowed(): number {
    return this.borrowedConnections.size;
  }

  get pending(): number {
    return this.waiters.length;
  }

  /** Leases a connection within `acquireTimeoutMs`. */
  acquire(options: AcquireOptions = {}): Promise<Lease> {
    this.replenish();
    // maxWaiting bounds the callers that wait for a connection to come back, not those that a
    // connection being created (or one the budget still allows) will serve.
    const servable = this.idleConnections.length + this.coming + this.ctx.budget.available;
    if (this.waiters.length - servable >= this.options.maxWaiting) {
      return Promise.reject(PoolExhaustedError.waiters(this.options.name, this.options.maxWaiting));
    }
    return new Promise<Lease>((resolve, reject) => {
      const started = performance.now();
      const waiter: Waiter = {
        started,
        leaseWarnMs: options.leaseWarnMs ?? this.options.leaseWarnMs,
        timer: setTimeout(
          () => this.fail(waiter, new AcquireTimeoutError(this.options.name, this.options.acquireTimeoutMs)),
          this.options.acquireTimeoutMs,
        ),
        resolve,
        reject,
      };
      this.waiters.push(waiter);
      this.pump();
    });
  }

  /**
   * Closes one idle connection at once so that its slot can go to a subscriber or a BullMQ
   * connection; false when none is idle.
   */
  freeIdleSlot(): boolean {
    const conn = this.idleConnections.shift();
    if (conn === undefined) return false;
    conn.disconnect();
    this.forget(conn);
    return true;
  }

  /** Closes idle connections above `minIdle` unused for `IDLE_TRIM_MS`. */
  trimIdle(now = Date.now()): void {
    while (this.idleConnections.length > this.options.minIdle) {
      const oldest = this.idleConnections[0]!;
      if (now - (this.lastUsed.get(oldest) ?? 0) < IDLE_TRIM_MS) return;
      this.idleConnections.shift();
      void this.retire(oldest, true);
    }
  }

  /** Closes every idle connection now (idle disconnect); leased ones are left alone. */
  async closeIdle(): Promise<void> {
    const idle = this.idleConnections.splice(0);
    await Promise.all(idle.map((conn) => this.retire(conn, true)));
  }

  /**
   * Stops lending, waits for leases to come back until `deadline` (epoch ms), then closes
   * every connection, leased or not.
   */
  async close(deadline: number): Promise<void> {
    this.closed = true;
    for (const w of [...this.waiters]) this.fail(w, new ConnectionError('Pool is closing'));
    while (this.borrowedConnections.size > 0 && Date.now() < deadline) await sleep(20);
    for (const conn of this.borrowedConnections) conn.disconnect();
    const all = [...this.slots.keys()];
    this.idleConnections.length = 0;
    await Promise.all(all.map((conn) => this.retire(conn, true)));
  }

  /** Serves waiters: an idle connection if one is ready, else a new one if the budget allows. */
  private pump(): void {
    while (this.waiters.length > 0) {
      const conn = this.idleConnections.pop();
      if (conn !== undefined) {
        if (conn.status !== 'ready') {
          void this.retire(conn, false);
          continue;
        }
        if (this.needsCheck(conn)) {
          void this.check(conn);
          continue;
        }
        this.lend(this.waiters.shift()!, conn);
        continue;
      }
      if (this.coming >= this.waiters.length || this.closed) return;
      const slot = this.ctx.budget.tryReserve('exclusive');
      if (slot === null) return; // served when a slot is released
      void this.create(slot);
    }
  }

  /** Keeps `minIdle` connections open (in the background; failures are retried by later calls). */
  private replenish(): void {
    while (!this.closed && this.slots.size + this.coming < this.options.minIdle) {
      const slot = this.ctx.budget.tryReserve('exclusive');
      if (slot === null) return;
      void this.create(slot);
    }
  }

  private async create(slot: Slot): Promise<void> {
    this.coming++;
    let conn: RedisConnection | undefined;
    try {
      if (this.createFailures > 0) {
        const { baseDelayMs, maxDelayMs } = this.options.retry;
        await sleep(fullJitterDelay(this.createFailures, baseDelayMs, maxDelayMs));
      }
      if (this.closed) throw new ConnectionError('Pool is closing');
      conn = this.ctx.factory.create('exclusive');
      this.adopt(conn, slot);
      await connectWithDeadline(conn, this.options.connectTimeoutMs);
      this.createFailures = 0;
      this.lastUsed.set(conn, Date.now());
      this.idleConnections.push(conn);
    } catch (err) {
      this.createFailures++;
      this.ctx.log.warn({ err: (err as Error).message }, 'exclusive connection could not be created');
      if (conn !== undefined) await this.retire(conn, false);
      // Redis is most likely down: no waiter should wait out its deadline for it.
      for (const w of [...this.waiters]) this.fail(w, err as Error);
    } finally {
      this.coming--;
      // A created connection owns its slot from adopt() on; a creation that never got that far frees it here.
      if (conn === undefined) slot.release();
    }
    this.pump();
  }

  /** Ties a connection to its slot: the slot is freed when the connection ends, however it ends. */
  private adopt(conn: RedisConnection, slot: Slot): void {
    this.slots.set(conn, slot);
    conn.on('error', (err: Error) => this.ctx.log.debug({ err: err.message }, 'exclusive connection error'));
    conn.once('end', () => this.forget(conn));
  }

  private forget(conn: RedisConnection): void {
    const at = this.idleConnections.indexOf(conn);
    if (at >= 0) this.idleConnections.splice(at, 1);
    this.slots.get(conn)?.release();
    this.slots.delete(conn);
  }

  /** Closes a connection (QUIT if `graceful`, else at once) and frees its slot once it is closed. */
  private async retire(conn: RedisConnection, graceful: boolean): Promise<void> {
    try {
      await closeConnection(conn, { deadlineMs: 1_000, quit: graceful });
    } finally {
      this.forget(conn);
    }
  }

  private needsCheck(conn: RedisConnection): boolean {
    const interval = this.options.healthCheckIntervalMs;
    return interval > 0 && Date.now() - (this.lastUsed.get(conn) ?? 0) >= interval;
  }

  /** PINGs a connection idle past `healthCheckIntervalMs`, then lends it or replaces it. */
  private async check(conn: RedisConnection): Promise<void> {
    this.coming++;
    try {
      if (await pingWithDeadline(conn, this.options.healthCheckTimeoutMs)) {
        this.lastUsed.set(conn, Date.now());
        this.idleConnections.push(conn);
      } else {
        this.ctx.instruments.counters.healthCheckFailures++;
        await this.retire(conn, false);
      }
    } finally {
      this.coming--;
    }
    this.pump();
  }

  private fail(waiter: Waiter, err: Error): void {
    const at = this.waiters.indexOf(waiter);
    if (at < 0) return;
    this.waiters.splice(at, 1);
    clearTimeout(waiter.timer);
    this.ctx.instruments.acquireFinished(
      (performance.now() - waiter.started) / 1000,
      err instanceof AcquireTimeoutError,
    );
    waiter.reject(err);
  }

  private lend(waiter: Waiter, conn: RedisConnection): void {
    clearTimeout(waiter.timer);
    this.ctx.instruments.acquireFinished((performance.now() - waiter.started) / 1000, false);
    this.borrowedConnections.add(conn);
    this.ctx.activity();
    const leasedAt = Date.now();
    let warnTimer: NodeJS.Timeout | undefined;
    if (waiter.leaseWarnMs > 0) {
      warnTimer = setTimeout(() => {
        this.ctx.instruments.counters.leaseWarnings++;
        this.ctx.log.warn(
          { heldMs: Date.now() - leasedAt, leaseWarnMs: waiter.leaseWarnMs },
          'connection lease held past leaseWarnMs: probable leak (release() or destroy() it)',
        );
      }, waiter.leaseWarnMs);
      warnTimer.unref();
    }
    let done = false;
    const finish = async (destroy: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(warnTimer);
      this.borrowedConnections.delete(conn);
      this.lastUsed.set(conn, Date.now());
      this.ctx.activity();
      if (destroy || conn.status !== 'ready' || this.closed || !this.slots.has(conn)) {
        await this.retire(conn, false);
      } else {
        this.idleConnections.push(conn);
        this.pump();
      }
    };
    waiter.resolve({ connection: conn, release: () => finish(false), destroy: () => finish(true) });
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
