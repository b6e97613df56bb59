import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createPool } from '@redpool/pool';
import { type RedisServer, startRedis, stopAll } from '@redpool/testkit';
import { createWorkerApp, type WorkerApp } from '../../src/app.js';
import { resolveConfig } from '../../src/config.js';
import type { PoolUsageReport } from '../../src/report/report.js';
import { memoryLogger, waitFor } from '../helpers.js';

let redis: RedisServer;
const apps: WorkerApp[] = [];

beforeAll(async () => {
  redis = await startRedis();
});

afterAll(async () => {
  await Promise.all(apps.map((a) => a.destroy()));
  await stopAll();
});

const nullTransport = () => ({ publish: async () => undefined });

describe('pool-usage-report Job Scheduler', () => {
  test('three replicas upsert the scheduler at once (and a fourth later), yet the report runs once per interval', async () => {
    const intervalMs = 1_000;
    const config = resolveConfig({
      redisUrl: redis.url,
      httpPort: 0,
      httpHost: '127.0.0.1',
      reportIntervalMs: intervalMs,
      heartbeatIntervalMs: 250,
      keyPrefix: 'sched',
      shutdownTimeoutMs: 1_000,
    });
    const ran: { replica: number; report: PoolUsageReport }[] = [];
    for (let i = 0; i < 4; i++) {
      const app = createWorkerApp({ config, transport: nullTransport, logger: memoryLogger('warn').log });
      app.on('reported', (report) => ran.push({ replica: i, report }));
      apps.push(app);
    }
    // All three start (and upsert) at the same time.
    await Promise.all(apps.slice(0, 3).map((a) => a.start()));
    const started = Date.now();
    await waitFor(() => ran.length >= 2, 10_000, 'two reports');
    // A replica started later (a rolling restart) upserts again: no extra run, no new slot.
    await apps[3]!.start();
    await waitFor(() => ran.length >= 5, 10_000, 'five reports');
    const elapsed = Date.now() - started;
    await Promise.all(apps.map((a) => a.close()));

    const slots = ran.map((r) => Date.parse(r.report.scheduledAt ?? ''));
    expect(slots.every(Number.isFinite)).toBe(true);
    // Never two reports for one slot, whichever replica ran them.
    expect(new Set(slots).size).toBe(slots.length);
    const sorted = [...slots].sort((x, y) => x - y);
    // Consecutive slots are exactly one interval apart (BullMQ 6.7 anchors them to the first run).
    for (let i = 1; i < sorted.length; i++) expect(sorted[i]! - sorted[i - 1]!).toBe(intervalMs);
    // No more runs than intervals elapsed (+1 for the immediate first run, +1 for an edge).
    expect(ran.length).toBeLessThanOrEqual(Math.floor(elapsed / intervalMs) + 2);
    // The stream holds exactly the reports made.
    const check = createPool({ url: redis.url, name: 'check' });
    expect(await check.xlen('sched:report:pool-usage')).toBe(ran.length);
    await check.close();
    // Every replica's heartbeat was seen by the reports.
    expect(ran.at(-1)?.report.totals.processes).toBeGreaterThanOrEqual(1);
  }, 30_000);
});
