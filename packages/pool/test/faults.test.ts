import { createServer, type Server } from 'node:net';
import { afterAll, describe, expect, test } from '@jest/globals';
import { settle, sleep, startBlackholeProxy, startRedis, waitUntil } from '@redpool/testkit';
import {
  AcquireTimeoutError,
  CommandTimeoutError,
  ConnectionError,
  createPool,
  PoolClosedError,
} from '../src/index.js';
import { trackPools } from './track-pools.js';

const track = trackPools();

describe('Redis killed and restarted under load', () => {
  test('in-flight calls reject with typed errors, service resumes within 1 s of Redis returning, connections stay bounded', async () => {
    const redis = await startRedis();
    const pool = track(
      createPool({ url: redis.url, name: 'kill', maxConnections: 6, commandTimeoutMs: 1_000 }),
    );
    await pool.connect();
    const leases = await Promise.all([pool.acquire(), pool.acquire()]);
    await Promise.all(leases.map((l) => l.release()));

    const errors: unknown[] = [];
    let stop = false;
    const load = (async () => {
      while (!stop) {
        await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            pool.call('SET', `k${i}`, 'v').catch((err: unknown) => errors.push(err)),
          ),
        );
      }
    })();
    await sleep(100);
    await redis.kill();
    await sleep(700);
    await redis.restart();
    const restartedAt = Date.now();
    await waitUntil(
      async () => (await settle(pool.call('PING'))).value === 'PONG',
      3_000,
      'service to resume',
    );
    const resumedAfter = Date.now() - restartedAt;
    stop = true;
    await load;

    expect(errors.length).toBeGreaterThan(0);
    for (const err of errors)
      expect(err instanceof ConnectionError || err instanceof CommandTimeoutError).toBe(true);
    expect(resumedAfter).toBeLessThan(1_000);
    expect(pool.stats().counters.reconnects).toBeGreaterThan(0);
    const clients = Number((await redis.info('clients')).connected_clients);
    expect(clients - 1).toBeLessThanOrEqual(pool.options.maxConnections); // minus the INFO connection itself
  });
});

describe('a long outage', () => {
  test('past retry.attempts commands fail at once, reconnecting goes on, and the pool heals without a command', async () => {
    const redis = await startRedis();
    const pool = track(
      createPool({ url: redis.url, name: 'outage', retry: { attempts: 3, baseDelayMs: 10, maxDelayMs: 50 } }),
    );
    await pool.connect();
    await redis.kill();
    await waitUntil(() => pool.stats().counters.reconnects > 4, 5_000, 'reconnect attempts');
    const started = Date.now();
    const { error } = await settle(pool.call('GET', 'x'));
    expect(Date.now() - started).toBeLessThan(100);
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error?.message).toMatch(/still retrying/);
    await redis.restart();
    await waitUntil(() => pool.stats().connected, 2_000, 'the pool to reconnect by itself');
    expect(await pool.call('PING')).toBe('PONG');
  });
});

describe('frozen Redis (SIGSTOP)', () => {
  test('a command rejects at commandTimeoutMs with CommandTimeoutError and the pool recovers after thaw', async () => {
    const redis = await startRedis();
    const pool = track(
      createPool({ url: redis.url, name: 'frozen', commandTimeoutMs: 300, connectTimeoutMs: 500 }),
    );
    expect(await pool.call('PING')).toBe('PONG');
    await redis.freeze();
    const started = Date.now();
    const { error } = await settle(pool.call('GET', 'x'));
    const elapsed = Date.now() - started;
    expect(error).toBeInstanceOf(CommandTimeoutError);
    expect(error?.code).toBe('POOL_ERR_COMMAND_TIMEOUT');
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(2_000);
    expect(pool.stats().counters.commandTimeouts).toBe(1);
    await redis.thaw();
    await waitUntil(
      async () => (await settle(pool.call('PING'))).value === 'PONG',
      5_000,
      'recovery after thaw',
    );
  });
});

