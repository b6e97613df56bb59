import type { HeartbeatRecord, PoolStats } from '@redpool/pool';

/** The figures reported for one pool, one process and the whole fleet. */
export interface UsageFigures {
  /** `maxConnections` (summed for a process or the fleet). */
  max: number;
  open: number;
  idle: number;
  inUse: number;
  /** Callers waiting for an exclusive connection. */
  waiting: number;
  /** inUse ÷ max × 100, one decimal. */
  usagePercent: number;
  /** Acquire timeouts since the previous report. */
  acquireTimeouts: number;
  /** Reconnects since the previous report. */
  reconnects: number;
}

export interface PoolUsage extends UsageFigures {
  pool: string;
  status: PoolStats['status'];
  healthy: boolean;
}

export interface ProcessUsage {
  /** `<app>:<host>:<pid>:<startedAtMs>`, the same id as the heartbeat key's suffix. */
  process: string;
  app: string;
  host: string;
  pid: number;
  startedAt: string;
  /** Time of the heartbeat the figures come from. */
  heartbeatAt: string;
  heartbeatAgeMs: number;
  /** The heartbeat is older than two of its intervals: the process is stuck or dying. */
  stale: boolean;
  totals: UsageFigures;
  pools: PoolUsage[];
}

export type ReportWarning =
  | {
      kind: 'pool_usage_high';
      process: string;
      app: string;
      pool: string;
      usagePercent: number;
      inUse: number;
      max: number;
      waiting: number;
    }
  | {
      kind: 'heartbeat_stale';
      process: string;
      app: string;
      heartbeatAt: string;
      heartbeatAgeMs: number;
      intervalMs: number;
    };

/** One run of `pool-usage-report`, as logged, streamed and exported. */
export interface PoolUsageReport {
  version: 1;
  /** When the report was computed. */
  at: string;
  /** The Job Scheduler slot the run belongs to (one report per slot), or null when run by hand. */
  scheduledAt: string | null;
  /** Time of the previous report, which the counter deltas are relative to (null: first report). */
  previousAt: string | null;
  intervalMs: number;
  warnPercent: number;
  /** `<host>:<pid>` of the worker that computed it. */
  ranBy: string;
  totals: UsageFigures & { processes: number; staleProcesses: number; pools: number };
  processes: ProcessUsage[];
  warnings: ReportWarning[];
  /** Processes of the previous report without a heartbeat now (exited, or silent past the TTL). */
  departed: string[];
}

/** Counters of one process at one report, to compute the next report's deltas. */
export interface CounterSnapshot {
  /** `<index>:<pool name>` → cumulative counters. */
  pools: Record<string, { acquireTimeouts: number; reconnects: number }>;
}

export interface BuildReportInput {
  heartbeats: readonly HeartbeatRecord[];
  /** Counters stored by the previous report, by process id. */
  previous: ReadonlyMap<string, CounterSnapshot>;
  previousAt: string | null;
  now: number;
  intervalMs: number;
  warnPercent: number;
  scheduledAt: string | null;
  ranBy: string;
}

export interface BuildReportResult {
  report: PoolUsageReport;
  /** What to store for the next report's deltas. */
  counters: Map<string, CounterSnapshot>;
}

/** A heartbeat older than this many of its own intervals is stale (its key lives 3 intervals). */
export const STALE_AFTER_INTERVALS = 2;

/** The process id of a heartbeat: `<app>:<host>:<pid>:<startedAtMs>`. */
export function processId(record: HeartbeatRecord): string {
  return `${record.app}:${record.host}:${record.pid}:${Date.parse(record.startedAt)}`;
}

function percent(inUse: number, max: number): number {
  return max > 0 ? Math.round((inUse / max) * 1000) / 10 : 0;
}

/** Counter growth since the last snapshot; a counter that went down was reset, so all of it is new. */
function delta(current: number, previous: number | undefined): number {
  if (!Number.isFinite(current)) return 0;
  return previous === undefined || current < previous ? current : current - previous;
}

