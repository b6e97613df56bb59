import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { createCodec } from '@redpool/codec';
import { createPool, type Pool } from '@redpool/pool';
import { type RedisServer, startRedis, stopAll, waitUntil } from '@redpool/testkit';
import { Registry } from 'prom-client';
import {
  type Cache,
  CacheConfigError,
  type CacheOptions,
  createCache,
  registerCacheMetrics,
} from '../src/index.js';

let redis: RedisServer;
let pool: Pool;
/** Another client of the same Redis, as another process of the fleet would be. */
let other: Pool;
let otherCache: Cache;
const caches: Cache[] = [];
const codec = createCodec();

beforeAll(async () => {
  redis = await startRedis();
  pool = createPool({ url: redis.url, name: 'local', maxConnections: 6 });
  other = createPool({ url: redis.url, name: 'other' });
  otherCache = createCache(other, { keyPrefix: 'lc' });
});
beforeEach(async () => {
  await Promise.all(caches.splice(0).map((c) => c.close()));
  await waitUntil(() => pool.stats().dedicated === 0, 2_000, 'tracking connections of the last test closed');
  await other.flushdb();
  await other.config('RESETSTAT');
});
afterAll(async () => {
  await Promise.all(caches.map((c) => c.close()));
  await pool.close();
  await other.close();
  await stopAll();
});

/** A cache with the local layer on, once its tracking is on. */
async function localCache(options: CacheOptions = {}) {
  const cache = createCache(pool, { keyPrefix: 'lc', local: true, ...options });
  caches.push(cache);
  await waitUntil(() => cache.local?.trackingState === 'tracking', 3_000, 'client tracking on');
  return cache;
}

/** GETs the server has run since the last CONFIG RESETSTAT. */
async function serverGets(): Promise<number> {
  const stats = await redis.info('commandstats');
  const line = stats.cmdstat_get ?? '';
  return Number(/calls=(\d+)/.exec(line)?.[1] ?? 0);
}

