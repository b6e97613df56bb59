import { type Pool, PoolClosedError, type RedisConnection } from '@redpool/pool';
import type { Logger } from 'pino';

/** The channel Redis publishes client-tracking invalidations on for RESP2 clients. */
export const INVALIDATION_CHANNEL = '__redis__:invalidate';

/**
 * `idle`: not started. `connecting`: opening the tracking connection and enabling tracking.
 * `tracking`: every write under the prefix will be announced. `waiting`: the connection was lost,
 * a new one is opened after a delay. `closed`: for good.
 */
export type TrackerState = 'idle' | 'connecting' | 'tracking' | 'waiting' | 'closed';

/** What the tracker tells its local cache. */
export interface TrackerEvents {
  /** Redis announced writes to these keys; `null` means every key (FLUSHALL, FLUSHDB). */
  invalidated(keys: readonly string[] | null): void;
  /** Tracking stopped or started anew: invalidations may have been missed, drop everything. */
  reset(reason: string): void;
}

/** Timings of {@link InvalidationTracker}. */
export interface TrackerTimings {
  /** How often the idle tracking connection is PINGed. */
  pingIntervalMs: number;
  /** A PING or setup step without a reply within this time drops the connection. */
  replyTimeoutMs: number;
}

const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 2_000;

/**
 * Server-assisted invalidation for a key prefix, over one RESP2 subscriber connection from the
 * pool that never reconnects in place (so it counts against `maxConnections` and leaves the
 * budget when it closes): `CLIENT TRACKING ON REDIRECT <own id> BCAST
 * PREFIX <prefix>` then `SUBSCRIBE __redis__:invalidate`. The tracking state lives on the very
 * connection that receives the invalidations, so one event — that socket closing, or a PING
 * going unanswered — tells that invalidations may have been missed. Then the connection is
 * discarded (never reconnected in place: a reconnected socket would resubscribe without
 * tracking), the cache is reset, and a new connection is set up.
 */
export class InvalidationTracker {
  private current: TrackerState = 'idle';
  private conn: RedisConnection | null = null;
  private pingTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private pinging = false;
  private failures = 0;

  constructor(
    private readonly pool: Pool,
    private readonly prefix: string,
    private readonly timings: TrackerTimings,
    private readonly events: TrackerEvents,
    private readonly log: Logger | undefined,
  ) {}

  get state(): TrackerState {
    return this.current;
  }

  /** True while every write under the prefix is announced on a live connection. */
  get active(): boolean {
    return this.current === 'tracking';
  }

  start(): void {
    if (this.current !== 'idle') return;
    void this.connect();
  }

  close(): void {
    if (this.current === 'closed') return;
    this.current = 'closed';
    clearTimeout(this.retryTimer);
    clearInterval(this.pingTimer);
    const conn = this.conn;
    this.conn = null;
    this.events.reset('cache closed');
    // disconnect, not QUIT: nothing is pending on this connection, and QUIT could wait on a
    // frozen Redis. The pool counts the connection out when it ends.
    conn?.disconnect();
  }

  private async connect(): Promise<void> {
    this.current = 'connecting';
    let conn: RedisConnection | null = null;
    try {
      conn = await this.pool.subscriber({ protocol: 2, reconnect: false });
      if (this.isClosed()) {
        conn.disconnect();
        return;
      }
      this.conn = conn;
      const owned = conn;
      conn.on('close', () => this.lost(owned, 'tracking connection closed'));
      conn.on('messageBuffer', (channel: Buffer, message: unknown) => {
        if (this.conn === owned && channel.toString() === INVALIDATION_CHANNEL) this.announce(message);
      });
      const id = await this.withDeadline(conn.client('ID'), 'CLIENT ID');
      await this.withDeadline(
        conn.call('CLIENT', 'TRACKING', 'ON', 'REDIRECT', id, 'BCAST', 'PREFIX', this.prefix),
        'CLIENT TRACKING',
      );
      await this.withDeadline(conn.subscribe(INVALIDATION_CHANNEL), 'SUBSCRIBE');
      if (this.conn !== owned || this.isClosed()) return;
      this.current = 'tracking';
      this.failures = 0;
      // Entries stored before this point were stored without this session's tracking.
      this.events.reset('tracking started');
      this.pingTimer = setInterval(() => void this.ping(owned), this.timings.pingIntervalMs);
      this.pingTimer.unref();
      this.log?.info({ prefix: this.prefix }, 'client tracking on');
    } catch (err) {
      if (err instanceof PoolClosedError) {
        // The pool was closed under the cache: nothing to track with any more.
        this.current = 'closed';
        this.events.reset('pool closed');
      } else if (conn) this.lost(conn, `tracking setup failed: ${(err as Error).message}`);
      else this.retryLater(`no tracking connection: ${(err as Error).message}`);
    }
  }

  private isClosed(): boolean {
    return this.current === 'closed';
  }

  private announce(message: unknown): void {
    if (message === null) this.events.invalidated(null);
    else if (Array.isArray(message)) this.events.invalidated(message.map((k) => String(k)));
  }

  private async ping(conn: RedisConnection): Promise<void> {
    if (this.pinging || this.conn !== conn || !this.active) return;
    this.pinging = true;
    try {
      await this.withDeadline(conn.ping(), 'PING');
    } catch (err) {
      this.lost(conn, `tracking connection unhealthy: ${(err as Error).message}`);
    } finally {
      this.pinging = false;
    }
  }

  /** The connection can no longer be trusted to deliver every invalidation: reset, then retry. */
  private lost(conn: RedisConnection, reason: string): void {
    if (this.conn !== conn) return;
    this.conn = null;
    clearInterval(this.pingTimer);
    conn.disconnect();
    if (this.isClosed()) return;
    this.events.reset(reason);
    this.retryLater(reason);
  }

  private retryLater(reason: string): void {
    if (this.isClosed()) return;
    this.current = 'waiting';
    this.failures++;
    const delay = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** (this.failures - 1));
    this.log?.warn({ reason, retryInMs: delay }, 'client tracking off; local cache bypassed');
    this.retryTimer = setTimeout(() => void this.connect(), delay);
    this.retryTimer.unref();
  }

  private withDeadline<T>(promise: Promise<T>, step: string): Promise<T> {
    const ms = this.timings.replyTimeoutMs;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${step} got no reply within ${ms} ms`)), ms);
    });
    return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
  }
}
