import { type Aggregator, AggregatorRegistry, type PrometheusContentType, type Registry } from 'prom-client';

/** One sample of a {@link MetricSnapshot}; histograms name their series (`…_bucket`, `…_sum`, `…_count`). */
export interface SampleSnapshot {
  value: number;
  labels: Record<string, string | number>;
  metricName?: string;
}

/**
 * One metric family as prom-client's `registry.getMetricsAsJSON()` gives it: plain data, so a
 * worker can send it to the supervisor over IPC.
 */
export interface MetricSnapshot {
  name: string;
  help: string;
  /** `counter`, `gauge`, `histogram` or `summary`. */
  type: string;
  /** How the supervisor combines the family over workers (prom-client's cluster aggregators). */
  aggregator: Aggregator;
  values: SampleSnapshot[];
}

const READY = 'redpool_ws_ready';
const DRAINING = 'redpool_ws_draining';
const DRAIN_STARTED = 'redpool_ws_drain_started_timestamp_seconds';

/** Counters and histograms: they only grow within a process. */
export function isCumulative(metric: MetricSnapshot): boolean {
  return metric.type === 'counter' || metric.type === 'histogram';
}

/** Where the whole-server metrics come from: see {@link aggregateServerMetrics}. */
export interface ServerMetricParts {
  /** The full snapshot of each worker that answered and still serves or drains. */
  live: readonly MetricSnapshot[][];
  /** Counters and histograms over every worker that ever ran (see `CumulativeLedger`). */
  cumulative: readonly MetricSnapshot[];
  /** The supervisor's own metrics. */
  own: readonly MetricSnapshot[];
}

/**
 * The metrics of the whole server, for the supervisor's `/metrics`: counters and histograms as
 * given by `cumulative`; gauges from the live workers, combined by each family's `aggregator`
 * through prom-client's `AggregatorRegistry.aggregate`. Two gauges need more than one number per
 * worker: `redpool_ws_ready` is the minimum over the workers that do not drain (old workers drain
 * during a restart while the server keeps serving), and
 * `redpool_ws_drain_started_timestamp_seconds` is the minimum over the workers that drain (the
 * oldest drain still running, for the overdue alert); each is 0 when no worker qualifies.
 * Families keep the order a worker exposes them in.
 */
export function aggregateServerMetrics(parts: ServerMetricParts): Registry {
  const gauges = parts.live.map(serverGauges);
  const sources: MetricSnapshot[][] = [...gauges, [...parts.cumulative], [...parts.own]];
  for (const name of [READY, DRAIN_STARTED]) {
    const family = parts.live.flat().find((m) => m.name === name);
    const kept = gauges.some((list) => list.some((m) => m.name === name && m.values.length > 0));
    if (family && !kept) sources.push([{ ...family, values: [{ value: 0, labels: {} }] }]);
  }
  // The first source fixes the order of the families in the output.
  const order = [...(parts.live[0] ?? []), ...parts.cumulative].map((m) => ({ ...m, values: [] }));
  return AggregatorRegistry.aggregate<PrometheusContentType>([order, ...sources]);
}

/** The gauges of one worker as the whole server counts them (see {@link aggregateServerMetrics}). */
function serverGauges(snapshot: MetricSnapshot[]): MetricSnapshot[] {
  const draining = snapshot.find((m) => m.name === DRAINING)?.values.some((v) => v.value === 1) ?? false;
  return snapshot
    .filter((m) => !isCumulative(m))
    .map((m) => {
      if (m.name === READY && draining) return { ...m, values: [] };
      if (m.name === DRAIN_STARTED) return { ...m, values: m.values.filter((v) => v.value !== 0) };
      return m;
    });
}