describe('client-side cache', () => {
  test('a second read is answered from memory: no GET reaches Redis', async () => {
    const cache = await localCache();
    await otherCache.set('profile:1', { name: 'Ada' });
    expect(await cache.get('profile:1')).toEqual({ name: 'Ada' });
    expect(await serverGets()).toBe(1);
    for (let i = 0; i < 20; i++) expect(await cache.get('profile:1')).toEqual({ name: 'Ada' });
    expect(await serverGets()).toBe(1);
    expect(cache.local?.counters.hits).toBe(20);
    // Every caller gets the same deeply frozen value: none can change what the others read.
    const a = await cache.get<{ name: string }>('profile:1');
    expect(Object.isFrozen(a)).toBe(true);
    expect(() => {
      a!.name = 'changed';
    }).toThrow(TypeError);
    expect(await cache.get('profile:1')).toEqual({ name: 'Ada' });
  });

  test('a write from another client invalidates within one round trip', async () => {
    const cache = await localCache();
    await otherCache.set('k', 1);
    expect(await cache.get('k')).toBe(1);
    for (let n = 2; n <= 50; n++) {
      await otherCache.set('k', n);
      // One round trip after the writer's acknowledgement, the old value is gone.
      await pool.ping();
      expect(await cache.get('k')).toBe(n);
      expect(await cache.get('k')).toBe(n);
    }
    expect(cache.local!.counters.invalidations).toBeGreaterThanOrEqual(49);
    expect(cache.local!.counters.hits).toBeGreaterThanOrEqual(49);
  });

  test("this process's own writes are read back at once", async () => {
    const cache = await localCache();
    await cache.set('mine', 'a');
    expect(await cache.get('mine')).toBe('a');
    await cache.set('mine', 'b');
    expect(await cache.get('mine')).toBe('b');
    await cache.setMany({ mine: 'c' });
    expect(await cache.get('mine')).toBe('c');
    await cache.del('mine');
    expect(await cache.get('mine')).toBeUndefined();
  });

  test('FLUSHALL empties the local layer', async () => {
    const cache = await localCache();
    await otherCache.set('f', 'v');
    await cache.get('f');
    expect(cache.local!.size).toBe(1);
    await other.flushall();
    await waitUntil(() => cache.local!.size === 0, 1_000, 'flush announced');
    expect(await cache.get('f')).toBeUndefined();
  });

  test('a read in flight when its key is invalidated returns but is not stored', async () => {
    const cache = await localCache();
    await otherCache.set('race', 'old');
    const local = cache.local!;
    const invalidationsBefore = local.counters.invalidations;
    // The GET runs before the write, but its reply is handed over after the invalidation came
    // in on the tracking socket: the order the two sockets can deliver them in.
    const read = local.load('lc:race', async () => {
      const reply = codec.decode(await pool.getBuffer('lc:race'));
      await otherCache.set('race', 'new');
      await waitUntil(() => local.counters.invalidations > invalidationsBefore, 1_000, 'invalidation');
      return reply;
    });
    expect(await read).toBe('old');
    expect(local.size).toBe(0);
    // The same read without a write in between is stored: the check above is not vacuous.
    expect(await local.load('lc:race', async () => codec.decode(await pool.getBuffer('lc:race')))).toBe(
      'new',
    );
    expect(local.size).toBe(1);
    expect(await cache.get('race')).toBe('new');
    expect(await cache.get('race')).toBe('new');
  });

  test('null and false are values held locally; Buffers are read from Redis every time', async () => {
    const cache = await localCache();
    await otherCache.set('null', null);
    await otherCache.set('false', false);
    await otherCache.set('bytes', Buffer.from([1, 2, 3]));
    for (let i = 0; i < 3; i++) {
      expect(await cache.get('null')).toBeNull();
      expect(await cache.get('false')).toBe(false);
      expect(await cache.get('bytes')).toEqual(Buffer.from([1, 2, 3]));
    }
    // A Buffer cannot be frozen, so it is never shared between callers.
    expect(cache.local!.size).toBe(2);
    expect(await serverGets()).toBe(5);
  });

  test('concurrent misses of one key send one GET (single flight)', async () => {
    const cache = await localCache();
    await otherCache.set('hot', { n: 1 });
    const values = await Promise.all(Array.from({ length: 50 }, () => cache.get('hot')));
    expect(values.every((v) => (v as { n: number }).n === 1)).toBe(true);
    expect(await serverGets()).toBe(1);
  });

  test('bounded by entries and by bytes, least recently used first', async () => {
    const cache = await localCache({ local: { maxEntries: 3 } });
    for (const k of ['a', 'b', 'c']) await otherCache.set(k, k);
    for (const k of ['a', 'b', 'c']) await cache.get(k);
    await cache.get('a');
    await otherCache.set('d', 'd');
    await cache.get('d');
    expect(cache.local!.size).toBe(3);
    expect(cache.local!.counters.evictions).toBe(1);
    await other.config('RESETSTAT');
    await cache.get('a');
    expect(await serverGets()).toBe(0);
    await cache.get('b');
    expect(await serverGets()).toBe(1);

    const small = await localCache({ keyPrefix: 'lb', local: { maxBytes: 1024 } });
    const smallWriter = createCache(other, { keyPrefix: 'lb', compressMinBytes: 0 });
    for (let i = 0; i < 10; i++) await smallWriter.set(`v${i}`, 'x'.repeat(200));
    for (let i = 0; i < 10; i++) await small.get(`v${i}`);
    expect(small.local!.bytes).toBeLessThanOrEqual(1024);
    expect(small.local!.size).toBeGreaterThan(0);
    expect(small.local!.counters.evictions).toBeGreaterThan(0);
  });

  test('a killed tracking connection flushes everything; tracking comes back on a new connection', async () => {
    const cache = await localCache();
    await otherCache.set('x', 1);
    await cache.get('x');
    expect(cache.local!.size).toBe(1);
    expect(Number(await other.call('CLIENT', 'KILL', 'TYPE', 'pubsub'))).toBe(1);
    await waitUntil(() => cache.local!.trackingState !== 'tracking', 1_000, 'tracking lost');
    expect(cache.local!.size).toBe(0);
    await otherCache.set('x', 2);
    expect(await cache.get('x')).toBe(2);
    await waitUntil(() => cache.local!.trackingState === 'tracking', 3_000, 'tracking back');
    // The killed connection left the budget: only the new one counts.
    expect(pool.stats().dedicated).toBe(1);
    expect(await cache.get('x')).toBe(2);
    const hits = cache.local!.counters.hits;
    expect(await cache.get('x')).toBe(2);
    expect(cache.local!.counters.hits).toBe(hits + 1);
  });

  test('the tracking connection counts in the pool budget and goes back on close()', async () => {
    const before = pool.stats().dedicated;
    const cache = await localCache();
    expect(pool.stats().dedicated).toBe(before + 1);
    const clients = String(await other.client('LIST'));
    expect(clients).toMatch(/ sub=1 .* redir=(\d+) resp=2/);
    await cache.close();
    await waitUntil(() => pool.stats().dedicated === before, 1_000, 'connection released');
    expect(cache.local!.trackingState).toBe('closed');
  });

  test('while tracking is off, reads go to Redis and nothing is stored', async () => {
    const tiny = createPool({ url: redis.url, name: 'tiny', maxConnections: 2 });
    await tiny.connect();
    const lease = await tiny.acquire();
    const cache = createCache(tiny, { keyPrefix: 'lc', local: true });
    await otherCache.set('y', 'v');
    // The shared lane and the lease use the whole budget: no room for the tracking connection.
    for (let i = 0; i < 3; i++) expect(await cache.get('y')).toBe('v');
    expect(cache.local!.trackingState).not.toBe('tracking');
    expect(cache.local!.size).toBe(0);
    expect(cache.local!.counters.hits).toBe(0);
    // An idle exclusive connection still holds its slot: close it to make room.
    await lease.destroy();
    await waitUntil(() => cache.local!.trackingState === 'tracking', 3_000, 'tracking once room is made');
    await cache.close();
    await tiny.close();
  });

  test('local metrics: hits, misses, invalidations, flushes, evictions, bytes; promtool accepts them', async () => {
    const cache = await localCache({ local: { maxEntries: 1 } });
    const registry = new Registry();
    registerCacheMetrics(cache, registry);
    await otherCache.set('m1', 'a');
    await otherCache.set('m2', 'b');
    await cache.get('m1');
    await cache.get('m1');
    await cache.get('m2');
    await otherCache.set('m2', 'c');
    await waitUntil(() => cache.local!.size === 0, 1_000, 'invalidation');
    const text = await registry.metrics();
    expect(text).toContain('redpool_cache_local_hits_total{cache="lc"} 1');
    expect(text).toContain('redpool_cache_local_misses_total{cache="lc"} 2');
    expect(text).toContain('redpool_cache_local_evictions_total{cache="lc"} 1');
    expect(text).toMatch(/redpool_cache_local_invalidations_total\{cache="lc"\} [1-9]/);
    expect(text).toMatch(/redpool_cache_local_flushes_total\{cache="lc"\} [1-9]/);
    expect(text).toContain('redpool_cache_local_bytes{cache="lc"} 0');
    expect(text).toContain('redpool_cache_local_entries{cache="lc"} 0');
    expect(text).toContain('redpool_cache_local_tracking{cache="lc"} 1');
    execFileSync('promtool', ['check', 'metrics'], { input: text });
  });

  test('a pool closed under the cache ends the tracking for good', async () => {
    const own = createPool({ url: redis.url, name: 'own' });
    const cache = createCache(own, { keyPrefix: 'lc', local: true });
    await waitUntil(() => cache.local!.trackingState === 'tracking', 3_000, 'tracking on');
    await own.close();
    await waitUntil(() => cache.local!.trackingState === 'closed', 3_000, 'tracking closed');
    expect(cache.local!.size).toBe(0);
  });

  test('invalid local options fail at creation, naming the field and the range', () => {
    expect(() => createCache(pool, { local: { maxEntries: 0 } })).toThrow(CacheConfigError);
    expect(() => createCache(pool, { local: { maxEntries: 0 } })).toThrow(/local\.maxEntries.*1 to/);
    expect(() => createCache(pool, { local: { maxEntry: 5 } as never })).toThrow(
      /local\.maxEntry.*maxEntries/,
    );
    expect(() => createCache(pool, { local: 'yes' as never })).toThrow(/"local"/);
  });
});
