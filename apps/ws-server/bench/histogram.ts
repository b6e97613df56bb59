/**
 * The latency histogram of the ws benchmark, shared by the load generators (which fill one each)
 * and the parent (which merges theirs and reads the percentiles): 0.05 ms buckets up to 10 s.
 * A histogram crosses the IPC channel as its non-zero buckets only: [index, count, index, count, …].
 */
export const BUCKET_MS = 0.05;
export const BUCKETS = 200_000;

export type Histogram = Uint32Array;
/** The non-zero buckets of a histogram, as flat [index, count] pairs. */
export type SparseHistogram = number[];

export const newHistogram = (): Histogram => new Uint32Array(BUCKETS);

/** Counts one latency (ms); anything beyond the last bucket lands in it. */
export function recordLatency(histogram: Histogram, latencyMs: number): void {
  histogram[Math.min(BUCKETS - 1, Math.max(0, Math.floor(latencyMs / BUCKET_MS)))]!++;
}

export function toSparse(histogram: Histogram): SparseHistogram {
  const sparse: SparseHistogram = [];
  for (let i = 0; i < BUCKETS; i++) if (histogram[i]! > 0) sparse.push(i, histogram[i]!);
  return sparse;
}

/** Adds a sparse histogram into `into`; returns the number of samples added. */
export function addSparse(into: Histogram, sparse: SparseHistogram): number {
  let samples = 0;
  for (let k = 0; k + 1 < sparse.length; k += 2) {
    into[sparse[k]!]! += sparse[k + 1]!;
    samples += sparse[k + 1]!;
  }
  return samples;
}

/** The upper bound (ms) of the bucket holding the p-th quantile of `total` samples; 0 when empty. */
export function percentile(histogram: Histogram, p: number, total: number): number {
  if (total === 0) return 0;
  const target = Math.ceil(total * p);
  let seen = 0;
  for (let i = 0; i < BUCKETS; i++) {
    seen += histogram[i]!;
    if (seen >= target) return (i + 1) * BUCKET_MS;
  }
  return BUCKETS * BUCKET_MS;
}