function sum(parts: readonly UsageFigures[]): UsageFigures {
  const total = {
    max: 0,
    open: 0,
    idle: 0,
    inUse: 0,
    waiting: 0,
    usagePercent: 0,
    acquireTimeouts: 0,
    reconnects: 0,
  };
  for (const p of parts) {
    total.max += p.max;
    total.open += p.open;
    total.idle += p.idle;
    total.inUse += p.inUse;
    total.waiting += p.waiting;
    total.acquireTimeouts += p.acquireTimeouts;
    total.reconnects += p.reconnects;
  }
  total.usagePercent = percent(total.inUse, total.max);
  return total;
}

/**
 * Computes a pool-usage report from live heartbeats (pure: no I/O). Stale processes stay in the
 * figures with their last known stats (their connections most likely still exist) and are flagged.
 */
export function buildReport(input: BuildReportInput): BuildReportResult {
  const counters = new Map<string, CounterSnapshot>();
  const warnings: ReportWarning[] = [];
  const staleWarnings: ReportWarning[] = [];
  const records = [...input.heartbeats].sort(
    (a, b) => a.app.localeCompare(b.app) || a.host.localeCompare(b.host) || a.pid - b.pid,
  );
  const processes: ProcessUsage[] = [];
  for (const record of records) {
    const id = processId(record);
    const before = input.previous.get(id);
    const snapshot: CounterSnapshot = { pools: {} };
    const pools = record.pools.map((stats, index): PoolUsage => {
      const key = `${index}:${stats.name}`;
      const acquireTimeouts = stats.counters?.acquireTimeouts ?? 0;
      const reconnects = stats.counters?.reconnects ?? 0;
      snapshot.pools[key] = { acquireTimeouts, reconnects };
      const usage: PoolUsage = {
        pool: stats.name,
        status: stats.status,
        healthy: stats.healthy,
        max: stats.maxConnections,
        open: stats.open,
        idle: stats.idle,
        inUse: stats.inUse,
        waiting: stats.waiting,
        usagePercent: percent(stats.inUse, stats.maxConnections),
        acquireTimeouts: delta(acquireTimeouts, before?.pools[key]?.acquireTimeouts),
        reconnects: delta(reconnects, before?.pools[key]?.reconnects),
      };
      if (usage.usagePercent >= input.warnPercent) {
        warnings.push({
          kind: 'pool_usage_high',
          process: id,
          app: record.app,
          pool: usage.pool,
          usagePercent: usage.usagePercent,
          inUse: usage.inUse,
          max: usage.max,
          waiting: usage.waiting,
        });
      }
      return usage;
    });
    counters.set(id, snapshot);
    const heartbeatAgeMs = Math.max(0, input.now - Date.parse(record.at));
    const stale = heartbeatAgeMs > STALE_AFTER_INTERVALS * record.intervalMs;
    if (stale) {
      staleWarnings.push({
        kind: 'heartbeat_stale',
        process: id,
        app: record.app,
        heartbeatAt: record.at,
        heartbeatAgeMs,
        intervalMs: record.intervalMs,
      });
    }
    processes.push({
      process: id,
      app: record.app,
      host: record.host,
      pid: record.pid,
      startedAt: record.startedAt,
      heartbeatAt: record.at,
      heartbeatAgeMs,
      stale,
      totals: sum(pools),
      pools,
    });
  }
  const live = new Set(counters.keys());
  const report: PoolUsageReport = {
    version: 1,
    at: new Date(input.now).toISOString(),
    scheduledAt: input.scheduledAt,
    previousAt: input.previousAt,
    intervalMs: input.intervalMs,
    warnPercent: input.warnPercent,
    ranBy: input.ranBy,
    totals: {
      ...sum(processes.map((p) => p.totals)),
      processes: processes.length,
      staleProcesses: staleWarnings.length,
      pools: processes.reduce((n, p) => n + p.pools.length, 0),
    },
    processes,
    warnings: [...warnings, ...staleWarnings],
    departed: [...input.previous.keys()].filter((id) => !live.has(id)).sort(),
  };
  return { report, counters };
}
