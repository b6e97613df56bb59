import { isCumulative, type MetricSnapshot, type SampleSnapshot } from '../metrics/metric-snapshots.js';

interface Family {
  name: string;
  help: string;
  type: string;
}

interface Series {
  family: string;
  sample: SampleSnapshot;
}

/**
 * The counters and histograms of the whole server, kept by the supervisor so that they never go
 * backwards when workers go away (a restart's old generation drains and exits, a crashed worker
 * is replaced). A worker counts with its latest report; once it is gone its last report — the
 * final one it sends after draining, else the last one a scrape got — is folded into a running
 * total of departed workers. A series a worker stops reporting keeps its last value.
 *
 * Totals never fall below what they last showed: summed in another order (after a fold), the
 * float sums of histograms could dip by a rounding error, which Prometheus would read as a reset.
 */
export class CumulativeLedger {
  private readonly families = new Map<string, Family>();
  private readonly latest = new Map<number, Map<string, Series>>();
  private readonly departed = new Map<string, Series>();
  private readonly shown = new Map<string, number>();
  private readonly retired = new Set<number>();

  /**
   * Takes the counters and histograms of a report of worker `worker` (cluster worker id). A report
   * that arrives after its worker was retired is ignored: its values are already in the total.
   */
  record(worker: number, snapshot: readonly MetricSnapshot[]): void {
    if (this.retired.has(worker)) return;
    let series = this.latest.get(worker);
    if (!series) {
      series = new Map();
      this.latest.set(worker, series);
    }
    for (const metric of snapshot) {
      if (!isCumulative(metric)) continue;
      if (!this.families.has(metric.name))
        this.families.set(metric.name, { name: metric.name, help: metric.help, type: metric.type });
      for (const sample of metric.values) {
        if (!Number.isFinite(sample.value)) continue;
        const key = seriesKey(metric.name, sample);
        const known = series.get(key);
        // A late answer may be older than what is known: within one process a series only grows.
        if (!known || sample.value > known.sample.value)
          series.set(key, { family: metric.name, sample: { ...sample, value: sample.value } });
      }
    }
  }

  /** Worker `worker` is gone: its last values join the departed workers' total. */
  retire(worker: number): void {
    this.retired.add(worker);
    const series = this.latest.get(worker);
    this.latest.delete(worker);
    if (!series) return;
    for (const [key, { family, sample }] of series) {
      const total = this.departed.get(key);
      if (total) total.sample.value += sample.value;
      else this.departed.set(key, { family, sample: { ...sample } });
    }
  }

  /** Every counter and histogram summed over the workers that ever reported, as snapshots. */
  totals(): MetricSnapshot[] {
    const sums = new Map<string, Series>();
    for (const series of [this.departed, ...this.latest.values()])
      for (const [key, { family, sample }] of series) {
        const sum = sums.get(key);
        if (sum) sum.sample.value += sample.value;
        else sums.set(key, { family, sample: { ...sample } });
      }
    const byFamily = new Map<string, SampleSnapshot[]>();
    for (const [key, { family, sample }] of sums) {
      sample.value = Math.max(sample.value, this.shown.get(key) ?? 0);
      this.shown.set(key, sample.value);
      const samples = byFamily.get(family) ?? [];
      samples.push(sample);
      byFamily.set(family, samples);
    }
    return [...this.families.values()].map((f) => ({
      ...f,
      aggregator: 'sum' as const,
      values: byFamily.get(f.name) ?? [],
    }));
  }
}

/** A series' identity: family, series name and labels in a stable order. */
function seriesKey(family: string, sample: SampleSnapshot): string {
  const labels = Object.keys(sample.labels)
    .sort()
    .map((k) => [k, String(sample.labels[k])]);
  return JSON.stringify([family, sample.metricName ?? '', labels]);
}
