import { afterAll, describe, expect, test } from '@jest/globals';
import { createPool } from '@redpool/pool';
import { startRedis, stopAll } from '@redpool/testkit';
import { createCache } from '../src/index.js';

afterAll(stopAll);

describe('Redis frozen (SIGSTOP)', () => {
  test('with ignoreErrors: true reads are misses within the command timeout, writes are skipped, errors counted', async () => {
    const redis = await startRedis();
    const pool = createPool({ url: redis.url, name: 'frozen-ignore', commandTimeoutMs: 300 });
    const cache = createCache(pool, { keyPrefix: 'c', ignoreErrors: true });
    await cache.set('k', 'v');
    await redis.freeze();
    const started = Date.now();
    expect(await cache.get('k')).toBeUndefined();
    expect(Date.now() - started).toBeLessThan(1_500);
    await cache.set('k', 'new');
    expect(await cache.getMany(['a', 'b'])).toEqual([undefined, undefined]);
    // The app keeps serving: getOrSet falls back to the loader.
    expect(await cache.getOrSet('k', async () => 'from-db')).toBe('from-db');
    expect(cache.counters.errors.get).toBeGreaterThanOrEqual(3);
    expect(cache.counters.errors.set).toBeGreaterThanOrEqual(1);
    await redis.thaw();
    await pool.close();
  });

  test('with ignoreErrors: false reads throw a typed timeout error', async () => {
    const redis = await startRedis();
    const pool = createPool({ url: redis.url, name: 'frozen-throw', commandTimeoutMs: 300 });
    const cache = createCache(pool, { keyPrefix: 'c' });
    await cache.set('k', 'v');
    await redis.freeze();
    await expect(cache.get('k')).rejects.toMatchObject({ code: 'POOL_ERR_COMMAND_TIMEOUT' });
    await redis.thaw();
    await pool.close();
  });

  test('a corrupt stored value is a typed CodecError, or a counted miss with ignoreErrors', async () => {
    const redis = await startRedis();
    const pool = createPool({ url: redis.url, name: 'corrupt' });
    const strict = createCache(pool, { keyPrefix: 'c' });
    const lenient = createCache(pool, { keyPrefix: 'c', ignoreErrors: true });
    await strict.set('big', { text: 'x'.repeat(500) });
    const stored = await pool.callBuffer<Buffer>('GET', 'c:big');
    await pool.call('SET', 'c:big', stored.subarray(0, stored.length - 5));
    await expect(strict.get('big')).rejects.toMatchObject({ name: 'CodecError' });
    expect(await lenient.get('big')).toBeUndefined();
    expect(lenient.counters.errors.get).toBe(1);
    await pool.close();
  });
});