describe('black-holed connection (half-open, no FIN)', () => {
  test('an idle connection is detected by the health check within interval + ping deadline', async () => {
    const redis = await startRedis();
    const proxy = await startBlackholeProxy({ host: redis.host, port: redis.port });
    const interval = 1_000;
    const pingTimeout = 500;
    const pool = track(
      createPool({
        url: proxy.url,
        name: 'hole',
        healthCheckIntervalMs: interval,
        healthCheckTimeoutMs: pingTimeout,
        connectTimeoutMs: 500,
      }),
    );
    // Several rounds, each from a last reply at a different phase of the sweep and sampling timers.
    for (const pause of [0, 130, 370]) {
      await waitUntil(async () => (await settle(pool.call('PING'))).value === 'PONG', 5_000, 'service');
      const failures = pool.stats().counters.healthCheckFailures;
      await sleep(pause);
      const lastReply = Date.now();
      expect(await pool.call('PING')).toBe('PONG');
      proxy.blackhole();
      await waitUntil(
        () => pool.stats().counters.healthCheckFailures > failures,
        4_000,
        'health check failure',
      );
      const detectedIn = Date.now() - lastReply;
      // The documented bound, plus what a busy event loop may add to the timers (waitUntil polls every 10 ms).
      expect(detectedIn).toBeLessThanOrEqual(interval + pingTimeout + 60);
      expect(pool.stats().healthy).toBe(false);
      proxy.heal();
    }
    await waitUntil(
      async () => (await settle(pool.call('PING'))).value === 'PONG',
      5_000,
      'recovery after heal',
    );
    await waitUntil(() => pool.stats().healthy, 2_000, 'healthy again');
  });

  test('a command that waits on a failing health check is sent after the reconnect, not spun on the reset socket', async () => {
    const redis = await startRedis();
    const proxy = await startBlackholeProxy({ host: redis.host, port: redis.port });
    const pool = track(
      createPool({
        url: proxy.url,
        name: 'hole-wait',
        healthCheckIntervalMs: 1_000,
        healthCheckTimeoutMs: 800,
        connectTimeoutMs: 500,
        commandTimeoutMs: 5_000,
      }),
    );
    expect(await pool.call('PING')).toBe('PONG');
    proxy.blackhole();
    // Idle past the interval, the sweep's PING (sent at 1000–1250 ms) is pending until 1800 ms:
    // this command waits for it, then for a reconnect. Picking the reset connection again (ioredis
    // says 'ready' until the close is processed) was a loop of microtasks that never ended.
    await sleep(1_400);
    const waiting = settle(pool.call('SET', 'k', 'v'));
    await waitUntil(() => pool.stats().counters.healthCheckFailures > 0, 3_000, 'health check failure');
    proxy.heal();
    expect((await waiting).value).toBe('OK');
  });

  test('a busy connection times out its command and the dead socket is replaced', async () => {
    const redis = await startRedis();
    const proxy = await startBlackholeProxy({ host: redis.host, port: redis.port });
    const pool = track(
      createPool({ url: proxy.url, name: 'hole2', commandTimeoutMs: 300, connectTimeoutMs: 500 }),
    );
    expect(await pool.call('PING')).toBe('PONG');
    proxy.blackhole();
    const { error } = await settle(pool.call('GET', 'x'));
    expect(error).toBeInstanceOf(CommandTimeoutError);
    proxy.heal();
    await waitUntil(
      async () => (await settle(pool.call('PING'))).value === 'PONG',
      5_000,
      'recovery after heal',
    );
  });

  test('a connection reset (RST) fails in-flight work with ConnectionError and reconnects', async () => {
    const redis = await startRedis();
    const proxy = await startBlackholeProxy({ host: redis.host, port: redis.port });
    const pool = track(createPool({ url: proxy.url, name: 'rst' }));
    expect(await pool.call('PING')).toBe('PONG');
    const blocked = settle(pool.call('BLPOP', 'never', 5));
    await waitUntil(() => pool.stats().inUse === 1, 2_000, 'lease');
    proxy.reset();
    expect((await blocked).error).toBeInstanceOf(ConnectionError);
    await waitUntil(async () => (await settle(pool.call('PING'))).value === 'PONG', 3_000, 'reconnect');
  });
});

