import { afterAll, describe, expect, test } from '@jest/globals';
import { startRedis, stopAll } from '@redpool/testkit';
import type { SupervisorHealth, SupervisorReadiness } from '../../src/supervisor/whole-server.js';
import { waitFor } from '../helpers.js';
import { parseMetrics } from '../metrics-text.js';
import { killAll, serverEnv, spawnServer } from '../processes.js';

afterAll(async () => {
  await killAll();
  await stopAll();
});

async function probe<T>(url: string): Promise<{ status: number; body: T }> {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as T };
}

describe('supervisor: probes and worker accounting for the whole server', () => {
  test('/readyz follows every serving worker (Redis killed and back); /healthz counts workers by role', async () => {
    const redis = await startRedis();
    const supervisor = await spawnServer(serverEnv(redis.url, { WS_WORKERS: '2' }), 30_000);
    try {
      const ready = await probe<SupervisorReadiness>(`${supervisor.url}/readyz`);
      expect(ready.status).toBe(200);
      expect(ready.body.ready).toBe(true);
      expect(ready.body.workers.map((w) => [w.role, w.ready])).toEqual([
        ['serving', true],
        ['serving', true],
      ]);
      const health = await probe<SupervisorHealth>(`${supervisor.url}/healthz`);
      expect(health).toMatchObject({
        status: 200,
        body: { status: 'ok', supervisor: 'running', workers: { starting: 0, serving: 2, draining: 0 } },
      });
      const metrics = parseMetrics(await (await fetch(`${supervisor.url}/metrics`)).text());
      expect(metrics.samples.get('redpool_ws_workers_configured')).toBe(2);

      await redis.kill();
      let notReady: SupervisorReadiness | undefined;
      await waitFor(
        'the supervisor not ready',
        async () => {
          const answer = await probe<SupervisorReadiness>(`${supervisor.url}/readyz`);
          if (answer.status === 503) notReady = answer.body;
          return answer.status === 503;
        },
        10_000,
      );
      expect(notReady?.reason).toMatch(/^worker \d+: Redis unreachable$/);
      // still alive: the workers run on and wait for Redis
      expect((await probe<SupervisorHealth>(`${supervisor.url}/healthz`)).status).toBe(200);

      await redis.restart();
      await waitFor(
        'ready again',
        async () => (await fetch(`${supervisor.url}/readyz`)).status === 200,
        15_000,
      );
    } finally {
      supervisor.kill('SIGKILL');
    }
  }, 60_000);

  test('a restart whose new generation never gets ready is aborted: the old one keeps serving, no exit counts as a crash', async () => {
    const redis = await startRedis();
    const supervisor = await spawnServer(
      serverEnv(redis.url, { WS_WORKERS: '2', WS_WORKER_READY_TIMEOUT_MS: '6000' }),
      30_000,
    );
    try {
      await redis.freeze(); // new workers cannot connect; the serving ones keep their sockets
      supervisor.kill('SIGHUP');
      await supervisor.waitForLog((l) => l.msg.startsWith('restart failed'), 20_000, 'restart failed');
      // Both new workers end as aborted, whether the restart's deadline stopped them or one gave up
      // on Redis first; the scrape still works with Redis frozen.
      const scrape = async () => parseMetrics(await (await fetch(`${supervisor.url}/metrics`)).text());
      await waitFor(
        'both new workers gone',
        async () => (await scrape()).samples.get('redpool_ws_worker_exits_total{reason="aborted"}') === 2,
        15_000,
      );
      await redis.thaw();
      const metrics = await scrape();
      expect({
        aborted: metrics.samples.get('redpool_ws_worker_exits_total{reason="aborted"}'),
        crashed: metrics.samples.get('redpool_ws_worker_exits_total{reason="crashed"}'),
        serving: metrics.samples.get('redpool_ws_workers{role="serving"}'),
        generation: metrics.samples.get('redpool_ws_supervisor_generation'),
      }).toEqual({ aborted: 2, crashed: 0, serving: 2, generation: 1 });
      expect(supervisor.logs.some((l) => l.msg === 'worker exited unexpectedly')).toBe(false);
      await waitFor(
        'ready after the thaw',
        async () => (await fetch(`${supervisor.url}/readyz`)).status === 200,
        15_000,
      );
    } finally {
      if (redis.isFrozen) await redis.thaw();
      supervisor.kill('SIGKILL');
    }
  }, 60_000);
});
