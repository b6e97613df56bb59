import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, test } from '@jest/globals';
import { createPool, type Pool, readHeartbeats } from '@redpool/pool';
import { httpFrom, nonLoopbackAddress, startRedis } from '@redpool/testkit';
import { useRedis } from '@redpool/testkit/jest';
import { Queue } from 'bullmq';
import { createWorkerApp, type WorkerApp } from '../../src/app.js';
import { resolveConfig, type WorkerConfig } from '../../src/config.js';
import { EvictionPolicyError } from '../../src/errors.js';
import { NOTIFICATIONS_QUEUE } from '../../src/keys.js';
import type { NotificationTransport } from '../../src/notifications/processor.js';
import { createNotificationProducer } from '../../src/notifications/producer.js';
import { memoryLogger, sleep, waitFor, withDeadline } from '../helpers.js';

const redis = useRedis();
let pool: Pool;
const apps: WorkerApp[] = [];
const MAIN = fileURLToPath(new URL('../../dist/main.js', import.meta.url));

beforeAll(() => {
  pool = createPool({ url: redis.url, name: 'app-test' });
  redis.beforeStop(() => pool.close({ timeoutMs: 1_000 }));
  redis.beforeStop(() => Promise.all(apps.map((a) => a.destroy()))); // runs first
});

function config(overrides: Partial<WorkerConfig> = {}): WorkerConfig {
  return resolveConfig({
    redisUrl: redis.url,
    httpPort: 0,
    heartbeatIntervalMs: 200,
    shutdownTimeoutMs: 2_000,
    ...overrides,
  });
}

function newApp(overrides: Partial<WorkerConfig>, transport: NotificationTransport): WorkerApp {
  const app = createWorkerApp({
    config: config(overrides),
    transport: () => transport,
    logger: memoryLogger('silent').log,
  });
  apps.push(app);
  return app;
}

const get = async (port: number, path: string) => {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(5_000) });
  return { status: res.status, body: await res.text() };
};

