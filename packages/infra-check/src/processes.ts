import { type ChildProcess, spawn } from 'node:child_process';
import realProcess from 'node:process';

/** A child process started by the check, with its recent output for error messages. */
export interface ManagedProcess {
  readonly name: string;
  readonly pid: number | undefined;
  /** Resolves with the exit code (or null after a signal) once the process is gone. */
  readonly exited: Promise<number | null>;
  /** True until the process exits. */
  readonly running: boolean;
  /** The last lines of stdout and stderr. */
  output(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
  stop(graceMs?: number): Promise<void>;
}

const live = new Set<ChildProcess>();

/**
 * The watchdog: a detached helper that SIGKILLs our children when its stdin closes, i.e. when
 * this process dies in any way (even SIGKILL of the jest worker, when exit hooks never run).
 */
const WATCHDOG = `
const pids = new Set(); let buf = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (c) => { buf += c; let i;
  while ((i = buf.indexOf('\\n')) >= 0) { const l = buf.slice(0, i); buf = buf.slice(i + 1);
    if (l[0] === '+') pids.add(Number(l.slice(1))); else pids.delete(Number(l.slice(1))); } });
const end = () => { for (const p of pids) { try { process.kill(p, 'SIGKILL'); } catch {} } process.exit(0); };
process.stdin.on('end', end); process.stdin.on('error', end);
`;
let watchdog: ChildProcess | undefined;

function tellWatchdog(line: string): void {
  if (watchdog === undefined) {
    watchdog = spawn(realProcess.execPath, ['-e', WATCHDOG], {
      stdio: ['pipe', 'ignore', 'ignore'],
      detached: true,
    });
    watchdog.unref();
    (watchdog.stdin as unknown as { unref?: () => void }).unref?.();
    watchdog.stdin?.on('error', () => undefined);
    realProcess.on('exit', () => {
      for (const child of live) child.kill('SIGKILL');
    });
  }
  watchdog.stdin?.write(`${line}\n`);
}

/** Starts `command` with `args`; output is kept (last 200 lines) for error messages. */
export function startProcess(
  name: string,
  command: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): ManagedProcess {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env ?? realProcess.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const keep = (chunk: Buffer) => {
    lines.push(
      ...chunk
        .toString('utf8')
        .split('\n')
        .filter((l) => l.length > 0),
    );
    if (lines.length > 200) lines.splice(0, lines.length - 200);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let running = true;
  live.add(child);
  if (child.pid !== undefined) tellWatchdog(`+${child.pid}`);
  const exited = new Promise<number | null>((resolve) => {
    const done = (code: number | null) => {
      if (!running) return;
      running = false;
      live.delete(child);
      if (child.pid !== undefined) tellWatchdog(`-${child.pid}`);
      resolve(code);
    };
    child.once('exit', (code) => done(code));
    child.once('error', (err) => {
      lines.push(`spawn ${command} failed: ${err.message}`);
      done(-1);
    });
  });
  return {
    name,
    pid: child.pid,
    exited,
    get running() {
      return running;
    },
    output: () => lines.join('\n'),
    async stop(graceMs = 5_000) {
      if (!running) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * Polls `url` until it answers 200, the process exits, or `timeoutMs` passes (then throws with
 * the process's output).
 */
export async function waitForHttp(url: string, proc: ManagedProcess, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!proc.running) throw new Error(`${proc.name} exited before ${url} answered:\n${proc.output()}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline)
      throw new Error(`${proc.name}: ${url} did not answer 200 within ${timeoutMs} ms:\n${proc.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Stops every process started here (SIGTERM, SIGKILL after `graceMs`). */
export async function stopAllProcesses(graceMs = 5_000): Promise<void> {
  await Promise.all(
    [...live].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
          child.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
          child.kill('SIGTERM');
        }),
    ),
  );
}
