import { beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { createPool, type Pool } from '@redpool/pool';
import { useRedis } from '@redpool/testkit/jest';
import { CacheArgumentError, CacheConfigError, createCache } from '../src/index.js';

const redis = useRedis();
let pool: Pool;

beforeAll(() => {
  pool = redis.track(createPool({ url: redis.url, name: 'cache-test' }));
});
beforeEach(async () => {
  await pool.call('FLUSHDB');
});

/** Names of the commands the pool sends while `fn` runs (a batch counts as one). */
async function commandsDuring(fn: () => Promise<unknown>): Promise<string[]> {
  const seen: string[] = [];
  const stop = pool.instruments.observe({ commandFinished: (command) => seen.push(command) });
  try {
    await fn();
  } finally {
    stop();
  }
  return seen;
}

describe('cache basics', () => {
  test('set, get, del with the key prefix and the default TTL', async () => {
    const cache = createCache(pool, { keyPrefix: 'chat' });
    await cache.set('profile:1', { name: 'Ada', langs: ['en', 'fr'] });
    expect(await cache.get('profile:1')).toEqual({ name: 'Ada', langs: ['en', 'fr'] });
    const ttl = Number(await pool.call('TTL', 'chat:profile:1'));
    expect(ttl).toBeGreaterThan(290);
    expect(ttl).toBeLessThanOrEqual(300);
    expect(await cache.del('profile:1', 'absent')).toBe(1);
    expect(await cache.get('profile:1')).toBeUndefined();
    expect(cache.counters).toMatchObject({ hits: 1, misses: 1 });
  });

  test('a per-call TTL; null and false are values, not misses', async () => {
    const cache = createCache(pool, { keyPrefix: 'c' });
    await cache.set('n', null, 5);
    await cache.set('f', false, 5);
    expect(Number(await pool.call('TTL', 'c:n'))).toBeLessThanOrEqual(5);
    expect(await cache.get('n')).toBeNull();
    expect(await cache.get('f')).toBe(false);
  });

  test('integers stay plain so INCR and redis-cli work; large values are compressed', async () => {
    const cache = createCache(pool, { keyPrefix: 'c' });
    await cache.set('visits', 41);
    expect(await pool.call('INCR', 'c:visits')).toBe(42);
    expect(await cache.get('visits')).toBe(42);
    const big = { text: 'hello world '.repeat(200) };
    await cache.set('big', big);
    const stored = await pool.callBuffer<Buffer>('GET', 'c:big');
    expect(stored.length).toBeLessThan(JSON.stringify(big).length / 4);
    expect(await cache.get('big')).toEqual(big);
    expect(cache.counters.storedBytes).toBeLessThan(cache.counters.serializedBytes);
  });

  test('MessagePack serializer round-trips', async () => {
    const cache = createCache(pool, { keyPrefix: 'mp', serializer: 'msgpack' });
    const value = { at: 1_700_000_000_000, tags: ['a', 'b'], nested: { ok: true, n: -1.5 } };
    await cache.set('v', value);
    expect(await cache.get('v')).toEqual(value);
  });

  test('bad input gets a clear error', async () => {
    const cache = createCache(pool);
    await expect(cache.set('', 1)).rejects.toBeInstanceOf(CacheArgumentError);
    await expect(cache.set('k', undefined)).rejects.toThrow(/undefined means a miss/);
    await expect(cache.set('k', 1, 0)).rejects.toThrow(/ttlSeconds/);
    expect(() => createCache(pool, { defaultTtlSeconds: -1 })).toThrow(CacheConfigError);
    expect(() => createCache(pool, { keyPrefix: 'has space' })).toThrow(/keyPrefix/);
  });

  test('a bad codec option throws the cache CacheConfigError, naming the field', () => {
    for (const options of [
      { compressMinBytes: -1 },
      { serializer: 'xml' as 'json' },
      { dictionaries: [{ id: 0, data: Buffer.from('x') }] },
    ]) {
      let caught: unknown;
      try {
        createCache(pool, options);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(CacheConfigError);
      expect((caught as CacheConfigError).code).toBe('CACHE_ERR_INVALID_OPTION');
      expect((caught as CacheConfigError).field).toMatch(new RegExp(`^${Object.keys(options)[0]}`));
    }
  });
});

describe('batches, single flight and clear', () => {
  test('getMany and setMany take one round trip each', async () => {
    const cache = createCache(pool, { keyPrefix: 'b' });
    const entries = Array.from({ length: 20 }, (_, i) => [`k${i}`, { i }] as const);
    expect(await commandsDuring(() => cache.setMany(entries, 60))).toEqual(['PIPELINE']);
    let values: unknown[] = [];
    expect(
      await commandsDuring(async () => {
        values = await cache.getMany(['k0', 'missing', 'k19']);
      }),
    ).toEqual(['MGET']);
    expect(values).toEqual([{ i: 0 }, undefined, { i: 19 }]);
    await cache.setMany({ a: 1, b: 'two' });
    expect(await cache.getMany(['a', 'b'])).toEqual([1, 'two']);
  });

  test('concurrent misses for one key call the loader once', async () => {
    const cache = createCache(pool, { keyPrefix: 'sf' });
    let calls = 0;
    const loader = async () => {
      calls++;
      await new Promise((r) => setTimeout(r, 50));
      return { loaded: true };
    };
    const results = await Promise.all(Array.from({ length: 25 }, () => cache.getOrSet('user:1', loader, 60)));
    expect(calls).toBe(1);
    expect(results.every((r) => r.loaded)).toBe(true);
    expect(await cache.getOrSet('user:1', loader)).toEqual({ loaded: true });
    expect(calls).toBe(1);
  });

  test('a failing loader rejects every waiter and caches nothing', async () => {
    const cache = createCache(pool, { keyPrefix: 'sf' });
    let calls = 0;
    const loader = async () => {
      calls++;
      throw new Error('db down');
    };
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => cache.getOrSet('x', loader)));
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
    expect(calls).toBe(1);
    expect(await cache.get('x')).toBeUndefined();
  });

  test('clear(prefix) removes only matching keys, with SCAN and never KEYS', async () => {
    const cache = createCache(pool, { keyPrefix: 'app' });
    await cache.setMany(Array.from({ length: 1_200 }, (_, i) => [`session:${i}`, i] as const));
    await cache.setMany([['profile:1', 'keep']]);
    await pool.call('SET', 'other:session:1', 'keep');
    await pool.call('CONFIG', 'RESETSTAT');
    expect(await cache.clear('session:')).toBe(1_200);
    expect(await cache.get('profile:1')).toBe('keep');
    expect(await pool.call('GET', 'other:session:1')).toBe('keep');
    const stats = String(await pool.call('INFO', 'commandstats'));
    expect(stats).toContain('cmdstat_scan');
    expect(stats).not.toContain('cmdstat_keys');
  });
});
