import { Counter, type Registry } from 'prom-client';
import type { Cache } from './cache.js';

const caches = new WeakMap<Registry, Set<Cache>>();

/**
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
}
