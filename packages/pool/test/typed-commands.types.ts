/**
 * Type-level tests of the pool's typed commands, checked by `pnpm typecheck` (tsc compiles this
 * file; jest does not run it). A wrong reply type fails `expectType`, and a line marked
 * `@ts-expect-error` that compiles fails the build: these assertions cannot pass by accident.
 *
 * The code below is what a codebase written for `new Redis(url)` looks like, unchanged but for
 * `createPool({ url })`.
 */
import type { Redis } from 'ioredis';
import { createPool, type Pool } from '../src/index.js';

/** True when A and B are the same type (not merely assignable either way). */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
/** Compiles only when `Actual` is exactly `Expected`. */
function expectType<Expected>() {
  return <Actual>(_value: Actual, ..._exact: Equal<Actual, Expected> extends true ? [] : [never]) => {};
}

declare const redis: Pool;
declare const ioredis: Redis;

export async function strings(): Promise<void> {
  expectType<string | null>()(await redis.get('k'));
  expectType<Buffer | null>()(await redis.getBuffer('k'));
  expectType<'OK'>()(await redis.set('k', 'v'));
  expectType<'OK' | null>()(await redis.set('k', 'v', 'EX', 60, 'NX'));
  expectType<number>()(await redis.incr('n'));
  expectType<number>()(await redis.incrby('n', 5));
  expectType<string>()(await redis.incrbyfloat('n', 0.5));
  expectType<(string | null)[]>()(await redis.mget('a', 'b'));
  expectType<(string | null)[]>()(await redis.mget(['a', 'b']));
  expectType<'OK'>()(await redis.mset({ a: '1', b: 2 }));
  expectType<number>()(await redis.append('k', 'x'));
  expectType<string | null>()(await redis.getdel('k'));
  expectType<number>()(await redis.strlen('k'));
}

export async function hashes(): Promise<void> {
  expectType<number>()(await redis.hset('h', 'f', 'v'));
  expectType<number>()(await redis.hset('h', { f: 'v', g: 1 }));
  expectType<string | null>()(await redis.hget('h', 'f'));
  expectType<Record<string, string>>()(await redis.hgetall('h'));
  expectType<Record<string, Buffer>>()(await redis.hgetallBuffer('h'));
  expectType<(string | null)[]>()(await redis.hmget('h', 'f', 'g'));
  expectType<number>()(await redis.hincrby('h', 'n', 1));
  expectType<number>()(await redis.hdel('h', 'f'));
  expectType<string[]>()(await redis.hkeys('h'));
  expectType<number>()(await redis.hlen('h'));
  expectType<[cursor: string, elements: string[]]>()(await redis.hscan('h', '0', 'MATCH', 'f*'));
}

export async function lists(): Promise<void> {
  expectType<number>()(await redis.lpush('l', 'a', 'b'));
  expectType<number>()(await redis.rpush('l', 'a', 'b'));
  expectType<string | null>()(await redis.lpop('l'));
  expectType<string[] | null>()(await redis.lpop('l', 2));
  expectType<string[]>()(await redis.lrange('l', 0, -1));
  expectType<number>()(await redis.llen('l'));
  expectType<'OK'>()(await redis.ltrim('l', 0, 99));
  // Blocking commands keep ioredis' types; the pool runs them on the exclusive lane.
  expectType<[string, string] | null>()(await redis.blpop('l', 1));
  expectType<string | null>()(await redis.blmove('l', 'm', 'LEFT', 'RIGHT', 1));
}

export async function sets(): Promise<void> {
  expectType<number>()(await redis.sadd('s', 'a', 'b'));
  expectType<string[]>()(await redis.smembers('s'));
  expectType<number>()(await redis.sismember('s', 'a'));
  expectType<number>()(await redis.scard('s'));
  expectType<number>()(await redis.srem('s', 'a'));
  expectType<string[]>()(await redis.sinter('s', 't'));
}

export async function sortedSets(): Promise<void> {
  expectType<number>()(await redis.zadd('z', 1, 'a', 2, 'b'));
  expectType<string[]>()(await redis.zrange('z', 0, '-1'));
  expectType<string[]>()(await redis.zrange('z', 0, '-1', 'WITHSCORES'));
  expectType<string[]>()(await redis.zrevrangebyscore('z', '+inf', '-inf', 'LIMIT', 0, 10));
  expectType<string | null>()(await redis.zscore('z', 'a'));
  expectType<number | null>()(await redis.zrank('z', 'a'));
  expectType<string>()(await redis.zincrby('z', 1, 'a'));
  expectType<number>()(await redis.zcard('z'));
  expectType<number>()(await redis.zremrangebyscore('z', '-inf', 0));
}

export async function streams(): Promise<void> {
  expectType<string | null>()(await redis.xadd('st', '*', 'field', 'value'));
  expectType<number>()(await redis.xlen('st'));
  expectType<[id: string, fields: string[]][]>()(await redis.xrange('st', '-', '+', 'COUNT', 10));
  expectType<[key: string, items: [id: string, fields: string[]][]][] | null>()(
    await redis.xread('COUNT', 10, 'STREAMS', 'st', '0'),
  );
  expectType<unknown>()(await redis.xgroup('CREATE', 'st', 'g', '$', 'MKSTREAM'));
  expectType<number>()(await redis.xack('st', 'g', '1-0'));
}

export async function scriptingAndKeys(): Promise<void> {
  expectType<unknown>()(await redis.eval('return 1', 0));
  expectType<unknown>()(await redis.evalsha('abc', 1, 'k'));
  expectType<number>()(await redis.del('a', 'b'));
  expectType<number>()(await redis.unlink(['a', 'b']));
  expectType<number>()(await redis.exists('a'));
  expectType<number>()(await redis.expire('a', 60));
  expectType<number>()(await redis.ttl('a'));
  expectType<string>()(await redis.type('a'));
  expectType<[cursor: string, elements: string[]]>()(await redis.scan('0', 'MATCH', 'a*', 'COUNT', 100));
  expectType<number>()(await redis.publish('ch', 'message'));
  expectType<'PONG'>()(await redis.ping());
}

/** The same call sites type the same on a pool and on an ioredis client. */
export async function sameAsIoredis(): Promise<void> {
  expectType<Awaited<ReturnType<Redis['hgetall']>>>()(await redis.hgetall('h'));
  expectType<Awaited<ReturnType<typeof ioredis.zrange>>>()(await redis.zrange('z', 0, '-1'));
  const pool = createPool({ url: 'redis://127.0.0.1:6379' });
  const asIfClient: Pick<Redis, 'get' | 'set' | 'hgetall' | 'xadd' | 'zadd' | 'evalsha'> = pool;
  void asIfClient;
}

export async function refusedAtCompileTime(pool: Pool): Promise<void> {
  // @ts-expect-error pub/sub needs its own connection: pool.subscriber()
  await pool.subscribe('ch');
  // @ts-expect-error WATCH state would leak into other callers: pool.transaction()
  await pool.watch('k');
  // @ts-expect-error EXEC belongs to a transaction: pool.multi() or pool.transaction()
  await pool.exec();
  // @ts-expect-error the database is a pool option
  await pool.select(1);
  // @ts-expect-error closing is pool.close()
  await pool.quit();
  // @ts-expect-error credentials are pool options
  await pool.auth('secret');
  // @ts-expect-error wrong argument type: ioredis' typings are enforced
  await pool.incrby('n', { by: 1 });
  // @ts-expect-error wrong reply type: GET replies string | null
  const n: number = await pool.get('k');
  void n;
}
