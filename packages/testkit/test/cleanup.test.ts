import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from '@jest/globals';
import { getFreePorts, stopAll } from '../src/index.js';
import { WATCHDOG_SCRIPT } from '../src/watchdog.js';
import { pidAlive, sleep } from './helpers.js';

afterAll(stopAll);

/**
 * A parent process wired exactly like the testkit: it spawns the watchdog with WATCHDOG_SCRIPT, then a
 * redis-server child (frozen with SIGSTOP, the hardest case) and a temp dir, registers both, prints them
 * and idles. The test SIGKILLs the parent, so no exit hook can run.
 */
const PARENT_SCRIPT = `
const { spawn } = require('node:child_process');
const watchdog = spawn(process.execPath, ['-e', process.env.WATCHDOG_SCRIPT], { stdio: ['pipe', 'ignore', 'ignore'], detached: true });
const child = spawn('redis-server', ['--port', '0', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
child.kill('SIGSTOP');
watchdog.stdin.write('p ' + child.pid + '\\nd ' + process.env.DIR + '\\n');
console.log(JSON.stringify({ child: child.pid, watchdog: watchdog.pid }));
setInterval(() => {}, 1000);
`;

describe('cleanup', () => {
  test('the watchdog SIGKILLs children and removes temp dirs when the parent is SIGKILLed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'redpool-testkit-watchdog-'));
    const parent = spawn(process.execPath, ['-e', PARENT_SCRIPT], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, WATCHDOG_SCRIPT, DIR: dir, NODE_OPTIONS: '' },
    });
    const line = await new Promise<string>((resolve) =>
      parent.stdout.once('data', (d: Buffer) => resolve(String(d))),
    );
    const { child, watchdog } = JSON.parse(line) as { child: number; watchdog: number };
    expect(pidAlive(child)).toBe(true);
    parent.kill('SIGKILL');
    for (let i = 0; i < 100 && (pidAlive(child) || existsSync(dir)); i++) await sleep(50);
    expect(pidAlive(child)).toBe(false);
    expect(existsSync(dir)).toBe(false);
    for (let i = 0; i < 40 && pidAlive(watchdog); i++) await sleep(50);
    expect(pidAlive(watchdog)).toBe(false);
  });

  test('getFreePorts() returns distinct ports that can be bound', async () => {
    const ports = await getFreePorts(5);
    expect(new Set(ports).size).toBe(5);
    for (const port of ports) {
      const server = createServer();
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, '127.0.0.1', () => resolve());
      });
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
