import { beforeAll, describe, expect, test } from '@jest/globals';
import { settle, waitUntil } from '@redpool/testkit';
import { useRedis } from '@redpool/testkit/jest';
import { routeCommand } from '../src/command-router.js';
import { createPool, defineScript, type Pool } from '../src/index.js';

const redis = useRedis();
let pool: Pool;

beforeAll(() => {
  pool = redis.track(createPool({ url: redis.url, name: 'cmd', maxConnections: 8 }));
});

describe('ordinary commands on the shared lane', () => {
  test('call, callBuffer and replies', async () => {
    expect(await pool.call('SET', 'greeting', 'hello', 'EX', 60)).toBe('OK');
    expect(await pool.call('GET', 'greeting')).toBe('hello');
    expect(await pool.callBuffer('GET', 'greeting')).toEqual(Buffer.from('hello'));
    expect(await pool.callBuffer('HGET', 'missing', 'field')).toBeNull();
    await pool.call('SET', 'bin', Buffer.from([0, 255, 1]));
    expect(await pool.callBuffer('GET', 'bin')).toEqual(Buffer.from([0, 255, 1]));
  });

  test('a Redis error reply rejects that call only, with the server message', async () => {
    await pool.call('SET', 'str', 'x');
    const { error } = await settle(pool.call('HGET', 'str', 'f'));
    expect(error?.message).toMatch(/^WRONGTYPE/);
    expect(await pool.call('GET', 'str')).toBe('x');
  });

  test('pipeline returns one [error, reply] per command; multi is atomic', async () => {
    const results = await pool.pipeline([
      ['SET', 'p1', '1'],
      ['INCR', 'p1'],
      ['HGET', 'p1', 'x'],
    ]);
    expect(results[0]).toEqual([null, 'OK']);
    expect(results[1]).toEqual([null, 2]);
    expect(results[2]?.[0]?.message).toMatch(/WRONGTYPE/);
    expect(
      await pool.multi([
        ['INCR', 'm1'],
        ['INCR', 'm1'],
      ]),
    ).toEqual([
      [null, 1],
      [null, 2],
    ]);
    const buffers = await pool.pipeline([['GET', 'p1']], { buffer: true });
    expect(buffers[0]).toEqual([null, Buffer.from('2')]);
  });

  test('commands sent in one tick arrive in order, with a pipeline and a MULTI among them', async () => {
    await pool.call('GET', 'warm');
    const pushes: Promise<unknown>[] = [];
    let batches: Promise<unknown>[] = [];
    for (let i = 0; i < 500; i++) {
      pushes.push(pool.call('RPUSH', 'tick', i));
      if (i === 100)
        batches = [pool.pipeline([['RPUSH', 'tick', 'p']]), pool.multi([['RPUSH', 'tick', 'm']])];
    }
    const lengths = (await Promise.all(pushes)) as number[];
    await Promise.all(batches);
    expect(lengths.every((n, i) => i === 0 || n > lengths[i - 1]!)).toBe(true);
    const list = (await pool.call('LRANGE', 'tick', 0, -1)) as string[];
    expect(list.filter((v) => v !== 'p' && v !== 'm')).toEqual(
      Array.from({ length: 500 }, (_, i) => String(i)),
    );
    expect(list).toHaveLength(502);
  });

  test('runScript loads the script on first use and runs it by SHA afterwards', async () => {
    const script = defineScript("return redis.call('INCRBY', KEYS[1], ARGV[1])");
    expect(await pool.runScript(script, ['counter'], [5])).toBe(5);
    expect(await pool.runScript(script, ['counter'], [5])).toBe(10);
  });

  test('scanKeys walks the keyspace with SCAN', async () => {
    await pool.multi(Array.from({ length: 50 }, (_, i) => ['SET', `scan:${i}`, i] as const));
    const keys: string[] = [];
    for await (const key of pool.scanKeys('scan:*', 10)) keys.push(key);
    expect(new Set(keys).size).toBe(50);
  });

  test('connections are named after the pool (CLIENT SETNAME prefix)', async () => {
    const list = String(await pool.call('CLIENT', 'LIST'));
    expect(list).toMatch(/name=cmd:shared:1 /);
  });
});

