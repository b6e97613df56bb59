import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { withDeadline } from '@redpool/testkit';
import { type Logger, pino } from 'pino';

export { sleep, waitUntil as waitFor, withDeadline } from '@redpool/testkit';

const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

export interface PoolProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Sends a command and waits for the reply with `done: cmd`. */
  command(msg: { cmd: string; n?: number }, timeoutMs?: number): Promise<Record<string, unknown>>;
  freeze(): void;
  kill(): Promise<void>;
}

export interface PoolSpec {
  name: string;
  maxConnections: number;
  hold: number;
}

/** Forks test/fixtures/pool-process.mjs: a process with pools, held leases and a heartbeat. */
export async function spawnPoolProcess(options: {
  redisUrl: string;
  app: string;
  pools: PoolSpec[];
  intervalMs?: number;
  ttlMs?: number;
  keyPrefix?: string;
}): Promise<PoolProcess> {
  const script = fileURLToPath(new URL('./fixtures/pool-process.mjs', import.meta.url));
  const child = fork(script, [], {
    env: {
      ...process.env,
      NODE_OPTIONS: '',
      REDIS_URL: options.redisUrl,
      APP: options.app,
      POOLS: JSON.stringify(options.pools),
      INTERVAL_MS: String(options.intervalMs ?? 200),
      ...(options.ttlMs !== undefined ? { TTL_MS: String(options.ttlMs) } : {}),
      KEY_PREFIX: options.keyPrefix ?? 'redpool',
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  children.add(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  exited.then(() => children.delete(child));
  await withDeadline(
    new Promise<void>((resolve, reject) => {
      child.once('message', (msg: { ready?: boolean; error?: string }) =>
        msg.ready ? resolve() : reject(new Error(msg.error)),
      );
      child.once('exit', (code) => reject(new Error(`pool process exited with ${code} before ready`)));
    }),
    10_000,
    `pool process ${options.app} ready`,
  );
  return {
    child,
    pid: child.pid!,
    command: (msg, timeoutMs = 5_000) =>
      withDeadline(
        new Promise((resolve, reject) => {
          const onMessage = (reply: Record<string, unknown>) => {
            if (reply.done === msg.cmd || reply.error) {
              child.off('message', onMessage);
              if (reply.error) reject(new Error(String(reply.error)));
              else resolve(reply);
            }
          };
          child.on('message', onMessage);
          child.send(msg);
        }),
        timeoutMs,
        `pool process command ${msg.cmd}`,
      ),
    freeze: () => child.kill('SIGSTOP'),
    kill: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await withDeadline(exited, 5_000, 'pool process exit');
    },
  };
}

/** A pino logger that keeps its lines in memory, for assertions on log output. */
export function memoryLogger(level = 'info'): { log: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const log = pino(
    { level },
    {
      write(line: string) {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      },
    },
  );
  return { log, lines };
}
