import { type Pool, registerPoolMetrics } from '@redpool/pool';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { DROP_REASON, type WsErrorCode } from './errors.js';

/** Snapshot sources the gauges read at scrape time. */
export interface GaugeSources {
  connections(): { websocket: number; polling: number };
  subscriptions(): number;
  channels(): number;
  ready(): boolean;
}

/**
 * The ws-server's Prometheus metrics (`redpool_ws_*`, base units, `_total` counters) plus the
 * pool's (`redpool_pool_*`, `redpool_command_*`) in one registry.
 */
export class WsMetrics {
  readonly registry = new Registry();
  private readonly messages: Counter<'pattern' | 'direction'>;
  private readonly trimmed: Counter<'pattern' | 'reason'>;
  private readonly drops: Counter<'reason'>;
  private readonly recoveries: Counter<'pattern' | 'result'>;
  private readonly gaps: Counter<'result'>;
  private readonly latency: Histogram<'pattern'>;
  private readonly outChildren = new Map<string, Counter.Internal>();
  private readonly latencyChildren = new Map<string, Histogram.Internal<'pattern'>>();

  constructor(sources: GaugeSources, pool: Pool) {
    const registers = [this.registry];
    new Gauge({
      name: 'redpool_ws_connections',
      help: 'Live Socket.IO connections by transport',
      labelNames: ['transport'],
      registers,
      collect() {
        const c = sources.connections();
        this.set({ transport: 'websocket' }, c.websocket);
        this.set({ transport: 'polling' }, c.polling);
      },
    });
    new Gauge({
      name: 'redpool_ws_subscriptions',
      help: 'Channel subscriptions of the connections of this instance',
      registers,
      collect() {
        this.set(sources.subscriptions());
      },
    });
    new Gauge({
      name: 'redpool_ws_channels',
      help: 'Channels with at least one subscriber on this instance',
      registers,
      collect() {
        this.set(sources.channels());
      },
    });
    new Gauge({
      name: 'redpool_ws_ready',
      help: '1 when Redis is reachable and the instance accepts work (/readyz)',
      registers,
      collect() {
        this.set(sources.ready() ? 1 : 0);
      },
    });
    this.messages = new Counter({
      name: 'redpool_ws_messages_total',
      help: 'Messages by channel pattern: in = accepted from clients of this instance, out = written to its clients',
      labelNames: ['pattern', 'direction'],
      registers,
    });
    this.trimmed = new Counter({
      name: 'redpool_ws_history_trimmed_total',
      help: 'History entries removed by appends and reads of this instance, by reason (capacity or expiry)',
      labelNames: ['pattern', 'reason'],
      registers,
    });
    this.drops = new Counter({
      name: 'redpool_ws_drops_total',
      help: 'Messages and requests dropped or refused, by reason (capacity, expiry, slow_consumer, rate_limit, auth, ...)',
      labelNames: ['reason'],
      registers,
    });
    this.recoveries = new Counter({
      name: 'redpool_ws_recoveries_total',
      help: 'Subscriptions that asked for recovery, by result (ok, failed)',
      labelNames: ['pattern', 'result'],
      registers,
    });
    this.gaps = new Counter({
      name: 'redpool_ws_gaps_total',
      help: 'Offset gaps seen on the fan-out (lost pub/sub messages), by result (repaired from history, reset)',
      labelNames: ['result'],
      registers,
    });
    this.latency = new Histogram({
      name: 'redpool_ws_publish_latency_seconds',
      help: 'From a message being accepted to this instance writing it to its subscribers',
      labelNames: ['pattern'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    registerPoolMetrics(pool, this.registry);
  }

  published(pattern: string): void {
    this.messages.inc({ pattern, direction: 'in' });
  }

  delivered(pattern: string, count: number): void {
    if (count <= 0) return;
    let child = this.outChildren.get(pattern);
    if (!child) {
      child = this.messages.labels({ pattern, direction: 'out' });
      this.outChildren.set(pattern, child);
    }
    child.inc(count);
  }

  observeLatency(pattern: string, seconds: number): void {
    let child = this.latencyChildren.get(pattern);
    if (!child) {
      child = this.latency.labels({ pattern });
      this.latencyChildren.set(pattern, child);
    }
    child.observe(Math.max(0, seconds));
  }

  historyTrimmed(pattern: string, capacity: number, expiry: number): void {
    if (capacity > 0) {
      this.trimmed.inc({ pattern, reason: 'capacity' }, capacity);
      this.drops.inc({ reason: 'capacity' }, capacity);
    }
    if (expiry > 0) {
      this.trimmed.inc({ pattern, reason: 'expiry' }, expiry);
      this.drops.inc({ reason: 'expiry' }, expiry);
    }
  }

  refused(code: WsErrorCode): void {
    this.drops.inc({ reason: DROP_REASON[code] });
  }

  recovery(pattern: string, ok: boolean): void {
    this.recoveries.inc({ pattern, result: ok ? 'ok' : 'failed' });
  }

  gap(result: 'repaired' | 'reset'): void {
    this.gaps.inc({ result });
  }
}
