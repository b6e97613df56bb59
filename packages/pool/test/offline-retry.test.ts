import { describe, expect, test } from '@jest/globals';
import { settle, sleep, startBlackholeProxy, startRedis, waitUntil } from '@redpool/testkit';
import {
  CommandTimeoutError,
  ConnectionError,
  createPool,
  OfflineQueueFullError,
  type Pool,
  type PoolOptions,
} from '../src/index.js';
import { trackPools } from './track-pools.js';

const track = trackPools();

/** A connected pool on a Redis that is then killed: commands wait for it (many quick reconnects). */
async function poolWithRedisDown(name: string, options: PoolOptions) {
  const redis = await startRedis();
  const pool: Pool = track(
    createPool({
      url: redis.url,
      name,
      retry: { attempts: 100, baseDelayMs: 20, maxDelayMs: 100 },
      ...options,
    }),
  );
  await pool.connect();
  await redis.kill();
  await waitUntil(() => !pool.stats().connected, 2_000, 'the pool to notice');
  return { redis, pool };
}

describe('the offline queue', () => {
  test('while Redis is down commands wait up to offlineQueue; more fail at once; the waiting ones run when Redis is back', async () => {
    const { redis, pool } = await poolWithRedisDown('offline', { offlineQueue: 3, commandTimeoutMs: 3_000 });
    const queued = [1, 2, 3].map((i) => settle(pool.call('SET', `q${i}`, String(i))));
    expect(pool.stats().sharedLane.queued).toBe(3);
    const started = Date.now();
    const overflow = await settle(pool.call('SET', 'q4', '4'));
    expect(Date.now() - started).toBeLessThan(50);
    expect(overflow.error).toBeInstanceOf(OfflineQueueFullError);
    expect(overflow.error?.code).toBe('POOL_ERR_OFFLINE_QUEUE_FULL');
    await sleep(300);
    await redis.restart();
    for (const r of await Promise.all(queued)) expect(r.value).toBe('OK');
    expect(await pool.call('MGET', 'q1', 'q2', 'q3', 'q4')).toEqual(['1', '2', '3', null]);
  });

  test('a queued command fails at commandTimeoutMs and is not sent when Redis returns later', async () => {
    const { redis, pool } = await poolWithRedisDown('offline-late', { commandTimeoutMs: 200 });
    const { error } = await settle(pool.call('SET', 'late', 'x'));
    expect(error).toBeInstanceOf(ConnectionError);
    await redis.restart();
    await waitUntil(async () => (await settle(pool.call('PING'))).value === 'PONG', 3_000, 'reconnect');
    await sleep(100);
    expect(await pool.call('GET', 'late')).toBeNull();
  });
});

describe('retryOnTimeout', () => {
  /** GET sent into a black hole that heals after the first attempt timed out. */
  async function getAcrossHole(retryOnTimeout: boolean, command: 'GET' | 'INCR') {
    const redis = await startRedis();
    await redis.command('SET', 'k', '41');
    const proxy = await startBlackholeProxy({ host: redis.host, port: redis.port });
    const pool = track(
      createPool({
        url: proxy.url,
        name: `retry-${retryOnTimeout}-${command}`,
        commandTimeoutMs: 500,
        connectTimeoutMs: 2_000,
        retryOnTimeout,
        retry: { attempts: 20, baseDelayMs: 10, maxDelayMs: 50 },
      }),
    );
    expect(await pool.call('PING')).toBe('PONG');
    proxy.blackhole();
    const outcome = settle(pool.call(command, 'k'));
    await sleep(650); // the first attempt timed out at 500 ms; a retry waits for the reconnect
    proxy.heal();
    const result = await outcome;
    await waitUntil(async () => (await settle(pool.call('PING'))).value === 'PONG', 3_000, 'recovery');
    return { result, stored: await redis.command('GET', 'k') };
  }

  test('a read-only command that timed out is retried once and succeeds once Redis answers again', async () => {
    const { result } = await getAcrossHole(true, 'GET');
    expect(result.error).toBeUndefined();
    expect(result.value).toBe('41');
  });

  test('without retryOnTimeout the same command fails with CommandTimeoutError', async () => {
    const { result } = await getAcrossHole(false, 'GET');
    expect(result.error).toBeInstanceOf(CommandTimeoutError);
  });

  test('a write is never retried, even with retryOnTimeout', async () => {
    const { result, stored } = await getAcrossHole(true, 'INCR');
    expect(result.error).toBeInstanceOf(CommandTimeoutError);
    // The first INCR may still arrive late (the black hole delivers what it held), but only once:
    // it is neither retried nor re-sent after the reconnect.
    expect(Number(stored)).toBeLessThanOrEqual(42);
  });
});
