import { existsSync, readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { Redis, type RedisOptions } from 'ioredis';

/** What a raw socket observed during a window of time. */
export interface Observed {
  data: string;
  ended: boolean;
  closed: boolean;
  error: string | undefined;
}

/** Open a raw TCP connection; resolves on 'connect', rejects with the socket error (e.g. ECONNREFUSED). */
export function connectRaw(port: number, host = '127.0.0.1'): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/** Error code of a failed raw connect (undefined when it connected). */
export async function connectErrorCode(port: number): Promise<string | undefined> {
  try {
    const socket = await connectRaw(port);
    socket.destroy();
    return undefined;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code;
  }
}

/** Start recording events on `socket`; `stop()` returns what was seen so far. */
export function observe(socket: Socket): { stop: () => Observed } {
  const seen: Observed = { data: '', ended: false, closed: false, error: undefined };
  const onData = (chunk: Buffer): void => {
    seen.data += chunk.toString('utf8');
  };
  const onEnd = (): void => {
    seen.ended = true;
  };
  const onClose = (): void => {
    seen.closed = true;
  };
  const onError = (err: NodeJS.ErrnoException): void => {
    seen.error = err.code ?? err.message;
  };
  socket.on('data', onData);
  socket.on('end', onEnd);
  socket.on('close', onClose);
  socket.on('error', onError);
  return {
    stop: () => {
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('close', onClose);
      socket.off('error', onError);
      return { ...seen };
    },
  };
}

/** Observe `socket` for `ms` milliseconds. */
export async function observeFor(socket: Socket, ms: number): Promise<Observed> {
  const recorder = observe(socket);
  await sleep(ms);
  return recorder.stop();
}

/** Wait until `socket` has received data containing `text` (or fail after `ms`). */
export function waitForData(socket: Socket, text: string, ms = 3000): Promise<string> {
  return new Promise((resolve, reject) => {
    let received = '';
    const timer = setTimeout(() => {
      socket.off('data', onData);
      reject(new Error(`no ${JSON.stringify(text)} within ${ms} ms (got ${JSON.stringify(received)})`));
    }, ms);
    const onData = (chunk: Buffer): void => {
      received += chunk.toString('utf8');
      if (received.includes(text)) {
        clearTimeout(timer);
        socket.off('data', onData);
        resolve(received);
      }
    };
    socket.on('data', onData);
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** True while a process with this pid exists and is not a zombie (dead, waiting to be reaped). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return existsSync(`/proc/${pid}`) || process.platform !== 'linux';
  }
}

/**
 * An ioredis client that fails fast instead of retrying, with a short disconnectTimeout (ioredis
 * otherwise leaves a 2 s timer behind after a failed handshake).
 */
export function fastClient(options: RedisOptions): Redis {
  const client = new Redis({
    host: '127.0.0.1',
    lazyConnect: true,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
    disconnectTimeout: 50,
    ...options,
  });
  client.on('error', () => {});
  return client;
}

/**
 * Connect with ioredis and PING. Resolves with `PONG` or with the message of the first error the client
 * reported (handshake errors such as NOAUTH/WRONGPASS arrive as 'error' events).
 */
export async function pingWith(options: RedisOptions): Promise<string> {
  const client = fastClient(options);
  let firstError: string | undefined;
  client.on('error', (err: Error) => {
    firstError ??= err.message;
  });
  try {
    await client.connect();
    return await client.ping();
  } catch (err) {
    return firstError ?? (err as Error).message;
  } finally {
    client.disconnect();
  }
}
