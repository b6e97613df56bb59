import { Gauge, type Registry } from 'prom-client';
import type { PoolUsageReport } from './report.js';

/** How long one read of the latest report serves the gauges (one scrape reads Redis once). */
const SHARE_MS = 1_000;
/** A scrape never waits longer than this for Redis (the gauges are left out instead). */
const READ_TIMEOUT_MS = 2_000;

/**
 * Registers the `redpool_report_*` gauges. They are filled at scrape time from the newest report
 * in Redis, so every worker replica exports the same figures no matter which one ran the job.
 * A failing read leaves the gauges empty for that scrape instead of failing `/metrics`.
 */
export function registerReportMetrics(
  registry: Registry,
  latest: () => Promise<PoolUsageReport | null>,
  onError: (err: Error) => void = () => undefined,
): void {
  let shared: { at: number; value: Promise<PoolUsageReport | null> } | null = null;
  const read = (): Promise<PoolUsageReport | null> => {
    const now = Date.now();
    if (shared === null || now - shared.at > SHARE_MS) {
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`latest report not read within ${READ_TIMEOUT_MS} ms`)),
          READ_TIMEOUT_MS,
        );
      });
      const reading = latest();
      reading.catch(() => undefined);
      const value = Promise.race([reading, deadline])
        .catch((err: Error) => {
          onError(err);
          return null;
        })
        .finally(() => clearTimeout(timer));
      shared = { at: now, value };
    }
    return shared.value;
  };
  const registers = [registry];
  const poolLabels = ['app', 'process', 'pool'] as const;
  const gauge = <L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    fill: (g: Gauge<L>, report: PoolUsageReport) => void,
  ) =>
    new Gauge<L>({
      name,
      help,
      labelNames,
      registers,
      async collect() {
        this.reset();
        const report = await read();
        if (report !== null) fill(this, report);
      },
    });
  const eachPool = (
    report: PoolUsageReport,
    fn: (
      labels: { app: string; process: string; pool: string },
      p: PoolUsageReport['processes'][number]['pools'][number],
    ) => void,
  ) => {
    for (const proc of report.processes) {
      for (const p of proc.pools) fn({ app: proc.app, process: `${proc.host}:${proc.pid}`, pool: p.pool }, p);
    }
  };

  gauge(
    'redpool_report_pool_connections',
    'Connections of each pool in the fleet by state, from the latest pool-usage report',
    [...poolLabels, 'state'],
    (g, r) =>
      eachPool(r, (labels, p) => {
        g.set({ ...labels, state: 'open' }, p.open);
        g.set({ ...labels, state: 'idle' }, p.idle);
        g.set({ ...labels, state: 'in_use' }, p.inUse);
      }),
  );
  gauge(
    'redpool_report_pool_max_connections',
    'maxConnections of each pool in the fleet, from the latest report',
    poolLabels,
    (g, r) => eachPool(r, (labels, p) => g.set(labels, p.max)),
  );
  gauge(
    'redpool_report_pool_pending_requests',
    'Callers waiting for a connection in each pool, from the latest report',
    poolLabels,
    (g, r) => eachPool(r, (labels, p) => g.set(labels, p.waiting)),
  );
  gauge(
    'redpool_report_pool_usage_ratio',
    'In use ÷ max of each pool (0-1), from the latest report',
    poolLabels,
    (g, r) => eachPool(r, (labels, p) => g.set(labels, p.max > 0 ? p.inUse / p.max : 0)),
  );
  gauge(
    'redpool_report_pool_acquire_timeouts',
    'Acquire timeouts of each pool between the two latest reports',
    poolLabels,
    (g, r) => eachPool(r, (labels, p) => g.set(labels, p.acquireTimeouts)),
  );
  gauge(
    'redpool_report_pool_reconnects',
    'Reconnects of each pool between the two latest reports',
    poolLabels,
    (g, r) => eachPool(r, (labels, p) => g.set(labels, p.reconnects)),
  );
  gauge(
    'redpool_report_total_connections',
    'Connections of the whole fleet by state, from the latest report',
    ['state'],
    (g, r) => {
      g.set({ state: 'open' }, r.totals.open);
      g.set({ state: 'idle' }, r.totals.idle);
      g.set({ state: 'in_use' }, r.totals.inUse);
    },
  );
  gauge(
    'redpool_report_total_max_connections',
    'Sum of maxConnections over the fleet, from the latest report',
    [],
    (g, r) => g.set(r.totals.max),
  );
  gauge(
    'redpool_report_total_pending_requests',
    'Callers waiting for a connection in the whole fleet',
    [],
    (g, r) => g.set(r.totals.waiting),
  );
  gauge(
    'redpool_report_total_usage_ratio',
    'In use ÷ max over the whole fleet (0-1), from the latest report',
    [],
    (g, r) => g.set(r.totals.max > 0 ? r.totals.inUse / r.totals.max : 0),
  );
  gauge(
    'redpool_report_total_acquire_timeouts',
    'Acquire timeouts in the fleet between the two latest reports',
    [],
    (g, r) => g.set(r.totals.acquireTimeouts),
  );
  gauge(
    'redpool_report_total_reconnects',
    'Reconnects in the fleet between the two latest reports',
    [],
    (g, r) => g.set(r.totals.reconnects),
  );
  gauge(
    'redpool_report_processes',
    'Processes publishing a heartbeat, live or stale, in the latest report',
    ['state'],
    (g, r) => {
      g.set({ state: 'live' }, r.totals.processes - r.totals.staleProcesses);
      g.set({ state: 'stale' }, r.totals.staleProcesses);
    },
  );
  gauge(
    'redpool_report_heartbeat_age_seconds',
    'Age of each process heartbeat when the latest report ran',
    ['app', 'process'],
    (g, r) => {
      for (const p of r.processes)
        g.set({ app: p.app, process: `${p.host}:${p.pid}` }, p.heartbeatAgeMs / 1000);
    },
  );
  gauge('redpool_report_warnings', 'Warnings of the latest report by kind', ['kind'], (g, r) => {
    g.set({ kind: 'pool_usage_high' }, r.warnings.filter((w) => w.kind === 'pool_usage_high').length);
    g.set({ kind: 'heartbeat_stale' }, r.warnings.filter((w) => w.kind === 'heartbeat_stale').length);
  });
  gauge(
    'redpool_report_timestamp_seconds',
    'Unix time of the latest pool-usage report (alert when it stops moving)',
    [],
    (g, r) => g.set(Date.parse(r.at) / 1000),
  );
  gauge('redpool_report_interval_seconds', 'Configured interval of the pool-usage report', [], (g, r) =>
    g.set(r.intervalMs / 1000),
  );
}
