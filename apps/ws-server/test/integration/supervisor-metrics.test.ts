import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, test } from '@jest/globals';
import { startRedis, stopAll } from '@redpool/testkit';
import type { SupervisorDrainStatus, SupervisorStats } from '../../src/supervisor/server-stats.js';
import { isSupervisorEndpoint } from '../../src/supervisor/supervisor-endpoints.js';
import { sleep, TestClient, waitFor } from '../helpers.js';
import { cumulativeSamples, decreases, type ParsedMetrics, parseMetrics } from '../metrics-text.js';
import { killAll, type ServerProcess, serverEnv, spawnServer } from '../processes.js';

afterAll(async () => {
  await killAll();
  await stopAll();
});

/** The supervisor worker that owns a client's Engine.IO session (`w<id>.…`). */
const workerOf = (c: TestClient) => Number(/^w(\d+)\./.exec(c.socket.io.engine?.id ?? '')?.[1] ?? -1);

describe('supervisor: the whole server on /metrics, /stats and /drain', () => {
  test('answers /metrics, /stats, /drain, /readyz and /healthz itself, whatever the query or request-target form', () => {
    for (const line of [
      'GET /metrics HTTP/1.1',
      'HEAD /stats?pretty=1 HTTP/1.1',
      'GET /drain HTTP/1.0',
      'GET /readyz HTTP/1.1',
      'GET /healthz HTTP/1.1',
      'GET http://ws.example:3000/metrics HTTP/1.1',
    ])
      expect(isSupervisorEndpoint(line)).toBe(true);
    for (const line of [
      'GET /readyzz HTTP/1.1',
      'GET /metrics/x HTTP/1.1',
      'GET /socket.io/?EIO=4&transport=polling&sid=w1.a HTTP/1.1',
      'GET http://[bad HTTP/1.1',
      'garbage',
    ])
      expect(isSupervisorEndpoint(line)).toBe(false);
  });

  test('/metrics, /stats and /drain report the whole server; counters never go backwards across a restart or a crash', async () => {
    const redis = await startRedis();
    const supervisor = await spawnServer(
      serverEnv(redis.url, {
        WS_WORKERS: '2',
        WS_DRAIN_GRACE_SECONDS: '10',
        // one client per 200 ms: the old generation drains for about a second, across scrapes
        WS_DRAIN_BATCH_SIZE: '1',
        WS_DRAIN_BATCH_INTERVAL_MS: '200',
      }),
      30_000,
    );
    const CLIENTS = 12;
    const CHANNEL = 'chat.whole-server';
    const clients = Array.from(
      { length: CLIENTS },
      (_, i) =>
        new TestClient(supervisor.url, `m-${i}`, { transports: i % 4 === 0 ? ['polling'] : ['websocket'] }),
    );
    const get = async (path: string) => {
      const res = await fetch(`${supervisor.url}${path}`);
      expect(res.status).toBe(200);
      return res;
    };
    const scrape = async () => parseMetrics(await (await get('/metrics')).text());
    const value = (m: ParsedMetrics, series: string) => m.samples.get(series);
    const messages = (m: ParsedMetrics, direction: 'in' | 'out') =>
      value(m, `redpool_ws_messages_total{pattern="chat.*",direction="${direction}"}`);
    const publishRound = (round: number) =>
      Promise.all(
        clients.map(async (c, i) => expect((await c.publish(CHANNEL, { round, i })).ok).toBe(true)),
      );
    const everyoneHas = (count: number) =>
      waitFor(
        `${count} messages at every client`,
        () => clients.every((c) => c.offsets(CHANNEL).length >= count),
        10_000,
      );
    try {
      await Promise.all(clients.map((c) => c.connected(15_000)));
      for (const c of clients) expect((await c.subscribe(CHANNEL)).ok).toBe(true);
      expect(new Set(clients.map(workerOf))).toEqual(new Set([1, 2]));

      // the same whole-server figures whichever worker a scrape would have landed on
      const scrapes: ParsedMetrics[] = [];
      for (let i = 0; i < 6; i++) scrapes.push(await scrape());
      for (const m of scrapes) {
        expect({
          websocket: value(m, 'redpool_ws_connections{transport="websocket"}'),
          polling: value(m, 'redpool_ws_connections{transport="polling"}'),
          subscriptions: value(m, 'redpool_ws_subscriptions'),
          channels: value(m, 'redpool_ws_channels'),
          ready: value(m, 'redpool_ws_ready'),
          draining: value(m, 'redpool_ws_draining'),
          serving: value(m, 'redpool_ws_workers{role="serving"}'),
          generation: value(m, 'redpool_ws_supervisor_generation'),
          poolUp: value(m, 'redpool_pool_up{pool="ws"}'),
        }).toEqual({
          websocket: 9,
          polling: 3,
          subscriptions: CLIENTS,
          // one channel, subscribed on each worker
          channels: 2,
          ready: 1,
          draining: 0,
          serving: 2,
          generation: 1,
          poolUp: 1,
        });
      }

      // messages accepted and written by both workers add up
      await publishRound(1);
      await publishRound(2);
      await everyoneHas(2 * CLIENTS);
      const published = await scrape();
      expect(messages(published, 'in')).toBe(2 * CLIENTS);
      expect(messages(published, 'out')).toBe(2 * CLIENTS * CLIENTS);
      const text = await (await get('/metrics')).text();
      const promtool = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
      if (!promtool.error) expect(`${promtool.stdout}${promtool.stderr}`.trim()).toBe('');

      const stats = (await (await get('/stats')).json()) as SupervisorStats;
      expect(stats).toMatchObject({
        status: 'running',
        ready: true,
        connections: { total: CLIENTS, websocket: 9, polling: 3 },
        subscriptions: CLIENTS,
        drain: { draining: false, active: { websocket: 9, polling: 3 } },
        supervisor: { status: 'running', generation: 1 },
      });
      expect(stats.pools).toHaveLength(2);
      expect(stats.supervisor.workers.map((w) => [w.worker, w.role, w.stats?.connections.total])).toEqual([
        [1, 'serving', clients.filter((c) => workerOf(c) === 1).length],
        [2, 'serving', clients.filter((c) => workerOf(c) === 2).length],
      ]);
      const drain = (await (await get('/drain')).json()) as SupervisorDrainStatus;
      expect(drain).toMatchObject({ draining: false, active: { websocket: 9, polling: 3 }, startedAt: null });
      expect(drain.workers).toHaveLength(2);

      // SIGHUP: scrape throughout; no counter or histogram sample may go down or vanish
      const timeline: ParsedMetrics[] = [published];
      let scraping = true;
      const scraper = (async () => {
        while (scraping) {
          timeline.push(await scrape());
          await sleep(100);
        }
      })();
      supervisor.kill('SIGHUP');
      await supervisor.waitForLog(
        (l) => l.msg.startsWith('restart: generation 2 ready'),
        30_000,
        'generation 2',
      );
      await waitForDrainedExits(supervisor, 2);
      await waitFor(
        'every client resubscribed on a new worker',
        () => clients.every((c) => c.settled && workerOf(c) > 2),
        15_000,
      );
      await waitFor(
        'every client counted on the new workers',
        async () => value(await scrape(), 'redpool_ws_subscriptions') === CLIENTS,
        10_000,
      );
      scraping = false;
      await scraper;
      const restarted = await scrape();
      timeline.push(restarted);
      expectNoDecrease(timeline);
      expect(timeline.some((m) => value(m, 'redpool_ws_draining') === 1)).toBe(true);
      for (const m of timeline) {
        expect(value(m, 'redpool_ws_ready')).toBe(1);
        const started = value(m, 'redpool_ws_drain_started_timestamp_seconds')!;
        if (value(m, 'redpool_ws_draining') === 1) expect(started).toBeGreaterThan(Date.now() / 1000 - 60);
        else expect(started).toBe(0);
      }
      // the old generation's counts are kept: nothing was published meanwhile
      expect(messages(restarted, 'in')).toBe(2 * CLIENTS);
      expect(value(restarted, 'redpool_ws_connections{transport="websocket"}')).toBe(9);
      expect(value(restarted, 'redpool_ws_connections{transport="polling"}')).toBe(3);
      expect(value(restarted, 'redpool_ws_supervisor_generation')).toBe(2);
      expect(value(restarted, 'redpool_ws_worker_exits_total{reason="drained"}')).toBe(2);
      await publishRound(3);
      await everyoneHas(3 * CLIENTS);
      const afterRestart = await scrape();
      expect(messages(afterRestart, 'in')).toBe(3 * CLIENTS);
      expect(messages(afterRestart, 'out')).toBeGreaterThanOrEqual(3 * CLIENTS * CLIENTS);

      // a crash: no final report, the counters of its last scrape are kept
      await publishRound(4);
      await everyoneHas(4 * CLIENTS);
      const beforeCrash = await scrape();
      const victim = ((await (await get('/stats')).json()) as SupervisorStats).supervisor.workers[0]!;
      process.kill(victim.pid!, 'SIGKILL');
      await supervisor.waitForLog((l) => l.msg === 'worker exited unexpectedly', 10_000, 'the crash');
      const afterCrash = await scrape();
      await waitFor(
        'a replacement serving',
        async () => value(await scrape(), 'redpool_ws_workers{role="serving"}') === 2,
        15_000,
      );
      const replaced = await scrape();
      expectNoDecrease([beforeCrash, afterCrash, replaced]);
      expect(messages(replaced, 'in')).toBe(4 * CLIENTS);
      expect(value(replaced, 'redpool_ws_worker_exits_total{reason="crashed"}')).toBe(1);
      console.log(
        `whole-server metrics: ${timeline.length} scrapes across the restart, none decreasing; ${messages(replaced, 'in')} messages in, ${messages(replaced, 'out')} out across 3 generations of workers`,
      );

      for (const c of clients) c.close();
      supervisor.kill('SIGTERM');
      expect((await supervisor.exited).code).toBe(0);
    } finally {
      for (const c of clients) c.close();
      supervisor.kill('SIGKILL');
    }
  }, 120_000);
});

/** Fails with every counter or histogram sample that went down (or vanished) from one scrape to the next. */
function expectNoDecrease(scrapes: readonly ParsedMetrics[]): void {
  const found: string[] = [];
  for (let i = 1; i < scrapes.length; i++)
    for (const d of decreases(cumulativeSamples(scrapes[i - 1]!), cumulativeSamples(scrapes[i]!)))
      found.push(`scrape ${i}: ${d}`);
  expect(found).toEqual([]);
}

function waitForDrainedExits(supervisor: ServerProcess, count: number): Promise<void> {
  return waitFor(
    `${count} workers drained and gone`,
    () => supervisor.logs.filter((l) => l.msg === 'worker exited after draining').length >= count,
    20_000,
  );
}
