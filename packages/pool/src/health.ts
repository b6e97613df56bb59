import type { RedisConnection } from './connection-factory.js';

/**
 * PINGs a connection with its own deadline. A PING awaited without one would, on a dead socket,
 * just join everything else that is waiting (the LibreChat lesson), so this never waits longer
 * than `deadlineMs` and never rejects.
 */
export async function pingWithDeadline(conn: RedisConnection, deadlineMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), deadlineMs);
  });
  const ping = conn.ping().then(
    (reply) => reply === 'PONG',
    () => false,
  );
  try {
    return await Promise.race([ping, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
