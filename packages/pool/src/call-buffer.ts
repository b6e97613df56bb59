import { Command } from 'ioredis';
import type { RedisConnection } from './connection-factory.js';
import type { RedisArg } from './types.js';

/**
 * `callBuffer` with auto-pipelining on (a Cluster's shared lane) drops the command name in
 * ioredis 6.0.0 (its auto-pipeline path special-cases only `call`), so use the `<command>Buffer`
 * method when there is one, else send a Command with binary reply encoding directly.
 */
export function callBuffer(
  conn: RedisConnection,
  command: string,
  args: readonly RedisArg[],
): Promise<unknown> {
  const method = (conn as unknown as Record<string, unknown>)[`${command.toLowerCase()}Buffer`];
  if (typeof method === 'function')
    return (method as (...a: readonly RedisArg[]) => Promise<unknown>).apply(conn, [...args]);
  return conn.sendCommand(
    new Command(command, [...args] as (string | Buffer | number)[], { replyEncoding: null }),
  ) as Promise<unknown>;
}
