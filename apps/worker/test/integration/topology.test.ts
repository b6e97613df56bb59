import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, test } from '@jest/globals';
import { coreRedisTarget, DEFAULT_REDIS_CONNECTION_SETTINGS } from '@redpool/config';
import { createPool, type Pool } from '@redpool/pool';
import { createPublisher } from '@redpool/realtime';
import { getFreePort, startCluster, startRedis, startSentinel, stopAll } from '@redpool/testkit';
import { createNotificationProducer } from '../../src/notifications/producer.js';
import { waitFor } from '../helpers.js';

const MAIN = fileURLToPath(new URL('../../dist/main.js', import.meta.url));
const children: ChildProcess[] = [];
const pools: Pool[] = [];

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await Promise.all(pools.map((p) => p.close({ timeoutMs: 1_000 })));
  await stopAll();
});

/** Runs the worker as `npm start` does, and resolves once /readyz answers 200. */
async function startWorker(env: Record<string, string>): Promise<{ output: () => string }> {
  const port = await getFreePort();
  let out = '';
  const child = spawn(process.execPath, [MAIN], {
    env: {
      PATH: process.env.PATH ?? '',
      WORKER_HTTP_HOST: '127.0.0.1',
      WORKER_HTTP_PORT: String(port),
      LOG_LEVEL: 'warn',
      BULLMQ_PREFIX: '{bull}',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  for (const stream of [child.stdout, child.stderr]) stream?.on('data', (d: Buffer) => (out += d.toString()));
  await waitFor(
    async () => {
      const res = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined);
      return res?.status === 200;
    },
    30_000,
    'worker ready',
  ).catch((err: Error) => {
    throw new Error(`${err.message}\n${out}`);
  });
  return { output: () => out };
}

/** Enqueues a notification through `pool` and waits until it is in the user's channel history. */
async function deliversThrough(pool: Pool, user: string): Promise<void> {
  const producer = createNotificationProducer(pool, { prefix: '{bull}' });
  try {
    await producer.enqueue({ userId: user, payload: { text: 'hi' } });
    const publisher = createPublisher(pool, { fanout: 'none' });
    await waitFor(
      async () => (await publisher.position(`notifications.${user}`)).offset === 1,
      20_000,
      `notification for ${user} in its channel`,
    );
  } finally {
    await producer.close();
  }
}

describe('the worker on the Redis topologies both apps share', () => {
  test('Redis Cluster from REDIS_CLUSTER_NODES, cache on REDIS_CACHE_URL', async () => {
    const cluster = await startCluster({ masters: 3 });
    const cache = await startRedis();
    const nodes = cluster.startupNodes.map((n) => `${n.host}:${n.port}`);
    await startWorker({ REDIS_CLUSTER_NODES: nodes.join(','), REDIS_CACHE_URL: cache.url });
    const pool = createPool({
      ...coreRedisTarget({ ...DEFAULT_REDIS_CONNECTION_SETTINGS, redisClusterNodes: nodes }),
      name: 'topology-test',
    });
    pools.push(pool);
    expect(pool.isCluster).toBe(true);
    await deliversThrough(pool, 'on-cluster');
  }, 90_000);

  test('a master found through Sentinel from REDIS_SENTINELS and REDIS_SENTINEL_NAME', async () => {
    const sentinel = await startSentinel({ masterName: 'core' });
    const sentinels = sentinel.sentinelAddresses.map((s) => `${s.host}:${s.port}`).join(',');
    await startWorker({ REDIS_SENTINELS: sentinels, REDIS_SENTINEL_NAME: 'core' });
    const pool = createPool({ url: sentinel.master.url, name: 'topology-test' });
    pools.push(pool);
    await deliversThrough(pool, 'via-sentinel');
  }, 90_000);
});
