import { createServer } from 'node:net';
import { describe, expect, test } from '@jest/globals';
import { type RedisServer, settle, sleep, startRedis, waitUntil } from '@redpool/testkit';
import { ConnectionError, createPool, type Pool, PoolExhaustedError } from '../src/index.js';
import { trackPools } from './track-pools.js';

const track = trackPools();

/** The pool's connections as the server lists them (CLIENT LIST, by the pool's name prefix). */
async function serverConnections(redis: RedisServer, pool: string): Promise<string[]> {
  const list = String(await redis.command('CLIENT', 'LIST'));
  return list
    .split('\n')
    .map((line) => /\bname=(\S+)/.exec(line)?.[1] ?? '')
    .filter((name) => name.startsWith(`${pool}:`));
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
      expect((await serverConnections(redis, 'heal')).length).toBeLessThanOrEqual(20);
    } finally {
      stop = true;
      await Promise.all(loops);
    }
  });
});

describe('one budget for every connection', () => {
  test('a subscriber is named as a subscriber and counts: maxConnections 5 + subscriber + exclusive load stays at 5', async () => {
    const redis = await startRedis();
    const pool = track(
      createPool({ url: redis.url, name: 'five', maxConnections: 5, acquireTimeoutMs: 2_000 }),
    );
    await pool.connect();
    const sub = await pool.subscriber();
    expect(String(await sub.client('GETNAME'))).toMatch(/^five:subscriber:\d+$/);
    let peak = 0;
    const blockers = Array.from({ length: 8 }, (_, i) => settle(pool.call('BLPOP', `q${i}`, 0.3)));
    const sampling = (async () => {
      for (let i = 0; i < 20; i++) {
        peak = Math.max(peak, (await serverConnections(redis, 'five')).length);
        await sleep(20);
      }
    })();
    const results = await Promise.all(blockers);
    await sampling;
    for (const r of results) expect(r.error).toBeUndefined();
    expect(peak).toBe(5); // shared 1 + exclusive 3 + subscriber 1
    expect(pool.stats().open).toBeLessThanOrEqual(5);
    await sub.quit();
  });

  test('a subscriber takes the place of an idle exclusive connection; with none idle it fails with reason "budget"', async () => {
    const redis = await startRedis();
    const pool = track(createPool({ url: redis.url, name: 'room', maxConnections: 3 }));
    await pool.connect();
    const leases = await Promise.all([pool.acquire(), pool.acquire()]);
    await leases[0]!.release();
    const sub = await pool.subscriber(); // the released (idle) connection is closed for it
    expect(pool.stats().open).toBe(3);
    const { error } = await settle(pool.subscriber());
    expect(error).toBeInstanceOf(PoolExhaustedError);
    expect((error as PoolExhaustedError).reason).toBe('budget');
    expect(error?.message).toMatch(/maxConnections/);
    expect(() => pool.bullmq()).toThrow(PoolExhaustedError);
    await sub.quit();
    await waitUntil(() => pool.stats().dedicated === 0, 1_000, 'the subscriber slot back');
    const bull = pool.bullmq();
    expect(bull.options.connectionName).toMatch(/^room:bullmq:\d+$/);
    expect(() => bull.duplicate()).toThrow(PoolExhaustedError); // BullMQ's copies count too
    bull.disconnect();
    await leases[1]!.release();
  });

  test('waiting callers past maxWaiting fail with reason "waiters"', async () => {
    const redis = await startRedis();
    const pool = track(
      createPool({ url: redis.url, name: 'queue', maxConnections: 2, maxWaiting: 1, acquireTimeoutMs: 300 }),
    );
    const lease = await pool.acquire();
    const waiting = settle(pool.acquire());
    const { error } = await settle(pool.acquire());
    expect((error as PoolExhaustedError).reason).toBe('waiters');
    expect(error?.message).toMatch(/maxWaiting=1/);
    await lease.release();
    expect((await waiting).error).toBeUndefined();
  });

  test('under concurrent leases, destroys, subscribers and BullMQ connections the budget never goes over', async () => {
    const redis = await startRedis();
    const max = 6;
    const pool = track(
      createPool({ url: redis.url, name: 'race', maxConnections: max, acquireTimeoutMs: 3_000 }),
    );
    let peak = 0;
    let stop = false;
    const sampler = (async () => {
      while (!stop) {
        peak = Math.max(peak, (await serverConnections(redis, 'race')).length, pool.stats().open);
        await sleep(5);
      }
    })();
    const work = Array.from({ length: 200 }, async (_, i) => {
      if (i % 40 === 5) {
        let bull: ReturnType<Pool['bullmq']> | undefined;
        try {
          bull = pool.bullmq();
        } catch (err) {
          if (!(err instanceof PoolExhaustedError)) throw err;
          return;
        }
        await bull.ping();
        await bull.quit();
        return;
      }
      if (i % 25 === 0) {
        const made = await settle(pool.subscriber());
        if (made.value) await made.value.quit();
        return;
      }
      const lease = await pool.acquire();
      await lease.connection.set(`k${i}`, 'v');
      if (i % 3 === 0) await lease.destroy();
      else await lease.release();
    });
    const results = await Promise.all(work.map((w) => settle(w)));
    stop = true;
    await sampler;
    for (const r of results) expect(r.error).toBeUndefined();
    expect(peak).toBeLessThanOrEqual(max);
  });
});

describe('subscribers have deadlines', () => {
  test('a SUBSCRIBE while Redis is down fails at commandTimeoutMs; the subscriber heals and receives again', async () => {
    const redis = await startRedis();
    const pool = track(
      createPool({
        url: redis.url,
        name: 'subdl',
        commandTimeoutMs: 300,
        retry: { attempts: 100, baseDelayMs: 20, maxDelayMs: 100 },
      }),
    );
    const sub = await pool.subscriber();
    const received: string[] = [];
    sub.on('message', (_channel: string, message: string) => received.push(message));
    await sub.subscribe('news');
    await redis.kill();
    await waitUntil(() => sub.status !== 'ready', 2_000, 'the subscriber to notice');
    const started = Date.now();
    const { error } = await settle(sub.subscribe('later'));
    expect(error?.message).toMatch(/timed out/i);
    expect(Date.now() - started).toBeLessThan(300 + 250);
    await redis.restart();
    await waitUntil(
      async () => {
        await pool.call('PUBLISH', 'news', 'back');
        return received.includes('back');
      },
      3_000,
      'the subscriber to resubscribe',
    );
  });
});

describe('connect errors reach the caller', () => {
  test('acquire() while nothing listens fails with ECONNREFUSED and the address', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const pool = track(createPool({ port, name: 'refused', connectTimeoutMs: 1_000 }));
    const { error } = await settle(pool.acquire());
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error?.message).toContain(`ECONNREFUSED 127.0.0.1:${port}`);
    const sub = await settle(pool.subscriber());
    expect(sub.error?.message).toContain(`ECONNREFUSED 127.0.0.1:${port}`);
    expect(pool.stats().dedicated).toBe(0);
  });
});
