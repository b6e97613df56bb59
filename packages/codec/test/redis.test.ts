import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createCodec } from '../src/index.js';
import { hasRedis, startRedis, type TestRedis } from './helpers/redis.js';

const codec = createCodec();
const describeRedis = hasRedis() ? describe : describe.skip;

describeRedis('against a real redis-server', () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis.stop();
  });

  test('an encoded integer works with INCR/INCRBY and decodes back to a number', async () => {
    await redis.command('SET', 'counter', codec.encode(41));
    expect(await redis.command('INCR', 'counter')).toBe(42);
    expect(await redis.command('INCRBY', 'counter', '-50')).toBe(-8);
    expect(codec.decode((await redis.command('GET', 'counter')) as Buffer, 'counter')).toBe(-8);
    expect(redis.cli('GET', 'counter')).toBe('-8');
  });

  test('a counter created by INCR decodes as a number', async () => {
    await redis.command('INCRBY', 'fresh', '7');
    expect(codec.decode((await redis.command('GET', 'fresh')) as Buffer)).toBe(7);
  });

  test('short strings are readable in redis-cli; headered values still round-trip', async () => {
    await redis.command('SET', 'greeting', codec.encode('hello'));
    expect(redis.cli('GET', 'greeting')).toBe('hello');
    const value = { user: 'u_1', text: 'hi '.repeat(100), reactions: ['👍'] };
    await redis.command('SET', 'msg', codec.encode(value));
    expect(codec.decode((await redis.command('GET', 'msg')) as Buffer, 'msg')).toEqual(value);
    expect(redis.cli('--no-raw', 'GET', 'msg')).toMatch(/^"\\xc1\\x01\\x10/);
  });

  test('a value written by redis-cli reads back plain', async () => {
    redis.cli('SET', 'foreign', 'hello from redis-cli');
    expect(codec.decode((await redis.command('GET', 'foreign')) as Buffer)).toBe('hello from redis-cli');
  });

  test('INCR on a headered string that looks like an integer is refused by Redis', async () => {
    await redis.command('SET', 'notcounter', codec.encode('42'));
    expect(String(await redis.command('INCR', 'notcounter'))).toMatch(/^ERR:/);
    expect(codec.decode((await redis.command('GET', 'notcounter')) as Buffer)).toBe('42');
  });
});
