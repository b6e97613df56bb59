import { afterAll, describe, expect, test } from '@jest/globals';
import {
  type BlackholeProxy,
  type RedisServer,
  settle,
  sleep,
  startBlackholeProxy,
  startRedis,
  stopAll,
} from '@redpool/testkit';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { createPool, type Pool } from '../src/index.js';

afterAll(stopAll);

const MAX_CONNECTIONS = 10;
const POOL_NAME = 'chaos';
/** How soon after Redis returns every lane must serve again. */
const RECOVERY_MS = 1_000;
/** Healthy time between faults, so that the load runs at full speed before the next one. */
const LOAD_BETWEEN_FAULTS_MS = 300;

/**
 * Reads CLIENT LIST every 50 ms on a plain connection of its own (straight to Redis, not through
 * the proxy) and keeps the largest number of the pool's connections seen.
 *
 * A connection the pool has already closed can still be listed for one server event-loop turn:
 * after a freeze, Redis reads such a socket's CLIENT SETNAME and its FIN in separate turns, and
 * while black-holed the proxy keeps the server side of closed sockets open. So a connection
 * counts as held when it is listed in two consecutive samples (50 ms apart); one the pool still
 * holds is listed in both.
 */
class BudgetSampler {
  peak = 0;
  strictPeak = 0;
  readonly overruns: string[] = [];
  private previous = new Set<string>();
  private stopped = false;
  private readonly done: Promise<void>;
  private readonly client: Redis;

  constructor(redis: RedisServer) {
    this.client = new Redis({
      host: redis.host,
      port: redis.port,
      connectionName: 'sampler',
      commandTimeout: 200,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      retryStrategy: () => 50,
    });
    this.client.on('error', () => undefined);
    this.done = this.run();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const listed = await settle(this.client.client('LIST') as Promise<string>);
      if (listed.value !== undefined) this.record(listed.value);
      else this.previous = new Set();
      await sleep(50);
    }
  }

  private record(list: string): void {
    const ids = new Set<string>();
    for (const line of list.split('\n')) {
      if (!new RegExp(`\\bname=${POOL_NAME}:`).test(line)) continue;
      ids.add(/\bid=(\d+)/.exec(line)![1]!);
    }
    const held = [...ids].filter((id) => this.previous.has(id)).length;
    this.strictPeak = Math.max(this.strictPeak, ids.size);
    this.peak = Math.max(this.peak, held);
    if (held > MAX_CONNECTIONS) this.overruns.push(`${held} held at ${new Date().toISOString()}:\n${list}`);
    this.previous = ids;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.done;
    this.client.disconnect();
  }
}

/** Ordinary, blocking and transactional load that runs through every fault. */
function startLoad(pool: Pool): { stop(): Promise<void>; counts: Record<string, number> } {
  let stopped = false;
  const counts = { shared: 0, blocking: 0, transactions: 0, failures: 0 };
  const loop = (fn: () => Promise<unknown>, key: 'shared' | 'blocking' | 'transactions') =>
    (async () => {
      while (!stopped) {
        const r = await settle(fn());
        if (r.error) {
          counts.failures++;
          await sleep(20);
        } else counts[key]++;
      }
    })();
  const loops = [
    ...Array.from({ length: 4 }, (_, i) => loop(() => pool.call('INCR', `chaos:n${i}`), 'shared')),
    ...Array.from({ length: 3 }, (_, i) => loop(() => pool.call('BLPOP', `chaos:q${i}`, 0.1), 'blocking')),
    ...Array.from({ length: 2 }, (_, i) =>
      loop(
        () =>
          pool.transaction(async (c) => {
            await c.watch(`chaos:t${i}`);
            return c.multi().incr(`chaos:t${i}`).exec();
          }),
        'transactions',
      ),
    ),
  ];
  return {
    counts,
    async stop() {
      stopped = true;
      await Promise.all(loops);
    },
  };
}

/** Retries `check` until it succeeds, failing at `deadline` (epoch ms) with the last error. */
async function servesBy(what: string, deadline: number, check: () => Promise<boolean>): Promise<number> {
  let last: unknown = 'no reply';
  while (Date.now() < deadline) {
    const r = await settle(check());
    if (r.value === true) return Date.now();
    last = r.error ?? 'not yet';
    await sleep(20);
  }
  throw new Error(`${what} did not serve within ${RECOVERY_MS} ms of Redis returning: ${String(last)}`);
}

