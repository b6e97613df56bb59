import type { MetricSnapshot } from '../metrics/metric-snapshots.js';
import type { WsServerStatus, WsStats } from '../status.js';

/** What the supervisor asks a worker for: its metrics (`/metrics`) or its stats (`/stats`, `/drain`). */
export type ReportKind = 'metrics' | 'stats';

/** Messages from the supervisor to a worker (node:cluster IPC). */
export type ToWorker =
  | { type: 'redpool:connection'; head: string }
  | { type: 'redpool:drain' }
  | { type: 'redpool:report-request'; id: number; kind: ReportKind };

/** A worker's answer to a report request. */
export interface WorkerReport {
  status: WsServerStatus;
  /** With kind `metrics`: the worker's registry (`getMetricsAsJSON()`). */
  metrics?: MetricSnapshot[];
  /** With kind `stats`: what the worker's own `/stats` would answer. */
  stats?: WsStats;
}

/** Messages from a worker to the supervisor (node:cluster IPC). */
export type ToSupervisor =
  | { type: 'redpool:ready' }
  | { type: 'redpool:draining' }
  | ({ type: 'redpool:report'; id: number } & WorkerReport)
  /** Sent after a drain, just before exiting: the worker's counters as they end. */
  | { type: 'redpool:final-metrics'; metrics: MetricSnapshot[] };
