import { type Pool, registerPoolMetrics } from '@redpool/pool';
import { Counter, Gauge, Registry } from 'prom-client';
import type { ConnectionCounts } from '../connections/connection-tracker.js';
import { DROP_REASON, type WsErrorCode } from '../errors.js';
import { BucketHistogram } from './bucket-histogram.js';

/** Snapshot sources the gauges read at scrape time. */
export interface GaugeSources {
  connections(): ConnectionCounts;
  subscriptions(): number;
  channels(): number;
  ready(): boolean;
  /** Whether a drain runs, since when (ms since the epoch, 0 if not), and the grace period (s). */
  drain(): { draining: boolean; startedAtMs: number; graceSeconds: number };
}

/**
 * The `pattern` label of drops: the channel's rule pattern (`*` when no configured pattern matched,
 * the same value every metric uses), or none when the drop concerns no valid channel.
 */
export type DropPattern = string | undefined;

/**
 * The ws-server's Prometheus metrics (`redpool_ws_*`, base units, `_total` counters) plus the
 * pool's (`redpool_pool_*`, `redpool_command_*`) in one registry. Each gauge names how the
 * supervisor combines it over its workers (`aggregator`); counters and histograms are summed.
 */
export class WsMetrics {
  readonly registry = new Registry();
  private readonly trimmed: Counter<'pattern' | 'reason'>;
  private readonly drops: Counter<'reason' | 'pattern'>;
  private readonly recoveries: Counter<'pattern' | 'result'>;
  private readonly gaps: Counter<'result'>;
  private readonly latency: BucketHistogram<'pattern'>;
  private readonly pendingIn = new Map<string, number>();
  private readonly pendingOut = new Map<string, number>();

  constructor(sources: GaugeSources, pool: Pool) {
    const registers = [this.registry];
    new Gauge({
      name: 'redpool_ws_connections',
      help: 'Live connections by type: Engine.IO sessions by transport (websocket, polling), plain HTTP requests in flight (http)',
      labelNames: ['transport'],
      registers,
      aggregator: 'sum',
      collect() {
        const c = sources.connections();
        this.set({ transport: 'websocket' }, c.websocket);
        this.set({ transport: 'polling' }, c.polling);
        this.set({ transport: 'http' }, c.http);
      },
    });
    new Gauge({
      name: 'redpool_ws_draining',
      help: '1 while the instance drains (SIGTERM, SIGINT or a supervisor restart): clients are being asked to reconnect elsewhere',
      registers,
      aggregator: 'max',
      collect() {
        this.set(sources.drain().draining ? 1 : 0);
      },
    });
    new Gauge({
      name: 'redpool_ws_drain_started_timestamp_seconds',
      help: 'When the current drain started (Unix time); 0 when not draining',
      registers,
      // The supervisor leaves out the workers that report 0: the oldest drain still running.
      aggregator: 'min',
      collect() {
        const d = sources.drain();
        this.set(d.draining ? d.startedAtMs / 1000 : 0);
      },
    });
    new Gauge({
      name: 'redpool_ws_drain_grace_seconds',
      help: 'The drain grace period (WS_DRAIN_GRACE_SECONDS): connections left after it are closed and the process exits',
      registers,
      aggregator: 'max',
      collect() {
        this.set(sources.drain().graceSeconds);
      },
    });
    new Gauge({
      name: 'redpool_ws_subscriptions',
      help: 'Channel subscriptions of the connections of this instance',
      registers,
      aggregator: 'sum',
      collect() {
        this.set(sources.subscriptions());
      },
    });
    new Gauge({
      name: 'redpool_ws_channels',
      help: 'Channels with at least one subscriber on this instance',
      registers,
      // Per process, as each process subscribes to its channels: a channel with subscribers on
      // two workers counts twice.
      aggregator: 'sum',
      collect() {
        this.set(sources.channels());
      },
    });
    new Gauge({
      name: 'redpool_ws_ready',
      help: '1 when Redis is reachable and the instance accepts work (/readyz)',
      registers,
      // The supervisor leaves out draining workers: a restart does not make the server unready.
      aggregator: 'min',
      collect() {
        this.set(sources.ready() ? 1 : 0);
      },
    });
    // Counted per message in plain maps (the hot path), handed to prom-client at scrape time.
    const pendingIn = this.pendingIn;
    const pendingOut = this.pendingOut;
    new Counter({
      name: 'redpool_ws_messages_total',
      help: 'Messages by channel pattern: in = accepted from clients of this instance, out = written to its clients',
      labelNames: ['pattern', 'direction'],
      registers,
      collect() {
        for (const [pending, direction] of [
          [pendingIn, 'in'],
          [pendingOut, 'out'],
        ] as const) {
          for (const [pattern, n] of pending) if (n > 0) this.inc({ pattern, direction }, n);
          pending.clear();
        }
      },
    });
    this.trimmed = new Counter({
      name: 'redpool_ws_history_trimmed_total',
      help: 'History entries removed by appends and reads of this instance, by reason (capacity or expiry)',
      labelNames: ['pattern', 'reason'],
      registers,
    });
    this.drops = new Counter({
      name: 'redpool_ws_drops_total',
      help: 'Messages and requests dropped or refused, by reason (capacity, expiry, slow_consumer, rate_limit, auth, ...) and channel pattern (the rule pattern, * when none matched) when a channel is known',
      labelNames: ['reason', 'pattern'],
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
    this.latency = new BucketHistogram(
      'redpool_ws_publish_latency_seconds',
      'From a message being accepted to this instance writing it to its subscribers',
      'pattern',
      [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    );
    registerPoolMetrics(pool, this.registry);
  }

  published(pattern: string): void {
    this.pendingIn.set(pattern, (this.pendingIn.get(pattern) ?? 0) + 1);
  }

  delivered(pattern: string, count: number): void {
    if (count <= 0) return;
    this.pendingOut.set(pattern, (this.pendingOut.get(pattern) ?? 0) + count);
  }

  observeLatency(pattern: string, seconds: number): void {
    this.latency.observe(pattern, seconds);
  }

  /** History entries trimmed by capacity and expiry: counted as trims and as drops alike. */
  historyTrimmed(pattern: string, capacity: number, expiry: number): void {
    if (capacity > 0) {
      this.trimmed.inc({ pattern, reason: 'capacity' }, capacity);
      this.drops.inc({ reason: 'capacity', pattern }, capacity);
    }
    if (expiry > 0) {
      this.trimmed.inc({ pattern, reason: 'expiry' }, expiry);
      this.drops.inc({ reason: 'expiry', pattern }, expiry);
    }
  }

  /** A refused request or connection; `pattern` when it concerned a known channel. */
  refused(code: WsErrorCode, pattern?: DropPattern): void {
    this.drops.inc(dropLabels(DROP_REASON[code], pattern));
  }

  recovery(pattern: string, ok: boolean): void {
    this.recoveries.inc({ pattern, result: ok ? 'ok' : 'failed' });
  }

  gap(result: 'repaired' | 'reset'): void {
    this.gaps.inc({ result });
  }
}

function dropLabels(reason: string, pattern: DropPattern): { reason: string; pattern?: string } {
  return pattern === undefined ? { reason } : { reason, pattern };
}
