import type { Worker } from 'node:cluster';
import type { WsConfig } from '../config/config.js';
import { aggregateServerMetrics, type MetricSnapshot } from '../metrics/metric-snapshots.js';
import type { WsServerStatus, WsStats } from '../status.js';
import type { CumulativeLedger } from './cumulative-ledger.js';
import {
  combineDrains,
  combineStats,
  type SupervisorDrainStatus,
  type SupervisorStats,
  type WorkerEntry,
} from './server-stats.js';
import { countByRole, type SupervisorMetrics, type WorkerRole } from './supervisor-metrics.js';
import type { SupervisorStatus } from './supervisor-status.js';
import type { WorkerReports } from './worker-reports.js';

/** A worker of the supervisor, with its process handle. */
export interface SupervisedWorker extends WorkerEntry {
  handle: Worker;
}

/** What the whole-server reports read from the supervisor. */
export interface SupervisorView {
  readonly config: WsConfig;
  status(): SupervisorStatus;
  /** The generation new connections go to. */
  generation(): number;
  /** When the supervisor started listening (ms since the epoch). */
  startedAt(): number;
  workers(): SupervisedWorker[];
}

/** The supervisor's `/readyz` body (`503` when not ready, with the first reason found). */
export interface SupervisorReadiness {
  ready: boolean;
  status: SupervisorStatus;
  reason?: string;
  /** Each worker's role and readiness; `null` for one that was not asked or did not answer. */
  workers: { worker: number; role: WorkerRole; ready: boolean | null }[];
}

/** The supervisor's `/healthz` body. */
export interface SupervisorHealth {
  status: 'ok';
  instance: string;
  supervisor: SupervisorStatus;
  workers: Record<WorkerRole, number>;
}

/** What the supervisor's `/metrics`, `/stats` and `/drain` are built from. */
export interface WholeServerDeps {
  view: SupervisorView;
  reports: WorkerReports;
  ledger: CumulativeLedger;
  metrics: SupervisorMetrics;
}

/**
 * `/metrics`, `/stats` and `/drain` of the whole supervised server, from reports the workers send
 * on request. Workers that are still starting are not asked (they serve nothing yet); a worker
 * that does not answer in time is left out of the gauges and the stats, and keeps its counters
 * from its last report.
 */
export class WholeServer {
  constructor(private readonly deps: WholeServerDeps) {}

  /** The Prometheus text exposition of the whole server. */
  async metricsText(): Promise<string> {
    const { ledger, metrics } = this.deps;
    const workers = this.askable();
    const reports = await this.deps.reports.collect(
      workers.map((w) => w.handle),
      'metrics',
    );
    const live: MetricSnapshot[][] = [];
    let missed = 0;
    for (const [i, report] of reports.entries()) {
      const worker = workers[i]!;
      if (!report?.metrics) {
        // One that exited meanwhile is not a miss: its counters are in the ledger already.
        if (worker.handle.isConnected()) missed++;
        continue;
      }
      ledger.record(worker.worker, report.metrics);
      if (report.status === 'running' || report.status === 'draining') live.push(report.metrics);
    }
    metrics.reportsMissed(missed);
    const own = (await metrics.registry.getMetricsAsJSON()) as unknown as MetricSnapshot[];
    return aggregateServerMetrics({ live, cumulative: ledger.totals(), own }).metrics();
  }

  /** The supervisor's `/stats`. */
  async stats(): Promise<SupervisorStats> {
    const { view } = this.deps;
    const workers = await this.workerStats();
    const combined = combineStats(
      {
        instance: view.config.instanceId,
        status: serverStatusOf(view.status()),
        uptimeSeconds: Math.round((Date.now() - view.startedAt()) / 1000),
        gracePeriodSeconds: view.config.drainGraceSeconds,
      },
      workers.flatMap((w) => (w.stats ? [w.stats] : [])),
    );
    return {
      ...combined,
      supervisor: { status: view.status(), generation: view.generation(), workers },
    };
  }

  /** The supervisor's `/drain`. */
  async drainStatus(): Promise<SupervisorDrainStatus> {
    const workers = await this.workerStats();
    const drains = workers.flatMap((w) => (w.stats ? [w.stats.drain] : []));
    return {
      ...combineDrains(drains, this.deps.view.config.drainGraceSeconds),
      workers: workers.map(({ stats, ...entry }) => ({ ...entry, drain: stats?.drain ?? null })),
    };
  }

  /**
   * The supervisor's `/readyz`: ready while it routes new connections (running or restarting) and
   * every serving worker answered that it is ready (Redis reachable) — one wedged or cut-off worker
   * would take every other new client, so it makes the whole server not ready.
   */
  async readiness(): Promise<SupervisorReadiness> {
    const status = this.deps.view.status();
    const workers = await this.workerStats();
    const serving = workers.filter((w) => w.role === 'serving');
    const entries = workers.map((w) => ({ worker: w.worker, role: w.role, ready: w.stats?.ready ?? null }));
    const notReady = (reason: string): SupervisorReadiness => ({
      ready: false,
      status,
      reason,
      workers: entries,
    });
    if (status !== 'running' && status !== 'restarting')
      return notReady(status === 'starting' ? 'starting' : 'draining: clients are moving to other instances');
    if (serving.length === 0) return notReady('no serving worker');
    const silent = serving.find((w) => w.stats === null);
    if (silent) return notReady(`worker ${silent.worker} did not answer`);
    const unready = serving.find((w) => !w.stats?.ready);
    if (unready) return notReady(`worker ${unready.worker}: Redis unreachable`);
    return { ready: true, status, workers: entries };
  }

  /** The supervisor's `/healthz`: the supervisor answers, with its workers by role. */
  health(): SupervisorHealth {
    const { view } = this.deps;
    const workers = countByRole(view.workers().map((w) => w.role));
    return { status: 'ok', instance: view.config.instanceId, supervisor: view.status(), workers };
  }

  private async workerStats(): Promise<(WorkerEntry & { stats: WsStats | null })[]> {
    const workers = this.deps.view.workers();
    const asked = workers.filter(isAskable);
    const reports = await this.deps.reports.collect(
      asked.map((w) => w.handle),
      'stats',
    );
    const byWorker = new Map(asked.map((w, i) => [w.worker, reports[i]?.stats ?? null]));
    return workers.map(({ handle: _, ...entry }) => ({
      ...entry,
      stats: byWorker.get(entry.worker) ?? null,
    }));
  }

  private askable(): SupervisedWorker[] {
    return this.deps.view.workers().filter(isAskable);
  }
}

/** Workers still starting are not asked: they serve nothing yet and may not listen to IPC yet. */
function isAskable(worker: SupervisedWorker): boolean {
  return worker.role !== 'starting';
}

/** The supervisor's status in the single-process terms of `/stats`. */
function serverStatusOf(status: SupervisorStatus): WsServerStatus {
  switch (status) {
    case 'restarting':
      return 'running';
    case 'stopping':
      return 'draining';
    default:
      return status;
  }
}
