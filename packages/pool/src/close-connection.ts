import type { RedisConnection } from './connection-factory.js';

/** How {@link closeConnection} closes. */
export interface CloseConnectionOptions {
  /** Longest wait for the connection to end before it is forced. */
  deadlineMs: number;
  /** QUIT first when ready, so replies on their way still arrive; else close the socket at once. @defaultValue true */
  quit?: boolean;
}

/**
 * Closes a connection: QUIT if it is ready (or a hard disconnect), forced at `deadlineMs`.
 * Resolves when ioredis has ended the connection, not at QUIT's reply: the socket closes a little
 * later, and until then the connection still counts as open, so a caller that freed its budget
 * slot (or reported "closed") at the reply would do so early. A connection waiting to reconnect
 * ends at once: the pool's connections are made to (see `endOnClose`).
 */
export async function closeConnection(conn: RedisConnection, options: CloseConnectionOptions): Promise<void> {
  const status: string = conn.status;
  if (status === 'end' || status === 'wait') return;
  let timer: NodeJS.Timeout | undefined;
  let done = () => {};
  const ended = new Promise<void>((resolve) => {
    done = resolve;
    conn.once('end', done);
    timer = setTimeout(done, options.deadlineMs);
  });
  if (status === 'ready' && options.quit !== false) conn.quit().catch(() => undefined);
  else conn.disconnect();
  await ended;
  clearTimeout(timer);
  conn.off('end', done);
  if (conn.status !== 'end') conn.disconnect();
}
