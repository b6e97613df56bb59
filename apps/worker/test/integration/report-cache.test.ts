import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { type RedisServer, startRedis, stopAll } from '@redpool/testkit';
import { createWorkerApp, type WorkerApp } from '../../src/app.js';
import { resolveConfig } from '../../src/config.js';
import { memoryLogger, sleep, waitFor } from '../helpers.js';

let core: RedisServer;
let cache: RedisServer;
let app: WorkerApp;

/** The sum of one metric's series in the worker's /metrics, over lines containing `filter`. */
async function metric(name: string, filter = ''): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${app.port}/metrics`)).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) && line.includes(filter))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

/** How many XREVRANGE (the report stream's read) the core Redis has executed. */
async function streamReadCount(): Promise<number> {
  const stats = await core.info('commandstats');
  return Number(/calls=(\d+)/.exec(stats.cmdstat_xrevrange ?? '')?.[1] ?? 0);
}

/** Scrapes /metrics past the in-process sharing window, so each one reads the latest report. */
async function scrape(): Promise<string> {
  await sleep(1_050);
  return (await fetch(`http://127.0.0.1:${app.port}/metrics`)).text();
}

beforeAll(async () => {
  [core, cache] = await Promise.all([
    startRedis(),
    startRedis({ extraConfig: { maxmemory: '64mb', 'maxmemory-policy': 'allkeys-lru' } }),
  ]);
  app = createWorkerApp({
    config: resolveConfig({
      redisUrl: core.url,
      redisCacheUrl: cache.url,
      httpHost: '127.0.0.1',
      httpPort: 0,
      keyPrefix: 'rc',
      bullmqPrefix: 'rc',
      reportIntervalMs: 3_600_000,
    }),
    transport: () => ({ publish: async () => undefined }),
    logger: memoryLogger('silent').log,
  });
  await app.start();
});

afterAll(async () => {
  await app?.destroy();
  await stopAll();
});

describe('the latest report on REDIS_CACHE_URL', () => {
  test('scrapes read the report from the cache; a new report is written through', async () => {
    const first = await app.runReportNow();
    expect(await cache.command('EXISTS', 'worker:report:latest')).toBe(1);
    const hits = await metric('redpool_cache_hits_total', 'cache="worker"');
    const streamReads = await streamReadCount();
    for (let i = 0; i < 3; i++) expect(await scrape()).toContain('redpool_report_total_connections');
    expect(await metric('redpool_cache_hits_total', 'cache="worker"')).toBeGreaterThanOrEqual(hits + 3);
    // The core Redis' stream was not read for them.
    expect(await streamReadCount()).toBe(streamReads);

    const second = await app.runReportNow();
    expect(second.at).not.toBe(first.at);
    const cached = await fetch(`http://127.0.0.1:${app.port}/metrics`);
    expect(cached.status).toBe(200);
    expect(await cache.command('TTL', 'worker:report:latest')).toBeGreaterThan(3_000);
  }, 30_000);

  test('with the cache Redis killed, scrapes and reports go on from the core Redis; then the cache serves again', async () => {
    await cache.kill();
    const errors = await metric('redpool_cache_errors_total', 'cache="worker"');
    const report = await app.runReportNow();
    expect(report.totals.processes).toBeGreaterThanOrEqual(1);
    const text = await scrape();
    expect(text).toContain('redpool_report_total_connections');
    expect(await metric('redpool_cache_errors_total', 'cache="worker"')).toBeGreaterThan(errors);
    expect(app.status).toBe('ready');

    await cache.restart();
    const hits = await metric('redpool_cache_hits_total', 'cache="worker"');
    await waitFor(
      async () => {
        await scrape();
        return (await metric('redpool_cache_hits_total', 'cache="worker"')) > hits;
      },
      20_000,
      'cache hits again',
    );
  }, 40_000);
});
