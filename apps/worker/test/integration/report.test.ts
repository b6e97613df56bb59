import { beforeAll, describe, expect, test } from '@jest/globals';
import { createPool, type Pool } from '@redpool/pool';
import { useRedis } from '@redpool/testkit/jest';
import { Registry } from 'prom-client';
import { workerKeys } from '../../src/keys.js';
import type { PoolUsageReport } from '../../src/report/report.js';
import { type ReportJobContext, runPoolUsageReport } from '../../src/report/report-job.js';
import { registerReportMetrics } from '../../src/report/report-metrics.js';
import { ReportStore } from '../../src/report/report-store.js';
import { memoryLogger, type PoolProcess, sleep, spawnPoolProcess } from '../helpers.js';

const redis = useRedis();
let pool: Pool;
const spawned: PoolProcess[] = [];

function context(prefix: string, maxLen = 288) {
  const keys = workerKeys(prefix);
  const { log, lines } = memoryLogger();
  const ctx: ReportJobContext = {
    pool,
    keys,
    store: new ReportStore(pool, keys, maxLen),
    log,
    intervalMs: 1_000,
    warnPercent: 90,
    ranBy: 'test:1',
  };
  return { ctx, lines };
}

const byPid = (report: PoolUsageReport, pid: number) => report.processes.find((p) => p.pid === pid);

beforeAll(() => {
  pool = createPool({ url: redis.url, name: 'report-test' });
  redis.beforeStop(() => pool.close({ timeoutMs: 1_000 }));
  redis.beforeStop(() => Promise.all(spawned.map((p) => p.kill()))); // runs first
});

