import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { SECRET, withDeadline } from './helpers.js';

const APP_DIR = fileURLToPath(new URL('..', import.meta.url));
const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));

/** One JSON log line of a spawned server (pino). */
export interface LogLine {
  level: number;
  time: number;
  msg: string;
  [field: string]: unknown;
}

/** A ws-server (or supervisor) running as a child process, as `pnpm start` runs it. */
export interface ServerProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly url: string;
  /** Every JSON log line so far (workers' lines included for a supervisor). */
  readonly logs: LogLine[];
  /** Resolves when the process exits, with when it did. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  /** Resolves with the first log line (past or future) matching `test`. */
  waitForLog(test: (line: LogLine) => boolean, timeoutMs?: number, what?: string): Promise<LogLine>;
  kill(signal?: NodeJS.Signals): void;
}

const running = new Set<ChildProcess>();

let prefixes = 0;

/** Environment shared by the servers of one test: Redis, secret, a fresh key prefix. */
export function serverEnv(redisUrl: string, extra: Record<string, string> = {}): Record<string, string> {
  prefixes++;
  const prefix = `p${process.pid}x${prefixes}`;
  return {
    WS_HOST: '127.0.0.1',
    WS_PORT: '0',
    REDIS_URL: redisUrl,
    WS_JWT_SECRET: SECRET,
    LOG_LEVEL: 'info',
    REALTIME_KEY_PREFIX: `${prefix}:ws`,
    REALTIME_ADAPTER_PREFIX: `${prefix}:sio`,
    // generous for test clients that publish in bursts
    WS_RATE_LIMIT_PER_SECOND: '1000',
    WS_RATE_LIMIT_BURST: '1000',
    ...extra,
  };
}

/**
 * Starts `src/main.ts` (through tsx) with `env` and resolves once it prints its URL. The JSON log
 * lines are collected in `logs`.
 */
export async function spawnServer(env: Record<string, string>, timeoutMs = 20_000): Promise<ServerProcess> {
  const childEnv: Record<string, string | undefined> = { ...process.env, ...env };
  delete childEnv.NODE_OPTIONS; // jest's --experimental-vm-modules is not needed there
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    cwd: APP_DIR,
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  const logs: LogLine[] = [];
  const waiters = new Set<{ test: (line: LogLine) => boolean; resolve: (line: LogLine) => void }>();
  let text = '';
  let url: string | undefined;
  let onUrl: ((url: string) => void) | undefined;
  const onLine = (raw: string) => {
    text += `${raw}\n`;
    if (!url) {
      const match = /listening on (http:\/\/[\d.]+:\d+)/.exec(raw);
      if (match) {
        url = match[1]!;
        onUrl?.(url);
      }
    }
    if (!raw.startsWith('{')) return;
    let line: LogLine;
    try {
      line = JSON.parse(raw) as LogLine;
    } catch {
      return;
    }
    logs.push(line);
    for (const waiter of [...waiters])
      if (waiter.test(line)) {
        waiters.delete(waiter);
        waiter.resolve(line);
      }
  };
  for (const stream of [child.stdout!, child.stderr!]) {
    let buffered = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) onLine(line);
    });
  }
  // Resolved once the output written before the exit has been read (at most 1 s later: a
  // grandchild, e.g. tsx's esbuild service, may hold the pipes a little longer).
  const ended = (stream: NodeJS.ReadableStream) =>
    new Promise<void>((resolve) => stream.once('end', resolve));
  const outputRead = Promise.all([ended(child.stdout!), ended(child.stderr!)]);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.once('exit', (code, signal) => {
      const at = Date.now();
      running.delete(child);
      void Promise.race([outputRead, new Promise((r) => setTimeout(r, 1_000))]).then(() =>
        resolve({ code, signal, at }),
      );
    }),
  );
  const started = await withDeadline(
    Promise.race([
      new Promise<string>((resolve) => {
        onUrl = resolve;
      }),
      exited.then(({ code }) => {
        throw new Error(`ws-server exited with code ${code} before listening:\n${text}`);
      }),
    ]),
    timeoutMs,
    `ws-server start (output so far:\n${text})`,
  );
  return {
    child,
    pid: child.pid!,
    url: started,
    logs,
    exited,
    waitForLog(test, ms = 15_000, what = 'a log line') {
      const past = logs.find(test);
      if (past) return Promise.resolve(past);
      return withDeadline(
        new Promise<LogLine>((resolve) => waiters.add({ test, resolve })),
        ms,
        `${what} (last lines:\n${logs
          .slice(-8)
          .map((l) => l.msg)
          .join('\n')})`,
      );
    },
    kill(signal = 'SIGTERM') {
      child.kill(signal);
    },
  };
}

/** Kills every process spawned here that is still running (afterAll). */
export async function killAll(): Promise<void> {
  const exits = [...running].map(
    (child) =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      }),
  );
  await Promise.all(exits);
}
