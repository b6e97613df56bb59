import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { findOnPath, type RedisServer, startRedis, stopAll } from '@redpool/testkit';
import { Redis } from 'ioredis';
import { createCodec } from '../src/index.js';

const codec = createCodec();
const describeRedis =
  findOnPath('redis-server') !== undefined && findOnPath('redis-cli') !== undefined
    ? describe
    : describe.skip;

describeRedis('against a real redis-server', () => {
  let redis: RedisServer;
  let client: Redis;
  /** Runs `redis-cli -p <port> ...args` and returns its stdout without the trailing newline. */
  const cli = (...args: string[]): string =>
    execFileSync('redis-cli', ['-p', String(redis.port), ...args], { encoding: 'utf8' }).replace(/\n$/, '');

  beforeAll(async () => {
    redis = await startRedis();
    client = new Redis(redis.url);
  });
  afterAll(async () => {
    client.disconnect();
    await stopAll();
  });

  test('an encoded integer works with INCR/INCRBY and decodes back to a number', async () => {
    await client.set('counter', codec.encode(41));
    expect(await client.incr('counter')).toBe(42);
    expect(await client.incrby('counter', -50)).toBe(-8);
    expect(codec.decode((await client.getBuffer('counter'))!, 'counter')).toBe(-8);
    expect(cli('GET', 'counter')).toBe('-8');
  });

  test('a counter created by INCR decodes as a number', async () => {
    await client.incrby('fresh', 7);
    expect(codec.decode((await client.getBuffer('fresh'))!)).toBe(7);
  });

  test('short strings are readable in redis-cli; headered values still round-trip', async () => {
    await client.set('greeting', codec.encode('hello'));
    expect(cli('GET', 'greeting')).toBe('hello');
    const value = { user: 'u_1', text: 'hi '.repeat(100), reactions: ['👍'] };
    await client.set('msg', codec.encode(value));
    expect(codec.decode((await client.getBuffer('msg'))!, 'msg')).toEqual(value);
    expect(cli('--no-raw', 'GET', 'msg')).toMatch(/^"\\xc1\\x01\\x10/);
  });

  test('a value written by redis-cli reads back plain', async () => {
    cli('SET', 'foreign', 'hello from redis-cli');
    expect(codec.decode((await client.getBuffer('foreign'))!)).toBe('hello from redis-cli');
  });

  test('INCR on a headered string that looks like an integer is refused by Redis', async () => {
    await client.set('notcounter', codec.encode('42'));
    await expect(client.incr('notcounter')).rejects.toThrow(/^ERR/);
    expect(codec.decode((await client.getBuffer('notcounter'))!)).toBe('42');
  });
});
