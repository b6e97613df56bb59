import { describe, expect, test } from '@jest/globals';
import { aggregateServerMetrics, type MetricSnapshot } from '../../src/metrics/metric-snapshots.js';
import { CumulativeLedger } from '../../src/supervisor/cumulative-ledger.js';
import { combineDrains } from '../../src/supervisor/server-stats.js';
import { parseMetrics } from '../metrics-text.js';

const counter = (name: string, values: [Record<string, string>, number][]): MetricSnapshot => ({
  name,
  help: `${name} help`,
  type: 'counter',
  aggregator: 'sum',
  values: values.map(([labels, value]) => ({ labels, value })),
});

const latencySum = (value: number): MetricSnapshot => ({
  name: 'latency_seconds',
  help: 'latency',
  type: 'histogram',
  aggregator: 'sum',
  values: [{ labels: {}, value, metricName: 'latency_seconds_sum' }],
});

const gauge = (name: string, aggregator: MetricSnapshot['aggregator'], value: number): MetricSnapshot => ({
  name,
  help: `${name} help`,
  type: 'gauge',
  aggregator,
  values: [{ labels: {}, value }],
});

/** A worker's ws gauges as the real metrics define their aggregation. */
const workerGauges = (o: { connections: number; draining: boolean; startedAt?: number; ready?: boolean }) => [
  {
    ...gauge('redpool_ws_connections', 'sum', 0),
    values: [{ labels: { transport: 'websocket' }, value: o.connections }],
  },
  gauge('redpool_ws_draining', 'max', o.draining ? 1 : 0),
  gauge('redpool_ws_drain_started_timestamp_seconds', 'min', o.draining ? (o.startedAt ?? 1) : 0),
  gauge('redpool_ws_ready', 'min', (o.ready ?? !o.draining) ? 1 : 0),
];

/** The sum of a family's samples in the ledger's totals. */
const totalOf = (ledger: CumulativeLedger, name: string) =>
  ledger
    .totals()
    .find((m) => m.name === name)
    ?.values.reduce((n, v) => n + v.value, 0);

describe('CumulativeLedger', () => {
  test('sums the workers, keeps a departed worker’s last values, ignores reports after it left', () => {
    const ledger = new CumulativeLedger();
    ledger.record(1, [counter('messages_total', [[{ pattern: '*' }, 5]])]);
    ledger.record(2, [counter('messages_total', [[{ pattern: '*' }, 7]])]);
    expect(totalOf(ledger, 'messages_total')).toBe(12);
    ledger.record(1, [counter('messages_total', [[{ pattern: '*' }, 6]])]);
    ledger.retire(1);
    expect(totalOf(ledger, 'messages_total')).toBe(13);
    ledger.record(1, [counter('messages_total', [[{ pattern: '*' }, 100]])]);
    expect(totalOf(ledger, 'messages_total')).toBe(13);
    ledger.record(3, [counter('messages_total', [[{ pattern: '*' }, 1]])]);
    expect(totalOf(ledger, 'messages_total')).toBe(14);
  });

  test('a late, older report and a series left out of a report do not lower the total', () => {
    const ledger = new CumulativeLedger();
    ledger.record(1, [
      counter('drops_total', [
        [{ reason: 'capacity', pattern: 'chat.*' }, 4],
        [{ reason: 'auth' }, 2],
      ]),
    ]);
    ledger.record(1, [counter('drops_total', [[{ pattern: 'chat.*', reason: 'capacity' }, 3]])]);
    const values = ledger.totals()[0]!.values.map((v) => v.value);
    expect(values).toEqual([4, 2]);
  });

  test('a fold in another order never shows a float sum below the last one shown', () => {
    // (0.238 + 0.114) + 0.291 = 0.643, but (0.291 + 0.238) + 0.114 = 0.6429999999999999
    const ledger = new CumulativeLedger();
    ledger.record(1, [latencySum(0.238)]);
    ledger.record(2, [latencySum(0.114)]);
    ledger.record(3, [latencySum(0.291)]);
    const before = ledger.totals()[0]!.values[0]!.value;
    ledger.retire(3);
    const after = ledger.totals()[0]!.values[0]!.value;
    expect(0.291 + 0.238 + 0.114).toBeLessThan(before);
    expect(after).toBeGreaterThanOrEqual(before);
  });
});

