import { type ChildProcess, spawn } from 'node:child_process';
import { Socket } from 'node:net';
import realProcess from 'node:process';

/**
 * A detached helper process that SIGKILLs our redis children and removes our temp dirs when its stdin
 * reaches EOF, i.e. when this process dies for whatever reason (even SIGKILL of a jest worker, when
 * `process.on('exit')` never runs).
 */
export const WATCHDOG_SCRIPT = `
const { rmSync } = require('node:fs');
const pids = new Set(); const dirs = new Set(); let buf = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  buf += chunk;
  for (let i = buf.indexOf('\\n'); i >= 0; i = buf.indexOf('\\n')) {
    const line = buf.slice(0, i); buf = buf.slice(i + 1);
    const arg = line.slice(2);
    if (line[0] === 'p') pids.add(Number(arg)); else if (line[0] === 'u') pids.delete(Number(arg));
    else if (line[0] === 'd') dirs.add(arg); else if (line[0] === 'r') dirs.delete(arg);
  }
});
const finish = () => {
  for (const pid of pids) { try { process.kill(pid, 'SIGKILL'); } catch {} }
  for (const dir of dirs) { try { rmSync(dir, { recursive: true, force: true }); } catch {} }
  process.exit(0);
};
process.stdin.on('end', finish); process.stdin.on('error', finish);
`;

/**
 * State shared by every copy of this module in the process. Jest evaluates modules once per test
 * file and gives each file its own copy of `process`, so the real process object (from `node:process`)
 * is the only place where one watchdog and one exit listener can be shared.
 */
interface SharedState {
  watchdog: ChildProcess | undefined;
  exitHandlers: Set<() => void>;
}

const KEY = Symbol.for('@redpool/testkit/shared-state');

function shared(): SharedState {
  const holder = realProcess as unknown as Record<symbol, SharedState | undefined>;
  let state = holder[KEY];
  if (state === undefined) {
    const created: SharedState = { watchdog: undefined, exitHandlers: new Set() };
    holder[KEY] = created;
    realProcess.on('exit', () => {
      for (const handler of created.exitHandlers) handler();
    });
    state = created;
  }
  return state;
}

/** Run `handler` when the real process exits (one listener for all module copies). */
export function onRealProcessExit(handler: () => void): void {
  shared().exitHandlers.add(handler);
}

/** Send one line (`p <pid>`, `u <pid>`, `d <dir>`, `r <dir>`) to the watchdog, spawning it on first use. */
export function tellWatchdog(line: string): void {
  const state = shared();
  try {
    if (state.watchdog === undefined) {
      const watchdog = spawn(realProcess.execPath, ['-e', WATCHDOG_SCRIPT], {
        stdio: ['pipe', 'ignore', 'ignore'],
        detached: true,
        env: { ...realProcess.env, NODE_OPTIONS: '' },
      });
      state.watchdog = watchdog;
      watchdog.on('error', () => {
        if (state.watchdog === watchdog) state.watchdog = undefined;
      });
      watchdog.unref();
      if (watchdog.stdin instanceof Socket) watchdog.stdin.unref();
      watchdog.stdin?.on('error', () => {});
    }
    state.watchdog.stdin?.write(`${line}\n`);
  } catch {
    // The exit hook and stopAll() still clean up; the watchdog is a safety net only.
  }
}
