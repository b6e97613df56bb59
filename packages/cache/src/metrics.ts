import { Counter, Gauge, type Registry } from 'prom-client';
import type { Cache } from './cache.js';

const caches = new WeakMap<Registry, Set<Cache>>();

/**
 * With the client-side cache on (`local`), also `redpool_cache_local_hits_total`,
 * `redpool_cache_local_misses_total`, `redpool_cache_local_invalidations_total`,
 * `redpool_cache_local_flushes_total`, `redpool_cache_local_evictions_total`, and the gauges
 * `redpool_cache_local_bytes`, `redpool_cache_local_entries` and `redpool_cache_local_tracking`
 * (1 while client tracking is on, so the local layer serves).
 *
 * Registers `redpool_cache_hits_total`, `redpool_cache_misses_total`,
 * `redpool_cache_errors_total{operation}` (errors swallowed by `ignoreErrors`) and
 * `redpool_cache_value_bytes_total{stage="serialized|stored"}` (bytes written before and after
 * compression), labelled `cache` = key prefix. Several caches may share a registry.
 */
export function registerCacheMetrics(cache: Cache, registry: Registry): void {
  let set = caches.get(registry);
  if (!set) {
    set = new Set();
    caches.set(registry, set);
    defineMetrics(registry, set);
  }
  set.add(cache);
}

function defineMetrics(registry: Registry, set: Set<Cache>): void {
  const registers = [registry];
  const each = (fn: (cache: Cache, label: string) => void) => {
    for (const cache of set) {
      try {
        fn(cache, cache.options.keyPrefix);
      } catch {
        // One failing cache must not break the scrape.
      }
    }
  };
  new Counter({
    name: 'redpool_cache_hits_total',
    help: 'Cache reads that found a value',
    labelNames: ['cache'],
    registers,
    collect() {
      this.reset();
      each((c, cache) => this.inc({ cache }, c.counters.hits));
    },
  });
  new Counter({
    name: 'redpool_cache_misses_total',
    help: 'Cache reads that found nothing (including reads failed and ignored)',
    labelNames: ['cache'],
    registers,
    collect() {
      this.reset();
      each((c, cache) => this.inc({ cache }, c.counters.misses));
    },
  });
  new Counter({
    name: 'redpool_cache_errors_total',
    help: 'Redis failures swallowed because ignoreErrors is set, by operation',
    labelNames: ['cache', 'operation'],
    registers,
    collect() {
      this.reset();
      each((c, cache) => {
        for (const [operation, n] of Object.entries(c.counters.errors)) this.inc({ cache, operation }, n);
      });
    },
  });
  new Counter({
    name: 'redpool_cache_value_bytes_total',
    help: 'Bytes of values written: serialized (before compression) and stored (after)',
    labelNames: ['cache', 'stage'],
    registers,
    collect() {
      this.reset();
      each((c, cache) => {
        this.inc({ cache, stage: 'serialized' }, c.counters.serializedBytes);
        this.inc({ cache, stage: 'stored' }, c.counters.storedBytes);
      });
    },
  });
  defineLocalMetrics(registers, each);
}

type EachCache = (fn: (cache: Cache, label: string) => void) => void;

const LOCAL_COUNTERS = {
  hits: 'Cache reads answered from process memory',
  misses: 'Cache reads the local layer could not answer (sent to Redis)',
  invalidations: 'Local entries dropped because their key changed in Redis',
  flushes: 'Times the whole local layer was dropped (tracking lost or restarted, FLUSHALL, clear)',
  evictions: 'Local entries dropped to stay within maxEntries or maxBytes',
} as const;

function defineLocalMetrics(registers: Registry[], each: EachCache): void {
  for (const [field, help] of Object.entries(LOCAL_COUNTERS)) {
    new Counter({
      name: `redpool_cache_local_${field}_total`,
      help,
      labelNames: ['cache'],
      registers,
      collect() {
        this.reset();
        each((c, cache) => {
          if (c.local) this.inc({ cache }, c.local.counters[field as keyof typeof LOCAL_COUNTERS]);
        });
      },
    });
  }
  const gauge = (name: string, help: string, read: (cache: Cache) => number | undefined) =>
    new Gauge({
      name,
      help,
      labelNames: ['cache'],
      registers,
      collect() {
        this.reset();
        each((c, cache) => {
          const value = read(c);
          if (value !== undefined) this.set({ cache }, value);
        });
      },
    });
  gauge('redpool_cache_local_bytes', 'Estimated bytes held by the local layer', (c) => c.local?.bytes);
  gauge('redpool_cache_local_entries', 'Entries held by the local layer', (c) => c.local?.size);
  gauge('redpool_cache_local_tracking', '1 while client tracking is on and the local layer serves', (c) =>
    c.local ? Number(c.local.trackingState === 'tracking') : undefined,
  );
}
