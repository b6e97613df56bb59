import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, test } from '@jest/globals';
import { startRedis, stopAll } from '@redpool/testkit';
import { waitFor } from '../helpers.js';
import { killAll, serverEnv, spawnServer } from '../processes.js';

afterAll(async () => {
  killAll();
  await stopAll();
});

/** The pids of a process's children. */
function childPids(pid: number): number[] {
  const ps = spawnSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' });
  return ps.stdout
    .split('\n')
    .map((l) => Number(l.trim()))
    .filter((n) => n > 0);
}

describe('supervisor: a crashed worker is replaced until a replacement gets ready', () => {
  test('a replacement that dies before it is ready is replaced again, after a longer delay', async () => {
    const redis = await startRedis();
    const supervisor = await spawnServer(serverEnv(redis.url, { WS_WORKERS: '1' }), 30_000);
    try {
      // Worker pids from the supervisor's log: its other children (tsx's esbuild) are no workers.
      const ready = await supervisor.waitForLog((l) => l.msg === 'worker ready', 20_000, 'the worker');
      const first = ready.pid as number;
      const before = new Set(childPids(supervisor.pid));
      process.kill(first, 'SIGKILL');
      await supervisor.waitForLog((l) => l.msg === 'worker exited unexpectedly', 10_000, 'the crash');

      // The replacement is forked after 1 s: kill it before it can report ready.
      let replacement = 0;
      await waitFor(
        'the replacement forked',
        () => {
          replacement = childPids(supervisor.pid).find((p) => !before.has(p)) ?? 0;
          return replacement > 0;
        },
        5_000,
      );
      process.kill(replacement, 'SIGKILL');
      const warning = await supervisor.waitForLog(
        (l) => l.msg === 'replacement worker died before it was ready; replacing it again',
        10_000,
        'the second replacement scheduled',
      );
      expect(warning).toMatchObject({ failures: 1, delayMs: 2_000 });

      await supervisor.waitForLog(
        (l) => l.msg === 'worker ready' && l.pid !== first && l.pid !== replacement,
        20_000,
        'a third worker ready',
      );
      const res = await fetch(`${supervisor.url}/metrics`);
      expect(await res.text()).toContain('redpool_ws_workers{role="serving"} 1');

      supervisor.kill('SIGTERM');
      expect((await supervisor.exited).code).toBe(0);
    } finally {
      supervisor.kill('SIGKILL');
    }
  }, 60_000);
});
