import { Cluster, type Redis } from 'ioredis';

/** A connection of the pool: `RedisConnection`, spelled out here so that imports go one way. */
type Connection = Redis | Cluster;

/**
 * Makes `disconnect()` and `quit()` end a connection in every state: its status becomes `end` and
 * `end` is emitted once. The pool gives a connection's budget slot back on `end`, and BullMQ waits
 * for it when it closes a connection.
 *
 * ioredis 6 does not when the connection waits to reconnect (Redis down, a retry timer pending;
 * on a Cluster also while it resolves its startup nodes): `disconnect()` clears the timer and ends
 * a socket that has already closed, so no `close` follows, the status stays `reconnecting` (a
 * Cluster's `disconnecting`) for good and `end` never comes; `quit()` does the same, or waits for
 * ever behind the commands queued for the reconnect. Without a socket the connection is in effect
 * in the state ioredis' own `disconnect()` handles for one never connected (`wait`): it runs its
 * close path there (`close`, then `end`, failing the commands queued for the reconnect), so the
 * connection is handed to it in that state. `quit()` has nothing to send QUIT on: it closes the
 * same way and resolves `'OK'`, as ioredis does when nothing is queued. A connection with a
 * socket is left to ioredis, whose close of that socket ends it.
 */
export function endOnClose(conn: Connection): void {
  const disconnect = conn.disconnect.bind(conn);
  conn.disconnect = (reconnect = false) => {
    const stranded = !reconnect && waitsWithoutSocket(conn);
    disconnect(reconnect); // cancels the pending reconnect
    if (!stranded || conn.status === 'end') return;
    conn.status = 'wait';
    disconnect();
  };
  const quit = conn.quit.bind(conn) as (...args: unknown[]) => Promise<'OK'>;
  const quitting = (...args: unknown[]): Promise<'OK'> => {
    if (!waitsWithoutSocket(conn)) return quit(...args);
    conn.disconnect();
    const callback = args.at(-1);
    if (typeof callback === 'function') process.nextTick(callback, null, 'OK');
    return Promise.resolve('OK');
  };
  conn.quit = quitting as Connection['quit'];
}

/** Between reconnect attempts, or a Cluster resolving its startup nodes: no socket whose close would end it. */
function waitsWithoutSocket(conn: Connection): boolean {
  if (conn.status === 'reconnecting') return true;
  return conn instanceof Cluster && conn.status === 'connecting' && conn.nodes('all').length === 0;
}
