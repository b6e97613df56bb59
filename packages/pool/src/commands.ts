import { Redis, type RedisCommander } from 'ioredis';
import { UnsupportedCommandError } from './errors.js';
import type { RedisArg } from './types.js';

/**
 * Commands that change the state of the connection they run on (pub/sub mode, a transaction, the
 * database, the protocol, the credentials, replication) or close it: on a multiplexed connection
 * they would leak into every other caller's commands. They are not on {@link PoolCommands};
 * calling one anyway (from JavaScript, or through a cast) rejects with `UnsupportedCommandError`
 * naming the API that fits.
 */
export const CONNECTION_BOUND_COMMANDS = {
  subscribe: 'use pool.subscriber() for pub/sub',
  psubscribe: 'use pool.subscriber() for pub/sub',
  ssubscribe: 'use pool.subscriber({ sharded: true }) for sharded pub/sub',
  unsubscribe: 'use pool.subscriber() for pub/sub',
  punsubscribe: 'use pool.subscriber() for pub/sub',
  sunsubscribe: 'use pool.subscriber() for pub/sub',
  watch: 'use pool.transaction() for WATCH/MULTI/EXEC',
  unwatch: 'use pool.transaction() for WATCH/MULTI/EXEC',
  exec: 'use pool.multi() for an atomic batch or pool.transaction() for WATCH/MULTI/EXEC',
  discard: 'use pool.transaction() for WATCH/MULTI/EXEC',
  select: 'set `db` (or the /db of `url`) in the pool options; use another pool for another database',
  swapdb: 'run it on a leased connection: pool.withConnection((c) => c.swapdb(a, b))',
  quit: 'use pool.close()',
  reset: 'use pool.close(), or lease.destroy() for an exclusive connection',
  hello: 'the pool negotiates the protocol itself; set credentials in the pool options',
  auth: 'set `username`/`password` (or the url) in the pool options',
  monitor: 'run it on a leased connection: pool.withConnection((c) => c.monitor())',
  readonly: 'Cluster connection state is managed by the pool',
  readwrite: 'Cluster connection state is managed by the pool',
  asking: 'Cluster connection state is managed by the pool',
  sync: 'a replication command, not for clients',
  psync: 'a replication command, not for clients',
  replconf: 'a replication command, not for clients',
} as const;

type ConnectionBound = keyof typeof CONNECTION_BOUND_COMMANDS;
type Buffered<Name extends string> = Name | `${Name}Buffer`;

/**
 * ioredis' own command typings (arguments and replies, `*Buffer` variants included) for every
 * command a pool can run: ioredis' `RedisCommander` without the connection-bound commands and
 * without `call`/`callBuffer` (the pool has its own, typed by the caller).
 */
export type PoolCommands = Omit<RedisCommander, Buffered<ConnectionBound> | 'call' | 'callBuffer'>;

/** What a command method needs of the pool: its dynamic entry points. */
interface CommandSender {
  call(command: string, ...args: RedisArg[]): Promise<unknown>;
  callBuffer(command: string, ...args: RedisArg[]): Promise<unknown>;
}

type Callback = (err: Error | null, reply?: unknown) => void;

/**
 * Adds a method per ioredis command to `target` (the Pool prototype). Each sends the command
 * under its lower-case name, so ioredis applies the same argument and reply transformers as its
 * own methods (`hset(key, object)`, `hgetall` → object, `zrange … WITHSCORES`, `xread`…), and the
 * pool routes it as `call()` does (blocking commands to the exclusive lane). Names the target
 * already has (`multi`, `pipeline`…) are left alone.
 */
export function installCommands(target: object): void {
  const names = new Set(Redis.prototype.getBuiltinCommands());
  for (const name of names) {
    if (name in target || name === 'sentinel') continue;
    const hint = (CONNECTION_BOUND_COMMANDS as Record<string, string | undefined>)[name];
    define(target, name, hint === undefined ? send(name, false) : refuse(name, hint));
    define(target, `${name}Buffer`, hint === undefined ? send(name, true) : refuse(name, hint));
  }
  for (const [name, hint] of Object.entries(CONNECTION_BOUND_COMMANDS))
    if (!(name in target)) define(target, name, refuse(name, hint));
}

function define(target: object, name: string, fn: (...args: unknown[]) => Promise<unknown>): void {
  Object.defineProperty(target, name, { value: fn, writable: true, configurable: true });
}

function send(name: string, buffer: boolean) {
  return function (this: CommandSender, ...args: unknown[]): Promise<unknown> {
    const callback = typeof args[args.length - 1] === 'function' ? (args.pop() as Callback) : undefined;
    // ioredis flattens one level of arrays (`del(['a', 'b'])`); so does the router's view of them.
    const flat = args.flat() as RedisArg[];
    const reply = buffer ? this.callBuffer(name, ...flat) : this.call(name, ...flat);
    // The callback style of ioredis: the promise is returned too, and handled, so it never
    // becomes an unhandled rejection when only the callback is used.
    if (callback) reply.then((value) => callback(null, value), callback);
    return reply;
  };
}

function refuse(name: string, hint: string) {
  return (): Promise<never> => Promise.reject(new UnsupportedCommandError(name.toUpperCase(), hint));
}
