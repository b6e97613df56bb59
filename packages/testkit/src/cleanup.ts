import { rmSync } from 'node:fs';
import { onRealProcessExit, tellWatchdog } from './watchdog.js';

/** Something the testkit started and must tear down. */
export interface Resource {
  /** Final, fast teardown: SIGKILL processes, destroy sockets, wait until gone. Idempotent. */
  destroy(): Promise<void>;
  /** Synchronous last-resort kill, run from `process.on('exit')`. */
  killNow(): void;
}

const resources = new Set<Resource>();
const dirs = new Set<string>();

let exitHookInstalled = false;

function onProcessExit(): void {
  for (const resource of resources) {
    try {
      resource.killNow();
    } catch {
      // keep going
    }
  }
  for (const dir of dirs) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // keep going
    }
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  onRealProcessExit(onProcessExit);
}

/** Register a resource for {@link stopAll} and the exit hook. Returns the unregister function. */
export function track(resource: Resource): () => void {
  installExitHook();
  resources.add(resource);
  return () => {
    resources.delete(resource);
  };
}

/** Register a child pid with the watchdog (SIGKILLed if this process dies). */
export function watchPid(pid: number): void {
  tellWatchdog(`p ${pid}`);
}

/** The child exited on its own: forget its pid (avoids killing a recycled pid). */
export function unwatchPid(pid: number): void {
  tellWatchdog(`u ${pid}`);
}

/** Register a temp dir that must be removed by {@link stopAll}, on exit, or by the watchdog. */
export function trackDir(dir: string): void {
  installExitHook();
  dirs.add(dir);
  tellWatchdog(`d ${dir}`);
}

/** Remove a tracked temp dir now. */
export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  dirs.delete(dir);
  tellWatchdog(`r ${dir}`);
}

/**
 * Tear down everything this module started (servers, clusters, sentinels, proxies) with SIGKILL —
 * frozen processes included — and remove every temp dir. Safe to call many times. Use it as
 * `afterAll(stopAll)` in every test file that starts something.
 */
export async function stopAll(): Promise<void> {
  const current = [...resources];
  resources.clear();
  await Promise.allSettled(current.map((resource) => resource.destroy()));
  for (const dir of [...dirs]) removeDir(dir);
}
