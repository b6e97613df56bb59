import { afterAll, describe, expect, test } from '@jest/globals';
import { createPool, type HeartbeatRecord, type PoolStats } from '@redpool/pool';
import { buildReport, type CounterSnapshot, processId } from '../../src/report/report.js';
import { scheduledSlot } from '../../src/report/report-job.js';

const NOW = Date.parse('2030-01-01T00:05:00.000Z');

/** Never connects (no command is sent); its stats carry the counters of a fresh pool, all zero. */
const freshPool = createPool({ name: 'fresh' });
afterAll(() => freshPool.close());

function stats(
  name: string,
  max: number,
  inUse: number,
  counters: Partial<PoolStats['counters']> = {},
): PoolStats {
  return {
    name,
    status: 'connected',
    maxConnections: max,
    open: inUse + 2,
    idle: 1,
    inUse,
    waiting: 0,
    sharedLane: { connections: 1, inFlight: 0, queued: 0 },
    dedicated: 0,
    lastActivity: null,
    idleDisconnectMs: 0,
    msUntilIdleDisconnect: null,
    healthy: true,
    connected: true,
    counters: { ...freshPool.stats().counters, ...counters },
  };
}

function heartbeat(pid: number, pools: PoolStats[], ageMs = 1_000, intervalMs = 15_000): HeartbeatRecord {
  return {
    app: 'ws-server',
    host: 'h',
    pid,
    startedAt: '2030-01-01T00:00:00.000Z',
    at: new Date(NOW - ageMs).toISOString(),
    intervalMs,
    pools,
  };
}

const build = (
  heartbeats: HeartbeatRecord[],
  previous = new Map<string, CounterSnapshot>(),
  warnPercent = 90,
) =>
  buildReport({
    heartbeats,
    previous,
    previousAt: null,
    now: NOW,
    intervalMs: 300_000,
    warnPercent,
    scheduledAt: null,
    ranBy: 'w:1',
  });

describe('buildReport', () => {
  test('usage is in use ÷ max, one decimal; the threshold is inclusive', () => {
    const { report } = build([heartbeat(1, [stats('a', 3, 2), stats('b', 10, 9), stats('c', 10, 8)])]);
    expect(report.processes[0]?.pools.map((p) => p.usagePercent)).toEqual([66.7, 90, 80]);
    expect(report.warnings.map((w) => (w.kind === 'pool_usage_high' ? w.pool : ''))).toEqual(['b']);
    expect(report.totals.usagePercent).toBe(82.6); // 19 / 23
    expect(build([heartbeat(1, [stats('c', 10, 8)])], undefined, 80).report.warnings).toHaveLength(1);
  });

  test('counter deltas: since the previous report, all of it for a new process, from zero after a reset', () => {
    const hb = heartbeat(1, [
      stats('a', 10, 1, { acquireTimeouts: 7, reconnects: 2 }),
      stats('a', 10, 1, { reconnects: 1 }),
    ]);
    const first = build([hb]);
    expect(first.report.processes[0]?.pools.map((p) => [p.acquireTimeouts, p.reconnects])).toEqual([
      [7, 2],
      [0, 1],
    ]);
    // Two pools with the same name are kept apart by their position.
    expect(Object.keys(first.counters.get(processId(hb))!.pools)).toEqual(['0:a', '1:a']);
    const later = heartbeat(1, [
      stats('a', 10, 1, { acquireTimeouts: 10, reconnects: 2 }),
      stats('a', 10, 1, { reconnects: 0 }),
    ]);
    const second = build([later], first.counters);
    expect(second.report.processes[0]?.pools.map((p) => [p.acquireTimeouts, p.reconnects])).toEqual([
      [3, 0],
      [0, 0],
    ]);
    expect(second.report.totals).toMatchObject({ acquireTimeouts: 3, reconnects: 0 });
  });

  test('stale after two of the process own intervals; departed lists processes that disappeared', () => {
    const fresh = heartbeat(1, [stats('a', 10, 1)], 29_000);
    const stale = heartbeat(2, [stats('a', 10, 1)], 31_000);
    const previous = new Map<string, CounterSnapshot>([
      [processId(fresh), { pools: {} }],
      ['ws-server:gone:9:0', { pools: {} }],
    ]);
    const { report } = build([stale, fresh], previous);
    expect(report.processes.map((p) => [p.pid, p.stale])).toEqual([
      [1, false],
      [2, true],
    ]);
    expect(report.warnings).toEqual([
      expect.objectContaining({ kind: 'heartbeat_stale', process: processId(stale), heartbeatAgeMs: 31_000 }),
    ]);
    expect(report.totals).toMatchObject({ processes: 2, staleProcesses: 1, max: 20 });
    expect(report.departed).toEqual(['ws-server:gone:9:0']);
  });

  test('a pool with maxConnections 0 (corrupt record) does not divide by zero', () => {
    const { report } = build([heartbeat(1, [stats('a', 0, 0)])]);
    expect(report.totals.usagePercent).toBe(0);
  });
});

describe('scheduledSlot', () => {
  test('reads prevMillis, else the millis of the scheduler job id', () => {
    expect(
      scheduledSlot({ id: 'repeat:pool-usage-report:1700000000000', opts: { prevMillis: 1700000000000 } }),
    ).toBe(1700000000000);
    expect(scheduledSlot({ id: 'repeat:pool-usage-report:1700000000000', opts: {} })).toBe(1700000000000);
    expect(scheduledSlot({ id: '42', opts: {} })).toBeNull();
  });
});
