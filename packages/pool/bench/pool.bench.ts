/**
 * Pool benchmark: the same workload against redpool's shared lane and its peers, in one run, on a
 * Redis this script starts. 50 concurrent callers alternate SET/GET of 100-byte values.
 *   pnpm bench:pool            # 3 interleaved rounds of 5 s per contestant (median reported)
 *   pnpm bench:pool --quick    # 2 rounds of 1.5 s, < 40 s in all
 * The last line printed is one JSON object with the figures.
 */

import { startRedis, stopAll } from '@redpool/testkit';
import { createPool as createGenericPool } from 'generic-pool';
import { Redis } from 'ioredis';
import { createClientPool } from 'redis';
import { createPool } from '../src/index.js';

const quick = process.argv.includes('--quick');
const DURATION_MS = quick ? 1_500 : 5_000;
const ROUNDS = quick ? 2 : 4;
const WARMUP_MS = quick ? 500 : 1_000;
const CALLERS = 50;
const BLOCKERS = 10;
const VALUE = 'x'.repeat(100);

interface Ops {
  set(key: string, value: string): Promise<unknown>;
  get(key: string): Promise<unknown>;
  blpop?(key: string): Promise<unknown>;
}

interface Result {
  name: string;
  opsPerSec: number;
  p50: number;
  p99: number;
  connections: number;
}

const redis = await startRedis({ extraConfig: { maxclients: 1000 } });
/** Connections whose CLIENT SETNAME starts with `prefix`. */
const clientsNamed = async (prefix: string) =>
  String(await redis.command('CLIENT', 'LIST'))
    .split('\n')
    .filter((line) => line.includes(` name=${prefix}`)).length;

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
}

async function measure(
  name: string,
  ops: Ops,
  clientName: string,
  withBlockers: boolean,
  warmUp: boolean,
): Promise<Result> {
  let running = true;
  let counting = false;
  let count = 0;
  const latencies: number[] = [];
  const caller = async (id: number) => {
    const key = `bench:${id}`;
    let n = 0;
    while (running) {
      const started = performance.now();
      if (n++ % 2 === 0) await ops.set(key, VALUE);
      else await ops.get(key);
      if (counting) {
        count++;
        latencies.push(performance.now() - started);
      }
    }
  };
  const blocker = async (id: number) => {
    while (running) await ops.blpop?.(`bench:empty:${id}`);
  };
  const tasks = Array.from({ length: CALLERS }, (_, i) => caller(i));
  const blockers = withBlockers ? Array.from({ length: BLOCKERS }, (_, i) => blocker(i)) : [];
  await new Promise((r) => setTimeout(r, warmUp ? WARMUP_MS : 100));
  counting = true;
  const started = performance.now();
  await new Promise((r) => setTimeout(r, DURATION_MS / 2));
  const connections = await clientsNamed(clientName);
  await new Promise((r) => setTimeout(r, DURATION_MS / 2));
  counting = false;
  const elapsed = performance.now() - started;
  running = false;
  await Promise.all([...tasks, ...blockers]);
  const sorted = Float64Array.from(latencies).sort();
  return {
    name,
    opsPerSec: Math.round((count / elapsed) * 1000),
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    connections,
  };
}

interface Contestant {
  key: string;
  clientName: string;
  name: string;
  ops: Ops;
  withBlockers?: boolean;
}