describe('aggregateServerMetrics', () => {
  const text = async (live: MetricSnapshot[][], own: MetricSnapshot[] = []) =>
    parseMetrics(await aggregateServerMetrics({ live, cumulative: [], own }).metrics()).samples;

  test('connections summed; a draining worker counts in draining, not in ready', async () => {
    const samples = await text([
      workerGauges({ connections: 3, draining: false }),
      workerGauges({ connections: 4, draining: true, startedAt: 1700000000 }),
    ]);
    expect(samples.get('redpool_ws_connections{transport="websocket"}')).toBe(7);
    expect(samples.get('redpool_ws_draining')).toBe(1);
    expect(samples.get('redpool_ws_ready')).toBe(1);
    expect(samples.get('redpool_ws_drain_started_timestamp_seconds')).toBe(1700000000);
  });

  test('the oldest running drain; 0 when none drains; not ready when every worker drains', async () => {
    const draining = await text([
      workerGauges({ connections: 0, draining: true, startedAt: 1700000500 }),
      workerGauges({ connections: 0, draining: true, startedAt: 1700000100 }),
    ]);
    expect(draining.get('redpool_ws_drain_started_timestamp_seconds')).toBe(1700000100);
    expect(draining.get('redpool_ws_ready')).toBe(0);
    const serving = await text([
      workerGauges({ connections: 1, draining: false }),
      workerGauges({ connections: 1, draining: false, ready: false }),
    ]);
    expect(serving.get('redpool_ws_drain_started_timestamp_seconds')).toBe(0);
    expect(serving.get('redpool_ws_draining')).toBe(0);
    expect(serving.get('redpool_ws_ready')).toBe(0);
  });

  test('counters come from the ledger only, gauges from live workers only, plus the supervisor’s own', async () => {
    const ledger = new CumulativeLedger();
    const worker = [...workerGauges({ connections: 2, draining: false }), counter('x_total', [[{}, 9]])];
    ledger.record(1, worker);
    const registry = aggregateServerMetrics({
      live: [worker],
      cumulative: ledger.totals(),
      own: [gauge('redpool_ws_supervisor_generation', 'first', 3)],
    });
    const samples = parseMetrics(await registry.metrics()).samples;
    expect(samples.get('x_total')).toBe(9);
    expect(samples.get('redpool_ws_connections{transport="websocket"}')).toBe(2);
    expect(samples.get('redpool_ws_supervisor_generation')).toBe(3);
    // the families keep a worker's order
    expect([...samples.keys()][0]).toBe('redpool_ws_connections{transport="websocket"}');
  });
});

describe('combineDrains', () => {
  test('draining while any drains: oldest start, latest deadline, every connection', () => {
    const idle = {
      draining: false,
      active: { websocket: 5, polling: 1, http: 0 },
      graceSecondsRemaining: null,
      gracePeriodSeconds: 30,
      startedAt: null,
    };
    const drain = (startedAt: string, remaining: number) => ({
      ...idle,
      draining: true,
      active: { websocket: 2, polling: 0, http: 1 },
      graceSecondsRemaining: remaining,
      startedAt,
    });
    expect(
      combineDrains([idle, drain('2026-01-01T00:00:10.000Z', 20), drain('2026-01-01T00:00:05.000Z', 15)], 30),
    ).toEqual({
      draining: true,
      active: { websocket: 9, polling: 1, http: 2 },
      graceSecondsRemaining: 20,
      gracePeriodSeconds: 30,
      startedAt: '2026-01-01T00:00:05.000Z',
    });
    expect(combineDrains([idle, idle], 30)).toMatchObject({ draining: false, startedAt: null });
  });
});
