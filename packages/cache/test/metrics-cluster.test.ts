import { execFileSync } from 'node:child_process';
import { afterAll, describe, expect, test } from '@jest/globals';
import { createPool } from '@redpool/pool';
import { startCluster, startRedis, stopAll } from '@redpool/testkit';
import { Registry } from 'prom-client';
import { createCache, registerCacheMetrics } from '../src/index.js';

afterAll(stopAll);

describe('cache metrics', () => {
  test('hits, misses, swallowed errors and bytes before/after compression; promtool accepts them', async () => {
    const redis = await startRedis();
    const pool = createPool({ url: redis.url, name: 'cache-metrics', commandTimeoutMs: 300 });
    const cache = createCache(pool, { keyPrefix: 'm', ignoreErrors: true });
    const registry = new Registry();
    registerCacheMetrics(cache, registry);
    await cache.set('big', { text: 'abc '.repeat(100) });
    await cache.get('big');
    await cache.get('missing');
    await redis.freeze();
    await cache.get('big');
    await redis.thaw();
    const text = await registry.metrics();
    expect(text).toContain('redpool_cache_hits_total{cache="m"} 1');
    expect(text).toContain('redpool_cache_misses_total{cache="m"} 2');
    expect(text).toContain('redpool_cache_errors_total{cache="m",operation="get"} 1');
    const bytes = (stage: string) =>
      Number(
        new RegExp(`redpool_cache_value_bytes_total\\{cache="m",stage="${stage}"\\} (\\d+)`).exec(text)?.[1],
      );
    expect(bytes('stored')).toBeLessThan(bytes('serialized'));
    execFileSync('promtool', ['check', 'metrics'], { input: text });
    await pool.close();
  });
});

describe('cache on Redis Cluster', () => {
  test('getMany, setMany and clear work across slots', async () => {
    const cluster = await startCluster({ masters: 3 });
    const pool = createPool({ cluster: { nodes: cluster.startupNodes }, name: 'cache-cluster' });
    const cache = createCache(pool, { keyPrefix: 'cc' });
    const entries = Array.from({ length: 100 }, (_, i) => [`user:${i}`, { i }] as const);
    await cache.setMany(entries, 60);
    const values = await cache.getMany(entries.map(([k]) => k));
    expect(values).toEqual(entries.map(([, v]) => v));
    expect(await cache.del('user:0', 'user:1')).toBe(2);
    expect(await cache.clear('user:')).toBe(98);
    expect(await cache.getMany(['user:5'])).toEqual([undefined]);
    await pool.close();
  }, 60_000);
});
