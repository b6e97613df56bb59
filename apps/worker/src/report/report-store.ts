import type { Pool } from '@redpool/pool';
import type { WorkerKeys } from '../keys.js';
import type { CounterSnapshot, PoolUsageReport } from './report.js';

/** Field of the counters hash holding the previous report's time (process ids never start with `@`). */
const PREVIOUS_AT_FIELD = '@at';

/** A report as stored in the stream, with its entry id. */
export interface StoredReport {
  id: string;
  report: PoolUsageReport;
}

/** Parses XRANGE/XREVRANGE entries `[id, [field, value, …]]` into reports; foreign entries are skipped. */
function parseEntries(reply: unknown): StoredReport[] {
  if (!Array.isArray(reply)) return [];
  const out: StoredReport[] = [];
  for (const entry of reply) {
    if (!Array.isArray(entry) || typeof entry[0] !== 'string' || !Array.isArray(entry[1])) continue;
    const fields = entry[1] as unknown[];
    for (let i = 0; i + 1 < fields.length; i += 2) {
      if (fields[i] !== 'report') continue;
      try {
        const report = JSON.parse(String(fields[i + 1])) as PoolUsageReport;
        if (report?.version === 1) out.push({ id: entry[0], report });
      } catch {
        // not ours
      }
    }
  }
  return out;
}

/**
 * Redis side of the report: the capped stream that `/stats`-style tooling reads, and the
 * counters of the previous report (by process) that any replica needs to compute deltas.
 */
export class ReportStore {
  constructor(
    private readonly pool: Pool,
    private readonly keys: WorkerKeys,
    private readonly maxLen: number,
  ) {}

  /** The counters and time stored by the previous report. */
  async readPrevious(): Promise<{ previousAt: string | null; counters: Map<string, CounterSnapshot> }> {
    const entries = Object.entries(await this.pool.hgetall(this.keys.reportCounters));
    let previousAt: string | null = null;
    const counters = new Map<string, CounterSnapshot>();
    for (const [field, value] of entries) {
      if (field === PREVIOUS_AT_FIELD) {
        previousAt = value;
        continue;
      }
      try {
        const parsed = JSON.parse(value) as CounterSnapshot;
        if (parsed !== null && typeof parsed.pools === 'object') counters.set(field, parsed);
      } catch {
        // a corrupt entry only costs that process its deltas once
      }
    }
    return { previousAt, counters };
  }

  /**
   * Appends the report to the stream (exact MAXLEN: never more than `maxLen` entries) and replaces
   * the stored counters, so departed processes drop out. Returns the stream entry id.
   */
  async save(report: PoolUsageReport, counters: ReadonlyMap<string, CounterSnapshot>): Promise<string> {
    const id = await this.pool.xadd(
      this.keys.reportStream,
      'MAXLEN',
      this.maxLen,
      '*',
      'at',
      report.at,
      'usagePercent',
      report.totals.usagePercent,
      'warnings',
      report.warnings.length,
      'report',
      JSON.stringify(report),
    );
    const fields: string[] = [PREVIOUS_AT_FIELD, report.at];
    for (const [process, snapshot] of counters) fields.push(process, JSON.stringify(snapshot));
    const results = await this.pool.multi([
      ['DEL', this.keys.reportCounters],
      ['HSET', this.keys.reportCounters, ...fields],
    ]);
    const failed = results.find(([err]) => err !== null);
    if (failed?.[0]) throw failed[0];
    // XADD answers null only with NOMKSTREAM, which is not given here.
    return id!;
  }

  /** The newest report, or null when none was made yet. */
  async latest(): Promise<StoredReport | null> {
    const reply = await this.pool.xrevrange(this.keys.reportStream, '+', '-', 'COUNT', 1);
    return parseEntries(reply)[0] ?? null;
  }

  /** Up to `count` reports, newest first. */
  async list(count = this.maxLen): Promise<StoredReport[]> {
    const reply = await this.pool.xrevrange(this.keys.reportStream, '+', '-', 'COUNT', count);
    return parseEntries(reply);
  }

  /** Entries in the stream now. */
  async length(): Promise<number> {
    return this.pool.xlen(this.keys.reportStream);
  }
}