describe('the factory cannot connect', () => {
  let counter: Server;
  afterAll(() => {
    counter?.close();
  });

  test('waiters fail with the connect error at once, without a busy loop of connection attempts', async () => {
    let attempts = 0;
    counter = createServer((socket) => {
      attempts++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => counter.listen(0, '127.0.0.1', resolve));
    const port = (counter.address() as { port: number }).port;
    const pool = track(
      createPool({ port, name: 'nofactory', acquireTimeoutMs: 3_000, connectTimeoutMs: 500 }),
    );
    const started = Date.now();
    const results = await Promise.all(Array.from({ length: 5 }, () => settle(pool.acquire())));
    expect(Date.now() - started).toBeLessThan(2_000);
    for (const r of results) expect(r.error).toBeInstanceOf(ConnectionError);
    const before = attempts;
    await sleep(1_000);
    expect(attempts - before).toBeLessThan(40);
  });

  test('commands on the shared lane fail with ConnectionError by their deadline when nothing listens', async () => {
    const redis = await startRedis();
    const port = redis.port;
    await redis.kill();
    const pool = track(createPool({ port, name: 'down', commandTimeoutMs: 400 }));
    const { error } = await settle(pool.call('GET', 'x'));
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error?.message).toMatch(/ECONNREFUSED|not reachable|unreachable/);
  });
});

describe('exhaustion, leaks and closing', () => {
  test('a full exclusive lane times out acquires; maxWaiting bounds the queue', async () => {
    const redis = await startRedis();
    const pool = track(
      createPool({ url: redis.url, name: 'full', maxConnections: 3, acquireTimeoutMs: 200, maxWaiting: 1 }),
    );
    const leases = await Promise.all([pool.acquire(), pool.acquire()]);
    const waiting = settle(pool.acquire());
    const overflow = await settle(pool.acquire());
    expect(overflow.error?.code).toBe('POOL_ERR_EXHAUSTED');
    expect((await waiting).error).toBeInstanceOf(AcquireTimeoutError);
    expect(pool.stats().counters.acquireTimeouts).toBe(1);
    await Promise.all(leases.map((l) => l.release()));
    const again = await pool.acquire();
    await again.release();
  });

  test('a lease held past leaseWarnMs is reported as a probable leak', async () => {
    const redis = await startRedis();
    const pool = track(createPool({ url: redis.url, name: 'leak', leaseWarnMs: 150 }));
    const lease = await pool.acquire();
    const longLived = await pool.acquire({ leaseWarnMs: 0 });
    await waitUntil(() => pool.stats().counters.leaseWarnings === 1, 2_000, 'lease warning');
    await sleep(300);
    expect(pool.stats().counters.leaseWarnings).toBe(1); // the long-lived lease is not reported
    await Promise.all([lease.release(), longLived.release()]);
  });

  test('close() waits for in-flight work, then refuses new work with PoolClosedError', async () => {
    const redis = await startRedis();
    const pool = createPool({ url: redis.url, name: 'closing' });
    const blocked = pool.call('BLPOP', 'q', 0.3);
    await waitUntil(() => pool.stats().inUse === 1, 2_000, 'lease');
    const inflight = pool.call('SET', 'a', '1');
    await pool.close({ timeoutMs: 2_000 });
    expect(await inflight).toBe('OK');
    expect(await blocked).toBeNull();
    expect(pool.status).toBe('closed');
    await expect(pool.call('GET', 'a')).rejects.toBeInstanceOf(PoolClosedError);
    expect(Number((await redis.info('clients')).connected_clients)).toBe(1);
  });

  test('close() returns by its deadline while a subscriber is stuck reconnecting to a dead Redis', async () => {
    const redis = await startRedis();
    const pool = createPool({ url: redis.url, name: 'dead-sub' });
    await pool.subscriber();
    await redis.kill();
    const started = Date.now();
    await pool.close({ timeoutMs: 500 });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(pool.stats().dedicated).toBe(0);
  });

  test('close() closes a lease that is not given back by the deadline', async () => {
    const redis = await startRedis();
    const pool = createPool({ url: redis.url, name: 'stuck' });
    const lease = await pool.acquire();
    const started = Date.now();
    await pool.close({ timeoutMs: 300 });
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(lease.connection.status).not.toBe('ready');
    await lease.release();
  });
});