describe('chaos: kill, freeze and black-hole Redis under mixed load', () => {
  test('the budget holds throughout and every lane serves again within 1 s of each return', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);

    const redis = await startRedis();
    const proxy: BlackholeProxy = await startBlackholeProxy({ host: redis.host, port: redis.port });
    const pool = createPool({
      url: proxy.url,
      name: POOL_NAME,
      maxConnections: MAX_CONNECTIONS,
      commandTimeoutMs: 400,
      connectTimeoutMs: 600,
      acquireTimeoutMs: 600,
      healthCheckIntervalMs: 1_000,
      healthCheckTimeoutMs: 300,
      // Reconnect delays capped well below the 1 s recovery bound (the default cap is 1 s).
      retry: { attempts: 1_000, baseDelayMs: 20, maxDelayMs: 200 },
    });
    const sampler = new BudgetSampler(redis);

    const received = [0, 0];
    const subscribers = await Promise.all([pool.subscriber(), pool.subscriber()]);
    await Promise.all(
      subscribers.map(async (sub, i) => {
        sub.on('message', () => {
          received[i]!++;
        });
        await sub.subscribe('chaos:news');
      }),
    );

    // One BullMQ connection for the queue and the worker; BullMQ duplicates it for its blocking fetch.
    const bullConnection = pool.bullmq();
    const queue = new Queue('chaos', { connection: bullConnection });
    const completed = new Set<string>();
    const worker = new Worker('chaos', async (job) => job.data as unknown, {
      connection: bullConnection,
      runRetryDelay: 50,
      drainDelay: 1,
    });
    worker.on('completed', (job) => completed.add(job.id!));
    worker.on('error', () => undefined);
    queue.on('error', () => undefined);
    await worker.waitUntilReady();

    const load = startLoad(pool);
    const recoveries: Record<string, number[]> = { kill: [], freeze: [], blackhole: [] };
    let jobNumber = 0;

    const everyLaneServes = async (cycle: string, returnedAt: number) => {
      const deadline = returnedAt + RECOVERY_MS;
      const before = [...received];
      const jobId = `job-${++jobNumber}`;
      const ends = await Promise.all([
        servesBy(`${cycle}: shared lane`, deadline, async () => (await pool.call('PING')) === 'PONG'),
        servesBy(`${cycle}: exclusive lane`, deadline, async () => {
          await pool.call('BLPOP', 'chaos:check', 0.01);
          const lease = await pool.acquire();
          await lease.release();
          return true;
        }),
        servesBy(`${cycle}: subscribers`, deadline, async () => {
          await pool.call('PUBLISH', 'chaos:news', cycle);
          await sleep(20);
          return received.every((n, i) => n > before[i]!);
        }),
        servesBy(`${cycle}: BullMQ`, deadline, async () => {
          if (!completed.has(jobId)) await queue.add('check', { cycle }, { jobId, removeOnComplete: true });
          await sleep(20);
          return completed.has(jobId);
        }),
      ]);
      return Math.max(...ends) - returnedAt;
    };

    try {
      await everyLaneServes('start', Date.now());
      for (let cycle = 1; cycle <= 5; cycle++) {
        await redis.kill();
        await sleep(400);
        await redis.restart();
        recoveries.kill!.push(await everyLaneServes(`kill ${cycle}`, Date.now()));
        await sleep(LOAD_BETWEEN_FAULTS_MS);

        await redis.freeze();
        await sleep(700);
        await redis.thaw();
        recoveries.freeze!.push(await everyLaneServes(`freeze ${cycle}`, Date.now()));
        await sleep(LOAD_BETWEEN_FAULTS_MS);

        proxy.blackhole();
        await sleep(700);
        proxy.heal();
        recoveries.blackhole!.push(await everyLaneServes(`blackhole ${cycle}`, Date.now()));
        await sleep(LOAD_BETWEEN_FAULTS_MS);
      }
    } finally {
      await load.stop();
      await sampler.stop();
      await worker.close(true).catch(() => undefined);
      await queue.close().catch(() => undefined);
      await Promise.all(subscribers.map((s) => s.quit().catch(() => undefined)));
      await pool.close({ timeoutMs: 1_000 });
      process.off('unhandledRejection', onUnhandled);
    }

    expect(sampler.overruns).toEqual([]);
    expect(sampler.peak).toBeGreaterThan(5); // the sampler saw the pool under load
    expect(sampler.peak).toBeLessThanOrEqual(MAX_CONNECTIONS);
    expect(load.counts.shared).toBeGreaterThan(0);
    expect(load.counts.blocking).toBeGreaterThan(0);
    expect(load.counts.transactions).toBeGreaterThan(0);
    expect(unhandled).toEqual([]);
    // Printed for the record: how long each kind of fault took to heal.
    console.log(
      JSON.stringify({
        recoveriesMs: recoveries,
        peak: sampler.peak,
        strict: sampler.strictPeak,
        load: load.counts,
      }),
    );
  }, 120_000);
});
