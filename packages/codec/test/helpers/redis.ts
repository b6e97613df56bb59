// A throwaway redis-server plus a minimal binary-safe RESP2 client, so the codec can be
// checked against real Redis (INCR, redis-cli readability) without a client dependency.
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { connect, createServer, type Socket } from 'node:net';

type Reply = Buffer | number | string | null | Reply[];

/** Whether redis-server and redis-cli are on PATH. */
export function hasRedis(): boolean {
  return ['redis-server', 'redis-cli'].every((bin) => spawnSync(bin, ['--version']).status === 0);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A running redis-server with one connected client. */
export interface TestRedis {
  port: number;
  command(...args: Array<string | Buffer>): Promise<Reply>;
  /** Runs `redis-cli -p port ...args` and returns its stdout without the trailing newline. */
  cli(...args: string[]): string;
  stop(): Promise<void>;
}

export async function startRedis(): Promise<TestRedis> {
  const port = await freePort();
  const proc: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  let socket: Socket | undefined;
  for (let attempt = 0; attempt < 100 && socket === undefined; attempt++) {
    socket = await new Promise<Socket | undefined>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => resolve(s));
      s.once('error', () => setTimeout(() => resolve(undefined), 50));
    });
  }
  if (socket === undefined) {
    proc.kill();
    throw new Error(`redis-server did not start on port ${port}`);
  }
  const conn = socket;
  let buffered = Buffer.alloc(0);
  const waiting: Array<(reply: Reply) => void> = [];
  conn.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    for (;;) {
      const parsed = parse(buffered, 0);
      if (parsed === undefined) return;
      buffered = buffered.subarray(parsed.end);
      waiting.shift()?.(parsed.reply);
    }
  });
  return {
    port,
    command: (...args) =>
      new Promise<Reply>((resolve) => {
        waiting.push(resolve);
        const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
        for (const arg of args) {
          const bytes = typeof arg === 'string' ? Buffer.from(arg) : arg;
          parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from('\r\n'));
        }
        conn.write(Buffer.concat(parts));
      }),
    cli: (...args) =>
      execFileSync('redis-cli', ['-p', String(port), ...args], { encoding: 'utf8' }).replace(/\n$/, ''),
    stop: async () => {
      conn.destroy();
      await new Promise<void>((resolve) => {
        proc.once('exit', () => resolve());
        proc.kill('SIGTERM');
      });
    },
  };
}

function parse(buf: Buffer, start: number): { reply: Reply; end: number } | undefined {
  const lineEnd = buf.indexOf('\r\n', start);
  if (lineEnd < 0) return undefined;
  const type = String.fromCharCode(buf[start]!);
  const line = buf.toString('utf8', start + 1, lineEnd);
  const next = lineEnd + 2;
  if (type === '+') return { reply: line, end: next };
  if (type === '-') return { reply: `ERR:${line}`, end: next };
  if (type === ':') return { reply: Number(line), end: next };
  if (type === '$') {
    const length = Number(line);
    if (length < 0) return { reply: null, end: next };
    if (buf.length < next + length + 2) return undefined;
    return { reply: Buffer.from(buf.subarray(next, next + length)), end: next + length + 2 };
  }
  const count = Number(line);
  const items: Reply[] = [];
  let offset = next;
  for (let i = 0; i < count; i++) {
    const item = parse(buf, offset);
    if (item === undefined) return undefined;
    items.push(item.reply);
    offset = item.end;
  }
  return { reply: items, end: offset };
}
