import type { Pool } from '@redpool/pool';
import type { ChannelHub } from './channel-hub.js';
import type { Fanout } from './fanout.js';

const HEALTH_INTERVAL_MS = 1_000;
const ANNOUNCE_EVERY_TICKS = 10;

/**
 * Watches Redis for the server once a second: a PING through the pool (which also makes an idle
 * pool reconnect) and the fan-out's own connections and subscriptions decide readiness; the
 * fan-out mode announcement is re-written every 10 s so it survives a Redis that lost its data;
 * and after the subscriber was away, every local channel is resynced from the history, because
 * whatever was published meanwhile never arrived.
 */
export class RedisHealth {
  private timer: NodeJS.Timeout | undefined;
  private ticks = 0;
  private checking = false;
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

  /** One check; overlapping calls are skipped. */
  async check(): Promise<void> {
    const { pool, fanout, running } = this.deps;
    if (this.checking || !running()) return;
    this.checking = true;
    try {
      // A lost connection flips readiness at once, before the PING's answer (or deadline).
      if (!this.redisAvailable || !fanout.healthy) this.markUnhealthy();
      const redisOk = await pool.call('PING').then(
        () => true,
        () => false,
      );
      if (!running()) return;
      const healthy = redisOk && fanout.healthy;
      const { key, mode } = this.deps.announcement;
      if (healthy && ++this.ticks % ANNOUNCE_EVERY_TICKS === 0)
        await pool.call('SET', key, mode).catch(() => undefined);
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

  private markUnhealthy(): void {
    this.needsResync = true;
    this.deps.setReady(false);
  }
}
