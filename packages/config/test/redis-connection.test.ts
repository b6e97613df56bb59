import { describe, expect, test } from '@jest/globals';
import {
  cacheRedisTarget,
  checkRedisConnection,
  coreRedisTarget,
  DEFAULT_REDIS_CONNECTION_SETTINGS,
  invalidValueMessage,
  REDIS_CONNECTION_VARIABLES,
  type RedisConnectionSettings,
  readEnvironment,
} from '../src/index.js';

class InvalidValue extends Error {
  constructor(variable: string, value: string, allowed: string) {
    super(invalidValueMessage(variable, value, allowed));
  }
}

function read(env: Record<string, string>): RedisConnectionSettings {
  const settings = readEnvironment(env, REDIS_CONNECTION_VARIABLES, {
    defaults: DEFAULT_REDIS_CONNECTION_SETTINGS,
    invalidValue: InvalidValue,
  });
  checkRedisConnection(settings, InvalidValue);
  return settings;
}

const withUrl = (env: Record<string, string>, redisUrl: string) => ({ ...read(env), redisUrl });

describe('the Redis connection of both apps', () => {
  test('one Redis at REDIS_URL by default; the cache shares it unless REDIS_CACHE_URL is set', () => {
    const settings = withUrl({}, 'redis://core:6379/2');
    expect(coreRedisTarget(settings)).toEqual({ url: 'redis://core:6379/2' });
    expect(cacheRedisTarget(settings)).toEqual({ url: 'redis://core:6379/2' });
    const cached = withUrl({ REDIS_CACHE_URL: 'redis://cache:6379' }, 'redis://core:6379');
    expect(cacheRedisTarget(cached)).toEqual({ url: 'redis://cache:6379' });
  });

  test('Cluster: seed nodes, with user, password and TLS from REDIS_URL', () => {
    const settings = withUrl(
      { REDIS_CLUSTER_NODES: '10.0.0.1:7000, 10.0.0.2:7000' },
      'rediss://app:s%40cret@ignored:6379',
    );
    expect(coreRedisTarget(settings)).toEqual({
      cluster: { nodes: ['10.0.0.1:7000', '10.0.0.2:7000'] },
      username: 'app',
      password: 's@cret',
      tls: true,
    });
  });

  test('Sentinel: sentinels and master name, with user, password and db from REDIS_URL', () => {
    const settings = withUrl(
      { REDIS_SENTINELS: 's1:26379,[::1]:26380', REDIS_SENTINEL_NAME: 'core' },
      'redis://:pw@ignored:6379/3',
    );
    expect(coreRedisTarget(settings)).toEqual({
      sentinel: {
        sentinels: [
          { host: 's1', port: 26379 },
          { host: '::1', port: 26380 },
        ],
        name: 'core',
      },
      password: 'pw',
      db: 3,
    });
  });

  test('bad values and contradictions are refused naming the variable', () => {
    expect(() => read({ REDIS_CLUSTER_NODES: 'no-port' })).toThrow('Invalid REDIS_CLUSTER_NODES="no-port"');
    expect(() => read({ REDIS_SENTINEL_NAME: 'has space' })).toThrow('Invalid REDIS_SENTINEL_NAME');
    expect(() => read({ REDIS_CACHE_URL: 'http://user:pw@cache' })).toThrow(
      'Invalid REDIS_CACHE_URL="http://user:***@cache"',
    );
    expect(() => read({ REDIS_CLUSTER_NODES: 'a:1', REDIS_SENTINELS: 'b:2' })).toThrow(
      'Invalid REDIS_SENTINELS="b:2"; allowed: empty when REDIS_CLUSTER_NODES is set',
    );
  });
});
