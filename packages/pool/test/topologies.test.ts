import { afterAll, describe, expect, test } from '@jest/globals';
import { settle, startCluster, startSentinel, stopAll, waitUntil } from '@redpool/testkit';
import { Worker } from 'bullmq';
import { createPool, type Pool, PoolError, PoolExhaustedError } from '../src/index.js';

afterAll(stopAll);

/** Runs SET/GET in a loop until stopped; counts successes and collects failures. */
function keepBusy(pool: Pool) {
  const state = { ok: 0, errors: [] as unknown[], running: true };
  const done = (async () => {
    let i = 0;
    while (state.running) {
      const key = `load:${i++ % 100}`;
      await Promise.all([pool.call('SET', key, String(i)), pool.call('GET', key)]).then(
        () => {
          state.ok++;
        },
        (err: unknown) => {
          state.errors.push(err);
        },
      );
      if (state.errors.length > 0) await new Promise((r) => setTimeout(r, 20));
    }
  })();
  return {
    state,
    stop: async () => {
      state.running = false;
      await done;
    },
  };
}

describe('Redis Cluster (3 masters, 1 replica each)', () => {
  test('commands, batches, scripts and scans reach all three masters; a failover while commands run', async () => {
    const cluster = await startCluster({ masters: 3, replicasPerMaster: 1 });
    const pool = createPool({
      cluster: { nodes: cluster.startupNodes },
      name: 'cluster',
      commandTimeoutMs: 2_000,
      retryOnTimeout: true,
    });
    expect(pool.isCluster).toBe(true);
    const keys = Array.from({ length: 60 }, (_, i) => `user:${i}`);
    await Promise.all(keys.map((k) => pool.call('SET', k, k)));
    expect(await pool.call('GET', 'user:7')).toBe('user:7');

    // Keys on every master: each master's DBSIZE is non-zero.
    for (const master of await cluster.masters()) {
      expect(Number(await master.command('DBSIZE'))).toBeGreaterThan(0);
    }
    const results = await pool.pipeline(keys.map((k) => ['GET', k] as const));
    expect(results.map(([, v]) => v)).toEqual(keys);
    const found: string[] = [];
    for await (const key of pool.scanKeys('user:*')) found.push(key);
    expect(found.sort()).toEqual([...keys].sort());
    expect(
      await pool.multi([
        ['INCR', '{room}:a'],
        ['INCR', '{room}:b'],
      ]),
    ).toEqual([
      [null, 1],
      [null, 1],
    ]);
    expect(await pool.call('BLPOP', '{room}:empty', 0.1)).toBeNull();

    const load = keepBusy(pool);
    await waitUntil(() => load.state.ok > 20, 5_000, 'load to start');
    const [firstMaster] = await cluster.masters();
    await firstMaster!.kill();
    await cluster.failover(firstMaster!);
    const okBefore = load.state.ok;
    await waitUntil(() => load.state.ok > okBefore + 20, 15_000, 'service after failover');
    await load.stop();
    for (const err of load.state.errors) expect(err).toBeInstanceOf(PoolError);
    expect((await settle(pool.call('GET', 'user:7'))).value).toBe('user:7');
    await pool.close();
  }, 90_000);
});

describe('Redis Sentinel', () => {
  test('connects through the sentinels and follows a failover while commands run', async () => {
    const sentinel = await startSentinel({ sentinels: 3 });
    const pool = createPool({
      sentinel: { sentinels: sentinel.sentinelAddresses, name: sentinel.masterName },
      name: 'sentinel',
      commandTimeoutMs: 2_000,
    });
    await pool.call('SET', 'before', '1');
    await waitUntil(
      async () => (await sentinel.replica.command('GET', 'before')) === '1',
      5_000,
      'replication',
    );

    const load = keepBusy(pool);
    await waitUntil(() => load.state.ok > 20, 5_000, 'load to start');
    const promoted = await sentinel.failover();
    expect(promoted.port).toBe(sentinel.replica.port);
    const okBefore = load.state.ok;
    await waitUntil(() => load.state.ok > okBefore + 20, 15_000, 'service after failover');
    await load.stop();
    for (const err of load.state.errors) expect(err).toBeInstanceOf(PoolError);

    await pool.call('SET', 'after', '2');
    expect(await sentinel.replica.command('GET', 'after')).toBe('2');
    await pool.close();
  }, 90_000);
});

describe('sharded pub/sub on Redis Cluster', () => {
  test('subscriber({ sharded: true }) receives SPUBLISH from channels on every master', async () => {
    const cluster = await startCluster({ masters: 3 });
    const pool = createPool({ cluster: { nodes: cluster.startupNodes }, name: 'sharded' });
    const sub = await pool.subscriber({ sharded: true });
    const channels = Array.from({ length: 12 }, (_, i) => `room:${i}`);
    const received = new Set<string>();
    sub.on('smessage', (channel: string) => received.add(channel));
    for (const channel of channels) await sub.ssubscribe(channel);
    for (const channel of channels) await pool.call('SPUBLISH', channel, 'hi');
    await waitUntil(() => received.size === channels.length, 5_000, 'every sharded message');
    expect(pool.stats().dedicated).toBe(1);
    await sub.quit();
    await pool.close();
  }, 60_000);
});

describe('BullMQ on Redis Cluster', () => {
  test("a Worker's duplicated blocking connection comes out of the budget, named after the pool", async () => {
    const cluster = await startCluster({ masters: 3 });
    const pool = createPool({ cluster: { nodes: cluster.startupNodes }, name: 'cbull', maxConnections: 3 });
    await pool.connect();
    const connection = pool.bullmq();
    // BullMQ duplicates the connection for its blocking fetch (Cluster.duplicate(undefined, { redisOptions })).
    const worker = new Worker('mail', async () => undefined, { connection, prefix: '{bull}' });
    worker.on('error', () => undefined);
    await worker.waitUntilReady();
    await waitUntil(() => pool.stats().dedicated === 2, 5_000, "the worker's blocking connection");
    // shared 1 + bullmq 2: the budget is full, and a further copy is refused instead of exceeding it.
    expect(() => pool.bullmq()).toThrow(PoolExhaustedError);
    for (const master of await cluster.masters()) {
      const names = String(await master.command('CLIENT', 'LIST'))
        .split('\n')
        .map((line) => /\bname=(\S*)/.exec(line)?.[1] ?? '')
        .filter((name) => name !== '' && !name.startsWith('cbull:'));
      expect(names.filter((name) => name.startsWith('bull'))).toEqual([]); // no copy escaped the budget
    }
    await worker.close();
    await connection.quit();
    await waitUntil(() => pool.stats().dedicated === 0, 5_000, 'the slots back');
    await pool.close();
  }, 60_000);
});
