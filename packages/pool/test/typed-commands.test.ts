import { beforeAll, describe, expect, test } from '@jest/globals';
import { settle, waitUntil } from '@redpool/testkit';
import { useRedis } from '@redpool/testkit/jest';
import { Redis } from 'ioredis';
import { CONNECTION_BOUND_COMMANDS, createPool, type Pool, UnsupportedCommandError } from '../src/index.js';

const redis = useRedis();
let pool: Pool;
let client: Redis;

beforeAll(() => {
  pool = redis.track(createPool({ url: redis.url, name: 'typed', maxConnections: 4 }));
  client = new Redis(redis.url);
  redis.beforeStop(() => client.disconnect());
});

/** The reply of the same command on the pool and on a plain ioredis client, for comparison. */
async function both<T>(run: (r: Pick<Redis, keyof Pool & keyof Redis>) => Promise<T>): Promise<[T, T]> {
  const fromPool = await run(pool as unknown as Redis);
  const fromClient = await run(client);
  return [fromPool, fromClient];
}

describe('typed commands reply as ioredis does', () => {
  test('strings and Buffers', async () => {
    expect(await pool.set('s:1', 'hello', 'EX', 60)).toBe('OK');
    expect(await pool.get('s:1')).toBe('hello');
    expect(await pool.getBuffer('s:1')).toEqual(Buffer.from('hello'));
    expect(await pool.mset({ 's:2': 'two', 's:3': 3 })).toBe('OK');
    expect(await pool.mget(['s:2', 's:3', 's:none'])).toEqual(['two', '3', null]);
    expect(await pool.incrby('s:n', 5)).toBe(5);
    expect(await pool.incrbyfloat('s:n', 0.5)).toBe('5.5');
  });

  test('hashes: hset with an object, hgetall as an object (also in Buffer form), hrandfield pairs', async () => {
    expect(await pool.hset('h:1', { name: 'Ada', year: 1815 })).toBe(2);
    const [fromPool, fromClient] = await both((r) => r.hgetall('h:1'));
    expect(fromPool).toEqual({ name: 'Ada', year: '1815' });
    expect(fromPool).toEqual(fromClient);
    expect(await pool.hgetallBuffer('h:1')).toEqual({ name: Buffer.from('Ada'), year: Buffer.from('1815') });
    expect(await pool.hgetall('h:none')).toEqual({});
    const [pairs, clientPairs] = await both((r) => r.hrandfield('h:1', -4, 'WITHVALUES'));
    expect(pairs).toHaveLength(8);
    expect(clientPairs).toHaveLength(8);
  });

  test('lists and sets', async () => {
    expect(await pool.rpush('l:1', 'a', 'b', 'c')).toBe(3);
    expect(await pool.lrange('l:1', 0, -1)).toEqual(['a', 'b', 'c']);
    expect(await pool.lpop('l:1', 2)).toEqual(['a', 'b']);
    expect(await pool.sadd('set:1', ['x', 'y'])).toBe(2);
    expect((await pool.smembers('set:1')).sort()).toEqual(['x', 'y']);
    expect(await pool.sismember('set:1', 'x')).toBe(1);
  });

  test('sorted sets: zrange WITHSCORES and zpopmin as ioredis flattens them', async () => {
    await pool.zadd('z:1', 1, 'a', 2, 'b', 3, 'c');
    const [withScores, clientWithScores] = await both((r) => r.zrange('z:1', 0, '-1', 'WITHSCORES'));
    expect(withScores).toEqual(['a', '1', 'b', '2', 'c', '3']);
    expect(withScores).toEqual(clientWithScores);
    expect(await pool.zrangebyscore('z:1', 2, '+inf', 'WITHSCORES')).toEqual(['b', '2', 'c', '3']);
    expect(await pool.zscore('z:1', 'b')).toBe('2');
    expect(await pool.zpopmin('z:1')).toEqual(['a', '1']);
  });

  test('streams: xadd, xrange, xread and xreadgroup reply shapes', async () => {
    const id = await pool.xadd('st:1', '*', 'user', 'ada', 'text', 'hi');
    expect(id).toMatch(/^\d+-\d+$/);
    const [range, clientRange] = await both((r) => r.xrange('st:1', '-', '+'));
    expect(range).toEqual([[id, ['user', 'ada', 'text', 'hi']]]);
    expect(range).toEqual(clientRange);
    const [read, clientRead] = await both((r) => r.xread('COUNT', 10, 'STREAMS', 'st:1', '0'));
    expect(read).toEqual([['st:1', [[id, ['user', 'ada', 'text', 'hi']]]]]);
    expect(read).toEqual(clientRead);
    await pool.xgroup('CREATE', 'st:1', 'g', '0');
    const grouped = await pool.xreadgroup('GROUP', 'g', 'c1', 'COUNT', 1, 'STREAMS', 'st:1', '>');
    expect(grouped).toEqual([['st:1', [[id, ['user', 'ada', 'text', 'hi']]]]]);
    expect(await pool.xack('st:1', 'g', id!)).toBe(1);
  });

  test('scripting and key commands', async () => {
    expect(await pool.eval('return {KEYS[1], ARGV[1]}', 1, 'k', 'v')).toEqual(['k', 'v']);
    const sha = (await pool.script('LOAD', 'return 7')) as string;
    expect(await pool.evalsha(sha, 0)).toBe(7);
    await pool.set('k:1', '1');
    expect(await pool.exists('k:1', 'k:none')).toBe(1);
    expect(await pool.expire('k:1', 100)).toBe(1);
    expect(await pool.type('k:1')).toBe('string');
    const [cursor, keys] = await pool.scan('0', 'MATCH', 'k:*', 'COUNT', 100);
    expect(typeof cursor).toBe('string');
    expect(keys).toContain('k:1');
    expect(await pool.del(['k:1', 'k:none'])).toBe(1);
  });

  test('a Redis error reply rejects that command only', async () => {
    await pool.set('wrong', 'x');
    const { error } = await settle(pool.hget('wrong', 'f'));
    expect(error?.message).toMatch(/^WRONGTYPE/);
    expect(await pool.get('wrong')).toBe('x');
  });

  test('the ioredis callback style works and leaves no unhandled rejection', async () => {
    const reply = await new Promise<unknown>((resolve, reject) => {
      void pool.get('s:1', (err, value) => (err ? reject(err) : resolve(value)));
    });
    expect(reply).toBe('hello');
    const error = await new Promise<Error | null | undefined>((resolve) => {
      void pool.hget('wrong', 'f', (err) => resolve(err));
    });
    expect(error?.message).toMatch(/^WRONGTYPE/);
  });
});

