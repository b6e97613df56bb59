import { type Pool, readHeartbeats } from '@redpool/pool';
import type { Logger } from 'pino';
import type { WorkerKeys } from '../keys.js';
import { buildReport, type PoolUsageReport } from './report.js';
import type { ReportStore } from './report-store.js';

export interface ReportJobContext {
  pool: Pool;
  keys: WorkerKeys;
  store: ReportStore;
  log: Logger;
  intervalMs: number;
  warnPercent: number;
  /** `<host>:<pid>` of this worker. */
  ranBy: string;
}

/** The scheduler slot of a scheduled job: its `prevMillis`, else the millis of `repeat:<id>:<ms>`. */
export function scheduledSlot(job: {
  id?: string | undefined;
  opts?: { prevMillis?: number };
}): number | null {
  if (typeof job.opts?.prevMillis === 'number' && job.opts.prevMillis > 0) return job.opts.prevMillis;
  const match = /^repeat:.+:(\d+)$/.exec(job.id ?? '');
  return match ? Number(match[1]) : null;
}

/**
 * One run of `pool-usage-report`: reads every live heartbeat and the previous counters, computes
 * the report, logs one summary line plus one warning per finding, and stores it.
 */
export async function runPoolUsageReport(
  ctx: ReportJobContext,
  scheduledAt: number | null,
  now: () => number = Date.now,
): Promise<PoolUsageReport> {
  const [heartbeats, previous] = await Promise.all([
    readHeartbeats(ctx.pool, ctx.keys.heartbeatPrefix),
    ctx.store.readPrevious(),
  ]);
  const { report, counters } = buildReport({
    heartbeats,
    previous: previous.counters,
    previousAt: previous.previousAt,
    now: now(),
    intervalMs: ctx.intervalMs,
    warnPercent: ctx.warnPercent,
    scheduledAt: scheduledAt === null ? null : new Date(scheduledAt).toISOString(),
    ranBy: ctx.ranBy,
  });
  const streamId = await ctx.store.save(report, counters);
  ctx.log.info(
    {
      event: 'pool-usage-report',
      streamId,
      at: report.at,
      scheduledAt: report.scheduledAt,
      previousAt: report.previousAt,
      totals: report.totals,
      processes: report.processes.map((p) => ({
        process: p.process,
        app: p.app,
        stale: p.stale,
        pools: p.pools.length,
        ...p.totals,
      })),
      warnings: report.warnings.length,
      departed: report.departed,
    },
    'pool usage report',
  );
  for (const warning of report.warnings) {
    if (warning.kind === 'pool_usage_high') {
      ctx.log.warn(
        { event: 'pool-usage-high', ...warning, warnPercent: report.warnPercent },
        `pool ${warning.pool} of ${warning.process} at ${warning.usagePercent}% (${warning.inUse}/${warning.max} in use)`,
      );
    } else {
      ctx.log.warn(
        { event: 'heartbeat-stale', ...warning },
        `heartbeat of ${warning.process} is stale: last one ${warning.heartbeatAgeMs} ms ago (interval ${warning.intervalMs} ms)`,
      );
    }
  }
  return report;
}
