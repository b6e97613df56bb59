import type { Pool } from '@redpool/pool';
import type { ChannelHub } from '../channels/channel-hub.js';
import type { Fanout } from '../channels/fanout.js';

/** How often Redis is checked. */
export const HEALTH_INTERVAL_MS = 1_000;
/** How long one check's PING may take before Redis counts as unreachable. */
export const HEALTH_TIMEOUT_MS = 1_000;
const ANNOUNCE_EVERY_TICKS = 10;

/**
 * Watches Redis for the server once a second: a PING through the pool (which also makes an idle
 * pool reconnect) and the fan-out's own connections and subscriptions decide readiness; the
 * fan-out mode announcement is re-written every 10 s so it survives a Redis that lost its data;
 * and after the subscriber was away, every local channel is resynced from the history, because
 * whatever was published meanwhile never arrived.
 *
 * Each PING has its own deadline (`HEALTH_TIMEOUT_MS`), so a Redis that stops answering (frozen,
 * a black-holed network) turns readiness off within interval + deadline, not after the pool's
 * command timeout; while a PING is unanswered no other is sent, so checks never queue up behind
 * a stuck one — every tick meanwhile counts as failed.
 */
export class RedisHealth {
  private timer: NodeJS.Timeout | undefined;
  private ticks = 0;
  private checking = false;
  /** The PING of a check that missed its deadline, until Redis answers (or fails) it. */
  private stuckPing: Promise<unknown> | undefined;
  private needsResync = false;

  constructor(
    private readonly deps: {
      pool: Pool;
      fanout: Fanout;
      hub: ChannelHub;
      announcement: { key: string; mode: string };
      /** Checks run only while this is true (not during start-up, drain or stop). */
      running: () => boolean;
      setReady: (ready: boolean) => void;
    },
  ) {
    for (const event of ['close', '-subscriber', '-node'])
      deps.fanout.subscriber.on(event, () => {
        this.needsResync = true;
      });
    deps.pool.on('status', () => void this.check());
  }

  /** False while the pool's shared lane is reconnecting: requests fail fast instead of queueing. */
  get redisAvailable(): boolean {
    return this.deps.pool.status !== 'reconnecting';
  }

  start(): void {
    this.timer ??= setInterval(() => void this.check(), HEALTH_INTERVAL_MS);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One check, within HEALTH_TIMEOUT_MS; overlapping calls are skipped. */
  async check(): Promise<void> {
    const { pool, fanout, running } = this.deps;
    if (this.checking || !running()) return;
    if (this.stuckPing) {
      // The last PING is still unanswered, past its deadline: Redis is not answering.
      this.markUnhealthy();
      return;
    }
    this.checking = true;
    try {
      // A lost connection flips readiness at once, before the PING's answer (or deadline).
      if (!this.redisAvailable || !fanout.healthy) this.markUnhealthy();
      const redisOk = await this.ping();
      if (!running()) return;
      const healthy = redisOk && fanout.healthy;
      const { key, mode } = this.deps.announcement;
      // Not awaited: the announcement has the pool's own deadline and must not delay a check.
      if (healthy && ++this.ticks % ANNOUNCE_EVERY_TICKS === 0)
        void pool.set(key, mode).catch(() => undefined);
      if (!healthy) {
        this.markUnhealthy();
        return;
      }
      this.deps.setReady(true);
      if (this.needsResync) {
        this.needsResync = false;
        void this.deps.hub.resyncAll();
      }
    } finally {
      this.checking = false;
    }
  }

  /** PINGs Redis: true if answered within HEALTH_TIMEOUT_MS; a later answer clears `stuckPing`. */
  private ping(): Promise<boolean> {
    const ping = this.deps.pool.ping();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), HEALTH_TIMEOUT_MS);
    });
    return Promise.race([
      ping.then(
        () => 'ok' as const,
        () => 'failed' as const,
      ),
      deadline,
    ]).then((outcome) => {
      clearTimeout(timer);
      if (outcome === 'late') {
        const stuck = ping
          .catch(() => undefined)
          .finally(() => {
            if (this.stuckPing === stuck) this.stuckPing = undefined;
          });
        this.stuckPing = stuck;
      }
      return outcome === 'ok';
    });
  }

  private markUnhealthy(): void {
    this.needsResync = true;
    this.deps.setReady(false);
  }
}
