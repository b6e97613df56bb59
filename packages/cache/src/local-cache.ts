import type { Pool } from '@redpool/pool';
import type { Logger } from 'pino';
import { InvalidationTracker, type TrackerState } from './invalidation-tracker.js';
import { Lru } from './lru.js';
import type { ResolvedLocalCacheOptions } from './options.js';
import { freezeSnapshot } from './snapshot.js';

/** Cumulative counters of a local cache. */
export interface LocalCacheCounters {
  /** Reads answered from process memory. */
  hits: number;
  /** Reads that went to Redis (tracking off, absent, or expired locally). */
  misses: number;
  /** Keys dropped because Redis (or this cache's own write) announced a change. */
  invalidations: number;
  /** Whole-cache drops: tracking lost or restarted, FLUSHALL/FLUSHDB, `clear()`. */
  flushes: number;
  /** Entries dropped to stay within `maxEntries`/`maxBytes`. */
  evictions: number;
}

/** A read from Redis in progress for one key, shared by the callers that missed meanwhile. */
interface Flight {
  readonly promise: Promise<unknown>;
  /** An invalidation or flush arrived while it was in flight: its reply may predate the write. */
  stale: boolean;
}

/**
 * The in-process layer of a cache with server-assisted invalidation: an LRU of decoded values
 * (deeply frozen, so every caller can be handed the same one),
 * filled only while client tracking is on, emptied by Redis' invalidations and entirely whenever
 * tracking may have missed one. The GET reply and the invalidation of its key come on different
 * sockets, in either order; so a read in flight when an invalidation of its key (or a flush)
 * arrives is returned to its callers but never stored.
 */
export class LocalCache {
  readonly counters: LocalCacheCounters = { hits: 0, misses: 0, invalidations: 0, flushes: 0, evictions: 0 };
  private readonly lru: Lru;
  private readonly flights = new Map<string, Flight>();
  private readonly tracker: InvalidationTracker;

  constructor(pool: Pool, prefix: string, options: ResolvedLocalCacheOptions, log: Logger | undefined) {
    this.lru = new Lru(options.maxEntries, options.maxBytes, options.maxAgeMs);
    this.tracker = new InvalidationTracker(
      pool,
      prefix,
      { pingIntervalMs: options.pingIntervalMs, replyTimeoutMs: options.replyTimeoutMs },
      {
        invalidated: (keys) => (keys === null ? this.flush() : this.invalidate(keys)),
        reset: () => this.flush(),
      },
      log,
    );
    this.tracker.start();
  }

  /** Entries held. */
  get size(): number {
    return this.lru.size;
  }

  /** Estimated bytes held (keys, values, per-entry overhead). */
  get bytes(): number {
    return this.lru.bytes;
  }

  /** State of the tracking connection; values are served and stored only while `tracking`. */
  get trackingState(): TrackerState {
    return this.tracker.state;
  }

  /**
   * The value when held and tracking is on (counts a hit), else undefined. Synchronous: the hot
   * path is a Map lookup.
   */
  peek(key: string): unknown {
    if (!this.tracker.active) return undefined;
    const value = this.lru.get(key, Date.now());
    if (value !== undefined) this.counters.hits++;
    return value;
  }

  /**
   * A miss: reads through `fetch` (one read per key at a time in this process) and stores the value if tracking was on before the read was sent and nothing invalidated the
   * key meanwhile. Plain data comes back deeply frozen whether stored or not, so a caller sees the
   * same kind of value on a miss as on a hit.
   */
  load(key: string, fetch: () => Promise<unknown>): Promise<unknown> {
    this.counters.misses++;
    const running = this.flights.get(key);
    if (running) return running.promise;
    const tracked = this.tracker.active;
    const promise = fetch().then(
      (value) => {
        if (this.flights.get(key) === flight) this.flights.delete(key);
        const bytes = freezeSnapshot(value);
        if (tracked && !flight.stale && bytes >= 0 && this.tracker.active) {
          const before = this.lru.evictions;
          this.lru.set(key, value, bytes, Date.now());
          this.counters.evictions += this.lru.evictions - before;
        }
        return value;
      },
      (err: unknown) => {
        if (this.flights.get(key) === flight) this.flights.delete(key);
        throw err;
      },
    );
    const flight: Flight = { promise, stale: false };
    this.flights.set(key, flight);
    return promise;
  }

  /** Drops keys, and marks their reads in flight as not to be stored. */
  invalidate(keys: readonly string[]): void {
    for (const key of keys) {
      const dropped = this.lru.delete(key);
      const flight = this.flights.get(key);
      if (flight) {
        flight.stale = true;
        // Callers arriving from now on must not share a reply that may predate the write.
        this.flights.delete(key);
      }
      if (dropped || flight) this.counters.invalidations++;
    }
  }

  /** Drops everything, and marks every read in flight as not to be stored. */
  flush(): void {
    this.lru.clear();
    for (const flight of this.flights.values()) flight.stale = true;
    this.flights.clear();
    this.counters.flushes++;
  }

  /** Stops tracking (the connection goes back to the pool's budget) and drops everything. */
  close(): void {
    this.tracker.close();
  }
}