describe('commands that must own a connection', () => {
  test('a blocking command is routed to the exclusive lane and never stalls the shared lane', async () => {
    const blocked = Array.from({ length: 3 }, (_, i) => pool.call('BLPOP', `empty:${i}`, 1));
    await waitUntil(() => pool.stats().inUse === 3, 1_000, 'three leases');
    // While three BLPOPs block for a second, ordinary commands still complete first.
    const first = await Promise.race([
      pool.call('PING').then(() => 'ping'),
      ...blocked.map((b) => b.then(() => 'blpop')),
    ]);
    expect(first).toBe('ping');
    expect(await Promise.all(blocked)).toEqual([null, null, null]);
    expect(pool.stats().idle).toBeGreaterThanOrEqual(3);
  });

  test('BLPOP returns what another caller pushes', async () => {
    const popped = pool.call('BLPOP', 'jobs', 2);
    await pool.call('RPUSH', 'jobs', 'job-1');
    expect(await popped).toEqual(['jobs', 'job-1']);
  });

  test('a blocking command without a finite timeout is refused: every wait has a deadline', async () => {
    const { error } = await settle(pool.call('BLPOP', 'q', 0));
    expect(error?.code).toBe('POOL_ERR_UNSUPPORTED_COMMAND');
  });

  test.each(['SUBSCRIBE', 'WATCH', 'MULTI', 'SELECT'])(
    '%s through call() is refused with a pointer to the right API',
    async (cmd) => {
      const { error } = await settle(pool.call(cmd, 'x'));
      expect(error?.code).toBe('POOL_ERR_UNSUPPORTED_COMMAND');
    },
  );

  test.each([
    ['HELLO', ['3'], /pool options|withConnection/],
    ['AUTH', ['user', 'secret'], /pool options/],
    ['CLIENT', ['REPLY', 'OFF'], /withConnection/],
  ])('%s on the shared lane is refused with a pointer to the right API', async (cmd, args, hint) => {
    const { error } = await settle(pool.call(cmd, ...args));
    expect(error?.code).toBe('POOL_ERR_UNSUPPORTED_COMMAND');
    expect(error?.message).toMatch(hint);
  });

  test('other CLIENT subcommands run on the shared lane, and CLIENT is never retried as read-only', async () => {
    expect(String(await pool.call('CLIENT', 'GETNAME'))).toMatch(/:shared:/);
    expect(routeCommand('CLIENT', ['LIST'])).toEqual({ lane: 'shared', readOnly: false });
    expect(routeCommand('CLIENT', ['REPLY', 'ON']).lane).toBe('rejected');
    expect(routeCommand('GET', ['k'])).toEqual({ lane: 'shared', readOnly: true });
  });

  test('WATCH/MULTI on a leased connection; a conflicting write aborts the transaction', async () => {
    await pool.call('SET', 'balance', '100');
    const result = await pool.transaction(async (conn) => {
      await conn.watch('balance');
      const balance = Number(await conn.get('balance'));
      await pool.call('SET', 'balance', '1'); // someone else writes meanwhile
      return conn
        .multi()
        .set('balance', String(balance - 10))
        .exec();
    });
    expect(result).toBeNull();
    expect(await pool.call('GET', 'balance')).toBe('1');
  });

  test('a subscriber receives messages and counts as a dedicated connection', async () => {
    const sub = await pool.subscriber();
    const received = new Promise<string>((resolve) =>
      sub.on('message', (_channel: string, message: string) => resolve(message)),
    );
    await sub.subscribe('news');
    expect(pool.stats().dedicated).toBe(1);
    await pool.call('PUBLISH', 'news', 'hello');
    expect(await received).toBe('hello');
    await sub.quit();
    await waitUntil(() => pool.stats().dedicated === 0, 1_000, 'subscriber to end');
  });

  test('BullMQ connections have maxRetriesPerRequest null and their duplicates are counted', async () => {
    const conn = pool.bullmq();
    expect(conn.options.maxRetriesPerRequest).toBeNull();
    const dup = conn.duplicate();
    expect(pool.stats().dedicated).toBe(2);
    await conn.connect();
    expect(await conn.ping()).toBe('PONG');
    await dup.connect();
    await Promise.all([conn.quit(), dup.quit()]);
    await waitUntil(() => pool.stats().dedicated === 0, 1_000, 'BullMQ connections to end');
  });
});