describe('pool-usage-report across processes', () => {
  let a: PoolProcess;
  let b: PoolProcess;
  let c: PoolProcess;

  beforeAll(async () => {
    const common = { redisUrl: redis.url, keyPrefix: 'fleet', intervalMs: 300 };
    [a, b, c] = await Promise.all([
      spawnPoolProcess({
        ...common,
        app: 'ws-server',
        pools: [
          { name: 'main', maxConnections: 10, hold: 9 },
          { name: 'cache', maxConnections: 20, hold: 2 },
        ],
      }),
      spawnPoolProcess({
        ...common,
        app: 'ws-server',
        pools: [{ name: 'main', maxConnections: 10, hold: 3 }],
      }),
      spawnPoolProcess({ ...common, app: 'worker', pools: [{ name: 'worker', maxConnections: 8, hold: 0 }] }),
    ]);
    spawned.push(a, b, c);
  });

  test('sees every process and pool, computes totals and flags the pool at >= 90%', async () => {
    const { ctx, lines } = context('fleet');
    const report = await runPoolUsageReport(ctx, null);
    expect(report.totals.processes).toBe(3);
    expect(report.totals.pools).toBe(4);
    expect(report.totals.max).toBe(48);
    expect(report.totals.inUse).toBe(14);
    expect(report.totals.usagePercent).toBeCloseTo((14 / 48) * 100, 1);
    const procA = byPid(report, a.pid)!;
    expect(procA.app).toBe('ws-server');
    expect(procA.pools.map((p) => [p.pool, p.max, p.inUse, p.usagePercent])).toEqual([
      ['main', 10, 9, 90],
      ['cache', 20, 2, 10],
    ]);
    expect(procA.totals).toMatchObject({ max: 30, inUse: 11 });
    expect(procA.pools[0]!.open).toBeGreaterThanOrEqual(10);
    expect(byPid(report, b.pid)?.totals).toMatchObject({ max: 10, inUse: 3, usagePercent: 30 });
    expect(byPid(report, c.pid)?.totals).toMatchObject({ max: 8, inUse: 0, usagePercent: 0 });
    expect(report.warnings).toEqual([
      expect.objectContaining({
        kind: 'pool_usage_high',
        pool: 'main',
        usagePercent: 90,
        process: procA.process,
      }),
    ]);
    // One summary line, one warning line per finding.
    const summaries = lines.filter((l) => l.event === 'pool-usage-report');
    expect(summaries).toHaveLength(1);
    expect(summaries[0]).toMatchObject({ level: 30, totals: expect.objectContaining({ processes: 3 }) });
    const warnings = lines.filter((l) => l.level === 40);
    expect(warnings).toEqual([
      expect.objectContaining({ event: 'pool-usage-high', pool: 'main', usagePercent: 90 }),
    ]);
    expect(String(warnings[0]!.msg)).toContain('at 90%');
    expect(await ctx.store.length()).toBe(1);
    expect((await ctx.store.latest())?.report).toEqual(report);
  });

  test('acquire timeouts are counted since the previous report, from counters stored in Redis', async () => {
    const first = context('fleet');
    await runPoolUsageReport(first.ctx, null);
    await b.command({ cmd: 'timeouts', n: 3 });
    // A different "replica" (fresh context, same Redis) computes the next report.
    const second = context('fleet');
    const report = await runPoolUsageReport(second.ctx, null);
    expect(byPid(report, b.pid)?.pools[0]).toMatchObject({ pool: 'main', acquireTimeouts: 3 });
    expect(report.totals.acquireTimeouts).toBe(3);
    expect(report.previousAt).not.toBeNull();
    const third = await runPoolUsageReport(context('fleet').ctx, null);
    expect(byPid(third, b.pid)?.pools[0]?.acquireTimeouts).toBe(0);
    expect(third.totals.reconnects).toBe(0);
  });

  test('flags a process whose heartbeat went stale, and lists departed processes', async () => {
    const frozen = await spawnPoolProcess({
      redisUrl: redis.url,
      keyPrefix: 'fleet',
      app: 'ws-server',
      intervalMs: 200,
      ttlMs: 20_000,
      pools: [{ name: 'main', maxConnections: 4, hold: 0 }],
    });
    spawned.push(frozen);
    frozen.freeze(); // its event loop stops: no more heartbeats, the key stays until its TTL
    await sleep(700);
    const { ctx, lines } = context('fleet');
    const report = await runPoolUsageReport(ctx, null);
    const proc = byPid(report, frozen.pid)!;
    expect(proc.stale).toBe(true);
    expect(proc.heartbeatAgeMs).toBeGreaterThan(400);
    expect(report.totals.staleProcesses).toBe(1);
    expect(report.warnings).toContainEqual(
      expect.objectContaining({ kind: 'heartbeat_stale', process: proc.process, intervalMs: 200 }),
    );
    expect(lines.filter((l) => l.event === 'heartbeat-stale')).toHaveLength(1);
    // The live processes are not stale.
    expect(report.processes.filter((p) => p.stale).map((p) => p.pid)).toEqual([frozen.pid]);

    await frozen.kill();
    await pool.del(`fleet:heartbeat:${proc.process}`);
    const after = await runPoolUsageReport(context('fleet').ctx, null);
    expect(after.departed).toEqual([proc.process]);
    expect(after.totals.staleProcesses).toBe(0);
  });

  test('exports the latest report as redpool_report_* gauges', async () => {
    const { ctx } = context('fleet');
    await runPoolUsageReport(ctx, null);
    const registry = new Registry();
    registerReportMetrics(registry, async () => (await ctx.store.latest())?.report ?? null);
    const text = await registry.metrics();
    const label = `app="ws-server",process="${(await ctx.store.latest())!.report.processes.find((p) => p.pid === a.pid)!.host}:${a.pid}",pool="main"`;
    expect(text).toContain(`redpool_report_pool_usage_ratio{${label}} 0.9`);
    expect(text).toContain(`redpool_report_pool_max_connections{${label}} 10`);
    expect(text).toContain(`redpool_report_pool_connections{${label},state="in_use"} 9`);
    expect(text).toContain('redpool_report_total_max_connections 48');
    expect(text).toContain('redpool_report_processes{state="live"} 3');
    expect(text).toContain('redpool_report_warnings{kind="pool_usage_high"} 1');
    expect(text).toMatch(/redpool_report_timestamp_seconds \d+/);
  });
});

describe('report stream', () => {
  test('keeps at most 288 reports (24 h of 5-minute reports)', async () => {
    const { ctx } = context('capped');
    for (let i = 0; i < 300; i++) await runPoolUsageReport(ctx, Date.UTC(2030, 0, 1) + i * 300_000);
    expect(await ctx.store.length()).toBe(288);
    const newest = await ctx.store.latest();
    expect(newest?.report.scheduledAt).toBe(new Date(Date.UTC(2030, 0, 1) + 299 * 300_000).toISOString());
    const all = await ctx.store.list(1_000);
    expect(all).toHaveLength(288);
    expect(all.at(-1)?.report.scheduledAt).toBe(new Date(Date.UTC(2030, 0, 1) + 12 * 300_000).toISOString());
  });

  test('an empty fleet still produces a report (zero processes)', async () => {
    const { ctx } = context('nobody');
    const report = await runPoolUsageReport(ctx, null);
    expect(report.totals).toMatchObject({ processes: 0, max: 0, usagePercent: 0 });
    expect(report.warnings).toEqual([]);
  });
});
