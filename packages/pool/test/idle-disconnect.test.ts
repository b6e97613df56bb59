import { afterAll, describe, expect, test } from '@jest/globals';
import { startRedis, stopAll, waitUntil } from '@redpool/testkit';
import { type ConnectionEvent, createPool } from '../src/index.js';

afterAll(stopAll);

describe('idle disconnect', () => {
  test('after idleDisconnectMs with nothing in flight every connection closes, and the next command reconnects', async () => {
    const redis = await startRedis();
    const pool = createPool({ url: redis.url, name: 'idle', idleDisconnectMs: 30_000 });
    const events: Array<[string, ConnectionEvent]> = [];
    pool.on('connected', (e) => events.push(['connected', e]));
    pool.on('disconnected', (e) => events.push(['disconnected', e]));

    await pool.call('SET', 'k', 'v');
    const lease = await pool.acquire();
    await lease.release();
    expect(pool.stats().open).toBe(2);
    const stats = pool.stats();
    expect(stats.msUntilIdleDisconnect).toBeGreaterThan(29_000);
    expect(stats.lastActivity).toMatch(/^\d{4}-\d\d-\d\dT/);

    await waitUntil(() => pool.stats().counters.idleDisconnects === 1, 40_000, 'idle disconnect');
    await waitUntil(
      async () => Number((await redis.info('clients')).connected_clients) === 1,
      2_000,
      'server-side close',
    );
    expect(pool.stats()).toMatchObject({
      open: 0,
      status: 'idle',
      connected: false,
      msUntilIdleDisconnect: null,
    });
    expect(events.map(([name, e]) => `${name}:${e.reason}`)).toEqual([
      'connected:ready',
      'disconnected:idle',
    ]);

    expect(await pool.call('GET', 'k')).toBe('v');
    expect(pool.stats().connected).toBe(true);
    expect(events.at(-1)?.[0]).toBe('connected');
    await pool.close();
  }, 60_000);

  test('a held lease keeps the pool from disconnecting', async () => {
    const redis = await startRedis();
    const pool = createPool({ url: redis.url, name: 'busy', idleDisconnectMs: 30_000, leaseWarnMs: 0 });
    const lease = await pool.acquire();
    await new Promise((resolve) => setTimeout(resolve, 34_000));
    expect(pool.stats().counters.idleDisconnects).toBe(0);
    expect(lease.connection.status).toBe('ready');
    await lease.release();
    await pool.close();
  }, 60_000);
});

describe('idle disconnect while Redis is down', () => {
  test('a pool that is reconnecting is not idle: it keeps trying, and serves again once Redis is back', async () => {
    const redis = await startRedis();
    const pool = createPool({ url: redis.url, name: 'idle-outage', idleDisconnectMs: 30_000 });
    await pool.call('SET', 'k', 'v');
    await redis.kill();
    await waitUntil(() => pool.stats().status === 'reconnecting', 5_000, 'reconnecting');
    // past idleDisconnectMs with nothing in flight, Redis still down
    await new Promise((resolve) => setTimeout(resolve, 34_000));
    expect(pool.stats().counters.idleDisconnects).toBe(0);
    await redis.restart();
    await waitUntil(() => pool.stats().connected, 10_000, 'reconnected');
    expect(await pool.call('SET', 'k', 'again')).toBe('OK');
    await pool.close();
  }, 60_000);
});
