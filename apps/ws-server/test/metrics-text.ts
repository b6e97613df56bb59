/** A Prometheus text exposition, read back: every sample by series, and each family's type. */
export interface ParsedMetrics {
  /** `name{labels}` (as written) → value. */
  samples: Map<string, number>;
  /** Family name → `counter`, `gauge`, `histogram`… */
  types: Map<string, string>;
}

export function parseMetrics(text: string): ParsedMetrics {
  const samples = new Map<string, number>();
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) types.set(type[1]!, type[2]!);
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    samples.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return { samples, types };
}

/** The samples of counters and histograms (buckets, sums and counts): they must never decrease. */
export function cumulativeSamples(parsed: ParsedMetrics): Map<string, number> {
  const cumulative = new Map<string, number>();
  for (const [series, value] of parsed.samples) {
    const name = series.split('{', 1)[0]!;
    const family = parsed.types.has(name) ? name : name.replace(/_(bucket|sum|count)$/, '');
    const type = parsed.types.get(family);
    if (type === 'counter' || type === 'histogram') cumulative.set(series, value);
  }
  return cumulative;
}

/**
 * The samples of `later` that are below their value in `earlier`, or gone: a counter that went
 * backwards, as Prometheus would see it (a reset).
 */
export function decreases(earlier: Map<string, number>, later: Map<string, number>): string[] {
  const found: string[] = [];
  for (const [series, before] of earlier) {
    const after = later.get(series);
    if (after === undefined) found.push(`${series} gone (was ${before})`);
    else if (after < before) found.push(`${series} ${before} -> ${after}`);
  }
  return found;
}