describe('routing', () => {
  test('a blocking command runs on the exclusive lane and never stalls the shared one', async () => {
    const popped = pool.blpop('q:empty', 2);
    await waitUntil(
      async () => (await redis.server.info('clients')).blocked_clients === '1',
      2_000,
      'BLPOP blocked',
    );
    expect(pool.stats().inUse).toBe(1);
    const started = Date.now();
    expect(await pool.ping()).toBe('PONG');
    expect(Date.now() - started).toBeLessThan(500);
    await pool.rpush('q:empty', 'job');
    expect(await popped).toEqual(['q:empty', 'job']);
    expect(await pool.brpop('q:empty', 0.2)).toBeNull();
  });

  test('a blocking command without a deadline is refused with a pointer to withConnection', async () => {
    const { error } = await settle(pool.blpop('q:empty', 0));
    expect(error).toBeInstanceOf(UnsupportedCommandError);
    expect(error?.message).toMatch(/withConnection/);
  });

  test.each(Object.keys(CONNECTION_BOUND_COMMANDS))(
    'connection-bound %s rejects with UnsupportedCommandError naming the right API',
    async (name) => {
      const method = (pool as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[name]!;
      const { error } = await settle(method.call(pool, 'x'));
      expect(error).toBeInstanceOf(UnsupportedCommandError);
      expect((error as UnsupportedCommandError).code).toBe('POOL_ERR_UNSUPPORTED_COMMAND');
      expect(error?.message).toContain(name.toUpperCase());
      expect(error?.message).toContain(
        CONNECTION_BOUND_COMMANDS[name as keyof typeof CONNECTION_BOUND_COMMANDS],
      );
    },
  );

  test("the pool's own multi and pipeline keep their batch signatures", async () => {
    expect(
      await pool.multi([
        ['INCR', 'm:1'],
        ['INCR', 'm:1'],
      ]),
    ).toEqual([
      [null, 1],
      [null, 2],
    ]);
  });
});