/** Every contestant, set up once; measured in interleaved rounds so JIT warm-up and noise hit all alike. */
async function contestants(): Promise<{ list: Contestant[]; teardown: () => Promise<void> }> {
  // redpool: ordinary commands on the shared lane (default options: one multiplexed connection).
  const pool = createPool({ url: redis.url, name: 'bench', maxConnections: 50 });
  await pool.connect();
  const redpool: Ops = {
    set: (k, v) => pool.call('SET', k, v),
    get: (k) => pool.call('GET', k),
    blpop: (k) => pool.call('BLPOP', k, 1),
  };
  // ioredis: one connection with enableAutoPipelining (its README's advice for throughput).
  const client = new Redis(redis.port, redis.host, { enableAutoPipelining: true, connectionName: 'ioredis' });
  const ioredis: Ops = {
    set: (k, v) => client.set(k, v),
    get: (k) => client.get(k),
    blpop: (k) => client.blpop(k, 1),
  };
  // node-redis: createClientPool, max 50 (its docs' pool).
  const nodePool = createClientPool({ url: redis.url, name: 'noderedis' }, { maximum: 50 });
  await nodePool.connect();
  const nodeRedis: Ops = { set: (k, v) => nodePool.set(k, v), get: (k) => nodePool.get(k) };
  // generic-pool of ioredis clients, one lease per command (the hand-rolled design).
  const gp = createGenericPool(
    {
      create: async () => {
        const c = new Redis(redis.port, redis.host, { lazyConnect: true, connectionName: 'genericpool' });
        await c.connect();
        return c;
      },
      destroy: async (c) => {
        c.disconnect();
      },
    },
    { max: 50, min: 50 },
  );
  const lease = async <T>(fn: (c: Redis) => Promise<T>) => {
    const c = await gp.acquire();
    try {
      return await fn(c);
    } finally {
      await gp.release(c);
    }
  };
  const genericPool: Ops = { set: (k, v) => lease((c) => c.set(k, v)), get: (k) => lease((c) => c.get(k)) };
  return {
    list: [
      { key: 'redpool', clientName: 'bench:', name: 'redpool shared lane', ops: redpool },
      { key: 'ioredis', clientName: 'ioredis', name: 'ioredis 1 conn, autopipelining', ops: ioredis },
      {
        key: 'nodeRedisPool',
        clientName: 'noderedis',
        name: 'node-redis createClientPool(max 50)',
        ops: nodeRedis,
      },
      {
        key: 'genericPool',
        clientName: 'genericpool',
        name: 'generic-pool(50) + ioredis, lease per command',
        ops: genericPool,
      },
      {
        key: 'redpoolMixed',
        clientName: 'bench:',
        name: 'redpool + 10 BLPOP callers',
        ops: redpool,
        withBlockers: true,
      },
      {
        key: 'ioredisMixed',
        clientName: 'ioredis',
        name: 'ioredis 1 conn + 10 BLPOP callers',
        ops: ioredis,
        withBlockers: true,
      },
    ],
    teardown: async () => {
      await pool.close();
      client.disconnect();
      await nodePool.close();
      await gp.drain();
      await gp.clear();
    },
  };
}

const { list: all, teardown } = await contestants();
// BENCH_ONLY=redpool,ioredis limits the run to some contestants (for profiling; the summary needs all).
const only = process.env.BENCH_ONLY?.split(',');
const list = only ? all.filter((c) => only.includes(c.key)) : all;
const rounds: Record<string, Result[]> = {};
for (let round = 0; round < ROUNDS; round++) {
  // Rotate the order each round and collect garbage between contestants, so that no contestant
  // always follows the garbage-heavy ones (node-redis' and generic-pool's per-command leases).
  const order = [...list.slice(round % list.length), ...list.slice(0, round % list.length)];
  for (const c of order) {
    (globalThis as { gc?: () => void }).gc?.();
    await new Promise((r) => setTimeout(r, 200));
    const measured = await measure(c.name, c.ops, c.clientName, c.withBlockers ?? false, round === 0);
    rounds[c.key] = [...(rounds[c.key] ?? []), measured];
  }
}
await teardown();
/** The median round of each contestant. */
const results: Record<string, Result> = {};
for (const [key, rs] of Object.entries(rounds)) {
  results[key] = [...rs].sort((a, b) => a.opsPerSec - b.opsPerSec)[Math.floor(rs.length / 2)]!;
}
await stopAll();

const rows = Object.values(results);
const pad = (s: string | number, n: number) => String(s).padStart(n);
console.log(
  `\n${'contestant'.padEnd(48)}${pad('ops/s', 10)}${pad('p50 ms', 9)}${pad('p99 ms', 9)}${pad('conns', 7)}`,
);
for (const r of rows) {
  console.log(
    `${r.name.padEnd(48)}${pad(r.opsPerSec.toLocaleString('en'), 10)}${pad(r.p50.toFixed(2), 9)}${pad(r.p99.toFixed(2), 9)}${pad(r.connections, 7)}`,
  );
}
const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;
const summary = only
  ? { only }
  : {
      redpool_ops_s: results.redpool!.opsPerSec,
      ioredis_autopipe_ops_s: results.ioredis!.opsPerSec,
      generic_pool_ops_s: results.genericPool!.opsPerSec,
      node_redis_pool_ops_s: results.nodeRedisPool!.opsPerSec,
      redpool_mixed_ops_s: results.redpoolMixed!.opsPerSec,
      ioredis_mixed_ops_s: results.ioredisMixed!.opsPerSec,
      ratio_vs_ioredis: ratio(results.redpool!.opsPerSec, results.ioredis!.opsPerSec),
      ratio_vs_generic_pool: ratio(results.redpool!.opsPerSec, results.genericPool!.opsPerSec),
      ratio_vs_node_redis_pool: ratio(results.redpool!.opsPerSec, results.nodeRedisPool!.opsPerSec),
      mixed_ratio: ratio(results.redpoolMixed!.opsPerSec, results.redpool!.opsPerSec),
      ioredis_mixed_ratio: ratio(results.ioredisMixed!.opsPerSec, results.ioredis!.opsPerSec),
      redpool_p99_ms: Math.round(results.redpool!.p99 * 100) / 100,
      rounds: ROUNDS,
      duration_ms_per_round: DURATION_MS,
    };
console.log(JSON.stringify(summary));
