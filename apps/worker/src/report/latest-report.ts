import type { Cache } from '@redpool/cache';
import type { PoolUsageReport } from './report.js';
import type { ReportStore } from './report-store.js';

const KEY = 'report:latest';

/**
 * The newest pool-usage report, as every replica's `/metrics` re-reads it on each scrape, kept in
 * the cache Redis: scrapes read one cached value there instead of the core Redis' stream, which
 * carries the chat traffic. The replica that makes a report writes it through at once; a
 * report missed that way (cache down at that moment) is picked up from the stream after `ttlSeconds`.
 * A cache outage only means reading the stream.
 */
export class LatestReport {
  constructor(
    private readonly store: ReportStore,
    private readonly cache: Cache,
    private readonly ttlSeconds: number,
  ) {}

  /** The newest report, or null when none was made yet (single flight per process). */
  read(): Promise<PoolUsageReport | null> {
    return this.cache.getOrSet(KEY, async () => (await this.store.latest())?.report ?? null, this.ttlSeconds);
  }

  /** Makes `report` the cached newest one (after it was stored in the stream). */
  remember(report: PoolUsageReport): Promise<void> {
    return this.cache.set(KEY, report, this.ttlSeconds);
  }
}
