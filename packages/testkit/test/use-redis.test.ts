import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Redis } from 'ioredis';
import { NotRunningError } from '../src/index.js';
import { useRedis } from '../src/jest.js';
import { pidAlive } from './helpers.js';

const redis = useRedis({ extraConfig: { 'notify-keyspace-events': 'KEA' } });

/** Read before the fixture's beforeAll: there is no server yet. */
const early = (() => {
  try {
    return redis.url;
  } catch (error) {
    return error;
  }
})();

const order: string[] = [];
let client: Redis;
let pid: number | undefined;

beforeAll(() => {
  client = redis.track(Object.assign(new Redis(redis.url), { close: () => order.push('client') }));
  redis.beforeStop(() => {
    client.disconnect();
    order.push('disconnect');
  });
  pid = redis.server.pid;
});

// Declared after useRedis(), so it runs after the fixture's own afterAll.
afterAll(() => {
  expect(order).toEqual(['disconnect', 'client']);
  expect(redis.server.isRunning).toBe(false);
  expect(pid !== undefined && pidAlive(pid)).toBe(false);
});

describe('useRedis', () => {
  test('the server is not there before the beforeAll that starts it', () => {
    expect(early).toBeInstanceOf(NotRunningError);
  });

  test('starts one server with the options given, from the first beforeAll on', async () => {
    expect(redis.url).toBe(redis.server.url);
    expect(await client.ping()).toBe('PONG');
    expect(await client.config('GET', 'notify-keyspace-events')).toEqual(['notify-keyspace-events', 'AKE']);
  });
});