/** Runs dist/main.js; resolves with its exit code and output. */
function runMain(env: Record<string, string>): {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
} {
  let out = '';
  const child = spawn(process.execPath, [MAIN], {
    env: { PATH: process.env.PATH ?? '', WORKER_HTTP_HOST: '127.0.0.1', WORKER_HTTP_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

describe('start-up checks', () => {
  test('refuses a Redis whose maxmemory-policy is not noeviction, with a clear one-line message', async () => {
    const lru = await startRedis({ extraConfig: { 'maxmemory-policy': 'allkeys-lru' } });
    const app = createWorkerApp({
      config: config({ redisUrl: lru.url }),
      transport: () => ({ publish: async () => undefined }),
      logger: memoryLogger('silent').log,
    });
    await expect(app.start()).rejects.toBeInstanceOf(EvictionPolicyError);
    expect(app.status).toBe('closed');

    const run = runMain({ REDIS_URL: lru.url });
    const code = await withDeadline(run.exited, 15_000, 'worker exit');
    expect(code).toBe(1);
    const lines = run.output().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^worker: cannot start: Redis at REDIS_URL has maxmemory-policy=allkeys-lru; BullMQ needs noeviction/,
    );
    // Nothing was left behind: no queue keys, no heartbeat.
    expect(await lru.command('DBSIZE')).toBe(0);
    await lru.stop();
  });

  test('a bad variable fails start-up naming it and the allowed range', async () => {
    const run = runMain({ REDIS_URL: redis.url, USAGE_WARN_PERCENT: '150' });
    expect(await withDeadline(run.exited, 15_000, 'worker exit')).toBe(1);
    expect(run.output().trim()).toBe(
      'worker: cannot start: Invalid USAGE_WARN_PERCENT="150"; allowed: an integer from 1 to 100 (default 90)',
    );
  });
});

describe('operations', () => {
  test('the default host is loopback: the operations server does not answer the network', async () => {
    const network = nonLoopbackAddress();
    const app = newApp({ keyPrefix: 'bind', bullmqPrefix: 'bind' }, { publish: async () => undefined });
    await app.start();
    await expect(httpFrom(network, network, app.port, '/metrics')).rejects.toThrow(/ECONNREFUSED/);
    expect((await httpFrom('127.0.0.1', '127.0.0.1', app.port, '/metrics')).status).toBe(200);
  });

  test('/healthz, /readyz and /metrics (job counts, report gauges, pool metrics)', async () => {
    const app = newApp({ keyPrefix: 'ops', bullmqPrefix: 'ops' }, { publish: async () => undefined });
    await app.start();
    await app.runReportNow();
    expect(await get(app.port, '/healthz')).toEqual({ status: 200, body: '{"status":"ok"}' });
    expect(await get(app.port, '/readyz')).toEqual({ status: 200, body: '{"status":"ready"}' });
    const metrics = await get(app.port, '/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.body).toContain('redpool_queue_jobs{queue="notifications",state="failed"} 0');
    expect(metrics.body).toMatch(/redpool_queue_jobs\{queue="reports",state="delayed"\} 1/);
    expect(metrics.body).toContain('redpool_pool_max_connections{pool="worker"} 20');
    expect(metrics.body).toContain('redpool_report_processes{state="live"} 1');
    expect(metrics.body).toMatch(
      /redpool_report_pool_max_connections\{app="worker",process="[^"]+",pool="worker"\} 20/,
    );
    expect(metrics.body).toContain('process_cpu_user_seconds_total');
    expect((await get(app.port, '/nope')).status).toBe(404);
    // The worker's own heartbeat is published (one line in start()).
    const beats = await readHeartbeats(pool, 'ops:heartbeat');
    expect(beats.map((b) => [b.app, b.pid])).toEqual([['worker', process.pid]]);
    await app.close();
    expect(await readHeartbeats(pool, 'ops:heartbeat')).toEqual([]);
  });
});

describe('Redis outage', () => {
  test('readiness fails while Redis is down, /metrics still answers, and reports resume after a restart that lost the data', async () => {
    const own = await startRedis();
    const app = newApp(
      { redisUrl: own.url, keyPrefix: 'outage', bullmqPrefix: 'outage', reportIntervalMs: 500 },
      { publish: async () => undefined },
    );
    const reports: string[] = [];
    app.on('reported', (r) => reports.push(r.at));
    await app.start();
    await waitFor(() => reports.length >= 1, 5_000, 'first report');
    await own.kill();
    await waitFor(async () => (await get(app.port, '/readyz')).status === 503, 10_000, 'not ready');
    const started = Date.now();
    const metrics = await get(app.port, '/metrics');
    expect(metrics.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(6_000);
    expect(metrics.body).toContain('redpool_pool_max_connections{pool="worker"}');
    expect(metrics.body).not.toContain('redpool_queue_jobs{'); // left out, not hanging
    const before = reports.length;
    await own.restart(); // no persistence: queues, scheduler and stream are gone
    await waitFor(async () => (await get(app.port, '/readyz')).status === 200, 15_000, 'ready again');
    await waitFor(() => reports.length > before, 15_000, 'a report after the restart');
    await app.close();
  }, 60_000);
});

describe('graceful shutdown', () => {
  test('stops taking jobs, lets a running one finish, then closes everything', async () => {
    let release: () => void = () => undefined;
    const started: string[] = [];
    const transport: NotificationTransport = {
      publish: (channel) => {
        started.push(channel);
        return new Promise<void>((resolve) => {
          release = resolve;
        });
      },
    };
    const app = newApp({ keyPrefix: 'drain', bullmqPrefix: 'drain', notificationConcurrency: 1 }, transport);
    await app.start();
    const producer = createNotificationProducer(pool, { prefix: 'drain' });
    const running = await producer.enqueue({ userId: 'slow', payload: 1 });
    await waitFor(() => started.length === 1, 5_000, 'delivery started');
    const queued = await producer.enqueue({ userId: 'later', payload: 2 });
    const closing = app.close();
    await waitFor(() => app.status === 'draining', 2_000, 'draining');
    expect((await get(app.port, '/readyz')).status).toBe(503);
    expect((await get(app.port, '/healthz')).status).toBe(200);
    await sleep(300);
    release();
    await withDeadline(closing, 5_000, 'close');
    expect(app.status).toBe('closed');
    const queue = new Queue(NOTIFICATIONS_QUEUE, { connection: pool.bullmq(), prefix: 'drain' });
    expect(await queue.getJobState(running)).toBe('completed');
    expect(await queue.getJobState(queued)).toBe('waiting'); // not taken while draining
    expect(started).toEqual(['notifications.slow']);
    await queue.close();
    await producer.close();
  });

  test('a job still running at the deadline is cancelled and retried later', async () => {
    const transport: NotificationTransport = { publish: () => new Promise<void>(() => undefined) };
    const app = newApp(
      { keyPrefix: 'deadline', bullmqPrefix: 'deadline', shutdownTimeoutMs: 300 },
      transport,
    );
    await app.start();
    const producer = createNotificationProducer(pool, { prefix: 'deadline', backoffMs: 60_000 });
    const id = await producer.enqueue({ userId: 'stuck', payload: 1 });
    const queue = new Queue(NOTIFICATIONS_QUEUE, { connection: pool.bullmq(), prefix: 'deadline' });
    await waitFor(async () => (await queue.getJobState(id)) === 'active', 5_000, 'active');
    const t0 = Date.now();
    await withDeadline(app.close(), 5_000, 'close');
    expect(Date.now() - t0).toBeLessThan(2_500);
    const job = await queue.getJob(id);
    expect(await job?.getState()).toBe('delayed'); // back off, then another worker delivers it
    expect(job?.attemptsMade).toBe(1);
    expect(job?.failedReason).toMatch(/cancelled: worker shutting down/);
    await queue.close();
    await producer.close();
  });

  test('SIGTERM: the process drains, closes and exits 0', async () => {
    const run = runMain({ REDIS_URL: redis.url, KEY_PREFIX: 'sigterm', HEARTBEAT_INTERVAL_MS: '200' });
    await waitFor(() => run.output().includes('worker ready'), 15_000, 'worker ready');
    expect(run.output()).toContain('pool-usage-report every 300000 ms');
    await waitFor(
      async () => (await readHeartbeats(pool, 'sigterm:heartbeat')).length === 1,
      5_000,
      'heartbeat',
    );
    run.child.kill('SIGTERM');
    expect(await withDeadline(run.exited, 15_000, 'exit after SIGTERM')).toBe(0);
    expect(run.output()).toContain('worker stopped');
    expect(await readHeartbeats(pool, 'sigterm:heartbeat')).toEqual([]);
  });
});
