/**
 * Pool benchmark: the same workload against redpool's shared lane and its peers, in one run, on a
 * Redis this script starts. 50 concurrent callers alternate SET/GET of 100-byte values. redpool
 * runs as the apps run it: with `registerPoolMetrics` on. A second pair of rows reads 1,000 hot
 * keys through `@redpool/cache` on the same pool, with and without the client-side cache.
 *   pnpm bench:pool            # 4 interleaved rounds of 5 s per contestant (median reported)
 *   pnpm bench:pool --quick    # 2 rounds of 1.5 s
 * The last line printed is one JSON object with the figures.
 */

import { startRedis, stopAll } from '@redpool/testkit';
import { createPool as createGenericPool } from 'generic-pool';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { createClient, createClientPool } from 'redis';
import { createPool, type Pool, registerPoolMetrics } from '../src/index.js';

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

/** One caller's n-th operation. */
type Step = (ops: Ops, caller: number, n: number) => Promise<unknown>;

/** The main workload: each caller alternates SET and GET of its own key. */
const setGet: Step = (ops, caller, n) =>
  n % 2 === 0 ? ops.set(`bench:${caller}`, VALUE) : ops.get(`bench:${caller}`);

const HOT_KEYS = 1_000;
/** The cached workload: GETs spread over 1,000 hot keys (each caller walks them in its own order). */
const hotGet: Step = (ops, caller, n) => ops.get(`hot:${(caller * 7_919 + n * 13) % HOT_KEYS}`);

/** The slice of `@redpool/cache` used here. It is loaded at run time: the cache depends on the pool. */
interface BenchCache {
  get(key: string): Promise<unknown>;
  set(key: string, value: unknown): Promise<void>;
  close(): Promise<void>;
  readonly local: { readonly trackingState: string; readonly counters: { hits: number } } | null;
}
interface CacheModule {
  createCache(pool: Pool, options: { keyPrefix: string; local?: boolean }): BenchCache;
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

async function measure(c: Contestant, warmUp: boolean): Promise<Result> {
  const { name, ops, clientName } = c;
  const step = c.step ?? setGet;
  let running = true;
  let counting = false;
  let count = 0;
  const latencies: number[] = [];
  const caller = async (id: number) => {
    let n = 0;
    while (running) {
      const started = performance.now();
      await step(ops, id, n++);
      if (counting) {
        count++;
        latencies.push(performance.now() - started);
      }
      // Replies served from memory settle without I/O: the cache rows (both) yield now and then
      // so that timers and sockets run.
      if (c.yields && n % 64 === 0) await new Promise((r) => setImmediate(r));
    }
  };
  const blocker = async (id: number) => {
    while (running) await ops.blpop?.(`bench:empty:${id}`);
  };
  const tasks = Array.from({ length: CALLERS }, (_, i) => caller(i));
  const blockers = c.withBlockers ? Array.from({ length: BLOCKERS }, (_, i) => blocker(i)) : [];
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
  step?: Step;
  /** Let the event loop turn every 64 operations of a caller (see measure()). */
  yields?: boolean;
}

/** Why Valkey GLIDE could not run here, when it could not. */
let glideUnavailable: string | null = null;

/** Valkey GLIDE with its default client configuration (one multiplexed connection). */
async function glideContestant(): Promise<{ contestant: Contestant; close: () => void } | null> {
  try {
    const { GlideClient } = await import('@valkey/valkey-glide');
    const glide = await GlideClient.createClient({
      addresses: [{ host: redis.host, port: redis.port }],
      clientName: 'glide',
    });
    const ops: Ops = { set: (k, v) => glide.set(k, v), get: (k) => glide.get(k) };
    return {
      contestant: { key: 'glide', clientName: 'glide', name: 'valkey-glide, default config', ops },
      close: () => glide.close(),
    };
  } catch (err) {
    glideUnavailable = err instanceof Error ? err.message : String(err);
    return null;
  }
}

/** Every contestant, set up once; measured in interleaved rounds so JIT warm-up and noise hit all alike. */
async function contestants(): Promise<{ list: Contestant[]; teardown: () => Promise<void> }> {
  // redpool: ordinary commands on the shared lane (default options: one multiplexed connection),
  // with its metrics registered as the apps do.
  const pool = createPool({ url: redis.url, name: 'bench', maxConnections: 50 });
  registerPoolMetrics(pool, registry);
  await pool.connect();
  const redpool: Ops = {
    set: (k, v) => pool.set(k, v),
    get: (k) => pool.get(k),
    blpop: (k) => pool.blpop(k, 1),
  };
  // @redpool/cache on the same pool: plain (every GET goes to Redis) and with the local layer.
  const { createCache } = (await import(CACHE_MODULE)) as CacheModule;
  const uncached = createCache(pool, { keyPrefix: 'hot' });
  const cached = createCache(pool, { keyPrefix: 'hot', local: true });
  for (let i = 0; i < HOT_KEYS; i++) await uncached.set(String(i), { id: i, text: VALUE });
  const cacheOps = (cache: BenchCache): Ops => ({
    set: () => Promise.reject(new Error('read-only workload')),
    get: (k) => cache.get(k.slice('hot:'.length)),
  });
  const deadline = Date.now() + 5_000;
  while (cached.local?.trackingState !== 'tracking') {
    if (Date.now() > deadline) throw new Error('client tracking did not start within 5 s');
    await new Promise((r) => setTimeout(r, 20));
  }
  // ioredis: one connection with enableAutoPipelining (its README's advice for throughput).
  const client = new Redis(redis.port, redis.host, { enableAutoPipelining: true, connectionName: 'ioredis' });
  const ioredis: Ops = {
    set: (k, v) => client.set(k, v),
    get: (k) => client.get(k),
    blpop: (k) => client.blpop(k, 1),
  };
  // node-redis: one client, which pipelines the commands of one tick by itself (what its docs
  // recommend for this workload), and its createClientPool (max 50) as a second row.
  const nodeClient = createClient({ url: redis.url, name: 'noderedis1' });
  await nodeClient.connect();
  const nodeRedis: Ops = { set: (k, v) => nodeClient.set(k, v), get: (k) => nodeClient.get(k) };
  const nodePool = createClientPool({ url: redis.url, name: 'noderedispool' }, { maximum: 50 });
  await nodePool.connect();
  const nodeRedisPool: Ops = { set: (k, v) => nodePool.set(k, v), get: (k) => nodePool.get(k) };
  const glide = await glideContestant();
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
      ...(glide ? [glide.contestant] : []),
      { key: 'nodeRedis', clientName: 'noderedis1', name: 'node-redis 1 client', ops: nodeRedis },
      {
        key: 'nodeRedisPool',
        clientName: 'noderedispool',
        name: 'node-redis createClientPool(max 50)',
        ops: nodeRedisPool,
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
      {
        key: 'uncachedGet',
        clientName: 'bench:',
        name: 'redpool cache.get, 1,000 hot keys',
        ops: cacheOps(uncached),
        step: hotGet,
        yields: true,
      },
      {
        key: 'cachedGet',
        clientName: 'bench:',
        name: 'redpool cache.get + local cache',
        ops: cacheOps(cached),
        step: hotGet,
        yields: true,
      },
    ],
    teardown: async () => {
      await cached.close();
      await pool.close();
      glide?.close();
      await nodeClient.close();
      client.disconnect();
      await nodePool.close();
      await gp.drain();
      await gp.clear();
    },
  };
}

