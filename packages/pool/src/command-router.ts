import type { RedisArg } from './types.js';

/** Where `Pool.call` sends a command. */
export type Route =
  | { lane: 'shared'; readOnly: boolean }
  | { lane: 'exclusive'; blockMs: number }
  | { lane: 'rejected'; hint: string };

/** Blocking commands whose last argument is the timeout in seconds. */
const TIMEOUT_LAST = new Set(['BLPOP', 'BRPOP', 'BRPOPLPUSH', 'BLMOVE', 'BZPOPMIN', 'BZPOPMAX']);
/** Blocking commands whose first argument is the timeout in seconds. */
const TIMEOUT_FIRST = new Set(['BLMPOP', 'BZMPOP']);

const CONNECTION_STATE = new Set([
  'WATCH',
  'UNWATCH',
  'MULTI',
  'EXEC',
  'DISCARD',
  'SELECT',
  'MONITOR',
  'RESET',
  'QUIT',
]);
const PUBSUB = new Set([
  'SUBSCRIBE',
  'PSUBSCRIBE',
  'SSUBSCRIBE',
  'UNSUBSCRIBE',
  'PUNSUBSCRIBE',
  'SUNSUBSCRIBE',
]);

/** Commands safe to retry once after a timeout: read-only and idempotent. */
const READ_ONLY = new Set([
  'GET',
  'MGET',
  'GETRANGE',
  'STRLEN',
  'EXISTS',
  'TTL',
  'PTTL',
  'EXPIRETIME',
  'PEXPIRETIME',
  'TYPE',
  'HGET',
  'HMGET',
  'HGETALL',
  'HKEYS',
  'HVALS',
  'HLEN',
  'HEXISTS',
  'HSTRLEN',
  'HSCAN',
  'LRANGE',
  'LLEN',
  'LINDEX',
  'LPOS',
  'SMEMBERS',
  'SISMEMBER',
  'SMISMEMBER',
  'SCARD',
  'SSCAN',
  'SRANDMEMBER',
  'ZRANGE',
  'ZRANGEBYSCORE',
  'ZREVRANGE',
  'ZREVRANGEBYSCORE',
  'ZRANGEBYLEX',
  'ZSCORE',
  'ZMSCORE',
  'ZCARD',
  'ZCOUNT',
  'ZRANK',
  'ZREVRANK',
  'ZSCAN',
  'XRANGE',
  'XREVRANGE',
  'XLEN',
  'XINFO',
  'XPENDING',
  'PING',
  'ECHO',
  'DBSIZE',
  'INFO',
  'TIME',
  'SCAN',
  'KEYS',
  'PFCOUNT',
  'BITCOUNT',
  'GETBIT',
  'BITPOS',
  'EVALSHA_RO',
  'EVAL_RO',
  'FCALL_RO',
  'OBJECT',
  'MEMORY',
]);

/** Commands that would change the shared connection for everyone on it, with the API that fits. */
const SHARED_STATE: ReadonlyMap<string, string> = new Map([
  [
    'AUTH',
    'credentials belong in the pool options (url, username, password), which every connection and reconnect uses',
  ],
  [
    'HELLO',
    'the pool chooses the protocol and authenticates each connection itself; set credentials in the pool options, or use pool.withConnection() for a connection of your own',
  ],
]);

function seconds(arg: RedisArg | undefined): number {
  const n = Number(arg instanceof Buffer ? arg.toString() : arg);
  return Number.isFinite(n) && n >= 0 ? Math.round(n * 1000) : Number.NaN;
}

/**
 * Decides the lane of a command. Blocking commands go to an exclusive connection with their own
 * deadline (block time + commandTimeoutMs) so they never stall the multiplexed shared lane;
 * commands that change connection state are refused with a pointer to the API that fits.
 */
export function routeCommand(command: string, args: readonly RedisArg[]): Route {
  const cached = argumentFree.get(command);
  if (cached !== undefined) return cached;
  const route = decide(command, args);
  // Most commands route the same whatever their arguments: remember those (bounded).
  if (
    route.lane === 'shared' &&
    !ARGUMENT_DEPENDENT.has(command.toUpperCase()) &&
    argumentFree.size < 1_000
  ) {
    argumentFree.set(command, route);
  }
  return route;
}

const ARGUMENT_DEPENDENT = new Set(['XREAD', 'XREADGROUP', 'CLIENT']);
const argumentFree = new Map<string, Route>();

function decide(command: string, args: readonly RedisArg[]): Route {
  const name = command.toUpperCase();
  if (TIMEOUT_LAST.has(name)) return { lane: 'exclusive', blockMs: seconds(args[args.length - 1]) };
  if (TIMEOUT_FIRST.has(name)) return { lane: 'exclusive', blockMs: seconds(args[0]) };
  if (name === 'WAIT' || name === 'WAITAOF') {
    const ms = Number(args[args.length - 1]);
    return { lane: 'exclusive', blockMs: Number.isFinite(ms) ? ms : Number.NaN };
  }
  if (name === 'XREAD' || name === 'XREADGROUP') {
    const at = args.findIndex((a) => String(a).toUpperCase() === 'BLOCK');
    if (at >= 0) {
      const ms = Number(args[at + 1]);
      return { lane: 'exclusive', blockMs: Number.isFinite(ms) ? ms : Number.NaN };
    }
    return { lane: 'shared', readOnly: name === 'XREAD' };
  }
  if (PUBSUB.has(name)) return { lane: 'rejected', hint: 'use pool.subscriber() for pub/sub' };
  const sharedState = SHARED_STATE.get(name);
  if (sharedState !== undefined) return { lane: 'rejected', hint: sharedState };
  if (name === 'CLIENT' && String(args[0] ?? '').toUpperCase() === 'REPLY') {
    return {
      lane: 'rejected',
      hint: 'CLIENT REPLY OFF/SKIP would drop replies that other callers on the shared connection wait for; use pool.withConnection()',
    };
  }
  if (CONNECTION_STATE.has(name)) {
    return {
      lane: 'rejected',
      hint: 'use pool.multi() for an atomic batch or pool.transaction() for WATCH/MULTI',
    };
  }
  return { lane: 'shared', readOnly: READ_ONLY.has(name) };
}
