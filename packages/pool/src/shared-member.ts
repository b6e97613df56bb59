import type { Socket } from 'node:net';
import type { Redis } from 'ioredis';
import type { RedisConnection } from './connection-factory.js';

/**
 * Where one shared connection stands, as the lane sees it (ioredis' own `status` lags: it says
 * `ready` until a socket the lane destroyed has actually closed).
 *
 * - `connecting`: no usable socket; ioredis is connecting or waiting to reconnect.
 * - `ready`: usable, and a reply came within `healthCheckIntervalMs`.
 * - `due`: usable, but idle past `healthCheckIntervalMs`: PING before the next use.
 * - `checking`: a health-check PING is under way; commands wait for its outcome.
 * - `resetting`: the lane destroyed the socket (timeout, failed PING) and waits for ioredis to
 *   notice. Picking the member meanwhile would PING a destroyed socket, fail at once, reset and
 *   pick it again — a loop of microtasks that never lets the close be processed.
 * - `closing`: closed on purpose (idle disconnect, `close()`): a PING failing now is no fault.
 * - `closed`: ended; the next command reconnects it.
 */
export type MemberStatus = 'connecting' | 'ready' | 'due' | 'checking' | 'resetting' | 'closing' | 'closed';

/** One connection of the shared lane and what the lane tracks about it. */
export class SharedMember {
  status: MemberStatus = 'closed';
  inFlight = 0;
  /** Time of the last reply seen by {@link SharedMember.sample} (ms since epoch), 0 if none yet. */
  lastReplyAt = 0;
  /** The PING of the `checking` status. */
  check: Promise<boolean> | null = null;
  readyWatchdog: NodeJS.Timeout | undefined;
  lastError: Error | null = null;
  /** When ioredis' socketTimeout last destroyed this member's socket. */
  socketTimedOutAt = 0;
  /** Replies received; sampled so the hot path never reads the clock. */
  replies = 0;
  private sampledReplies = 0;
  /** The socket {@link SharedMember.cork} corked for this tick, until its uncork runs. */
  private corked: Socket | null = null;

  constructor(readonly conn: RedisConnection) {}

  /** Can carry commands now (possibly after a health check). */
  get usable(): boolean {
    return this.status === 'ready' || this.status === 'due' || this.status === 'checking';
  }

  /** A reply arrived with the clock already read (slow path). */
  answered(now: number): void {
    this.lastReplyAt = now;
    if (this.status === 'due') this.status = 'ready';
  }

  /** Turns the reply count into a time and marks the member `due` once idle past `intervalMs`. */
  sample(now: number, intervalMs: number): void {
    if (this.replies !== this.sampledReplies) {
      this.sampledReplies = this.replies;
      this.lastReplyAt = now;
      if (this.status === 'due') this.status = 'ready';
    }
    if (
      this.status === 'ready' &&
      intervalMs > 0 &&
      this.lastReplyAt > 0 &&
      now - this.lastReplyAt >= intervalMs
    )
      this.status = 'due';
  }

  /**
   * Holds the member's writes until the end of the current tick, so that every command sent in one
   * tick (the callers woken by one batch of replies, say) leaves in one write: what ioredis'
   * auto-pipelining does, without building a Pipeline object per flush. Only for a standalone or
   * Sentinel connection that is ready (the hot path); Cluster keeps ioredis' auto-pipelining, which
   * already groups commands per node. The socket corked is the one uncorked: after a reconnect
   * `conn.stream` is a new socket, and the old one must not stay corked (Node's end() and destroy()
   * flush or drop a corked buffer, so a close in between loses nothing that was not lost anyway).
   */
  cork(): void {
    const stream = (this.conn as Redis).stream as Socket;
    if (this.corked === stream) return;
    this.corked = stream;
    stream.cork();
    process.nextTick(uncork, this, stream);
  }

  /** @internal */
  uncork(stream: Socket): void {
    if (this.corked === stream) this.corked = null;
    stream.uncork();
  }
}

function uncork(m: SharedMember, stream: Socket): void {
  m.uncork(stream);
}