const registry = new Registry();
/** Built by the bench script first (`turbo run build --filter=@redpool/cache...`). */
const CACHE_MODULE = new URL('../../cache/dist/index.js', import.meta.url).href;
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
    const measured = await measure(c, round === 0);
    rounds[c.key] = [...(rounds[c.key] ?? []), measured];
  }
}
/** The pool's metrics really recorded the run (the redpool rows paid for them). */
const metricsText = await registry.metrics();
const recorded = Number(
  /redpool_command_duration_seconds_count\{[^}]*command="get"[^}]*\} (\d+)/.exec(metricsText)?.[1] ?? 0,
);
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
      node_redis_ops_s: results.nodeRedis!.opsPerSec,
      node_redis_pool_ops_s: results.nodeRedisPool!.opsPerSec,
      glide_ops_s: results.glide?.opsPerSec ?? null,
      redpool_mixed_ops_s: results.redpoolMixed!.opsPerSec,
      ioredis_mixed_ops_s: results.ioredisMixed!.opsPerSec,
      ratio_vs_ioredis: ratio(results.redpool!.opsPerSec, results.ioredis!.opsPerSec),
      ratio_vs_generic_pool: ratio(results.redpool!.opsPerSec, results.genericPool!.opsPerSec),
      ratio_vs_node_redis: ratio(results.redpool!.opsPerSec, results.nodeRedis!.opsPerSec),
      ratio_vs_node_redis_pool: ratio(results.redpool!.opsPerSec, results.nodeRedisPool!.opsPerSec),
      ratio_vs_glide: results.glide ? ratio(results.redpool!.opsPerSec, results.glide.opsPerSec) : null,
      glide_unavailable: glideUnavailable,
      uncached_get_ops_s: results.uncachedGet!.opsPerSec,
      cached_get_ops_s: results.cachedGet!.opsPerSec,
      cached_get_ratio: ratio(results.cachedGet!.opsPerSec, results.uncachedGet!.opsPerSec),
      metrics_registered: recorded > 0,
      mixed_ratio: ratio(results.redpoolMixed!.opsPerSec, results.redpool!.opsPerSec),
      ioredis_mixed_ratio: ratio(results.ioredisMixed!.opsPerSec, results.ioredis!.opsPerSec),
      redpool_p99_ms: Math.round(results.redpool!.p99 * 100) / 100,
      rounds: ROUNDS,
      duration_ms_per_round: DURATION_MS,
    };
if (!only) {
  console.log(
    `metrics_registered: ${recorded > 0} (redpool_command_duration_seconds{command="get"} count ${recorded})`,
  );
  if (glideUnavailable) console.log(`valkey-glide could not run here: ${glideUnavailable}`);
}
console.log(JSON.stringify(summary));
