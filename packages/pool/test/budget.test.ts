import { afterAll, afterEach, describe, expect, test } from '@jest/globals';
import { settle, sleep, startRedis, stopAll, waitUntil } from '@redpool/testkit';
import { createPool, type Pool } from '../src/index.js';

const pools: Pool[] = [];
function track(pool: Pool): Pool {
  pools.push(pool);
  return pool;
}

afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.destroy()));
});
afterAll(stopAll);

/** The pool's connections as the server lists them (CLIENT LIST, by the pool's name prefix). */
async function serverConnections(redis: { command(...a: string[]): Promise<unknown> }, pool: string) {
  const list = String(await redis.command('CLIENT', 'LIST'));
  return list.split('\n').filter((line) => line.includes(` name=${pool}:`)).length;
}

describe('the exclusive lane after Redis restarts', () => {
  test('BLPOP, transaction() and acquire() serve again once Redis is back (shared loops, BLPOP loops and a subscriber)', async () => {
    const redis = await startRedis();
    const pool = track(createPool({ url: redis.url, name: 'heal', maxConnections: 20 }));
    await pool.subscriber();
    let stop = false;
    const loops: Promise<void>[] = [];
    for (let i = 0; i < 10; i++)
      loops.push(
        (async () => {
          while (!stop) await settle(pool.call('GET', `k${i}`)).then(() => sleep(5));
        })(),
      );
    for (let i = 0; i < 5; i++)
      loops.push(
        (async () => {
          while (!stop) await settle(pool.call('BLPOP', `q${i}`, 1)).then(() => sleep(5));
        })(),
      );
    await sleep(300);
    await redis.kill();
    await sleep(3_000);
    await redis.restart();
    try {
      await waitUntil(
        async () => (await settle(pool.call('BLPOP', 'after', 0.05))).error === undefined,
        3_000,
        'BLPOP to serve again',
      );
      await waitUntil(
        async () =>
          (await settle(pool.transaction(async (c) => c.multi().set('t', '1').exec()))).error === undefined,
        1_000,
        'transaction() to serve again',
      );
      const lease = await pool.acquire();
      await lease.release();
      expect(pool.stats().open).toBeLessThanOrEqual(20);
      expect(await serverConnections(redis, 'heal')).toBeLessThanOrEqual(20);
    } finally {
      stop = true;
      await Promise.all(loops);
    }
  });
});
