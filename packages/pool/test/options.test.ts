import { describe, expect, test } from '@jest/globals';
import { ConfigError, createPool, DEFAULT_POOL_OPTIONS, redactUrl } from '../src/index.js';

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('options are validated when the pool is created', () => {
  test('an out-of-range value names the field, the value and the allowed range', () => {
    const err = configError(() => createPool({ maxConnections: 0 }));
    expect(err.code).toBe('POOL_ERR_INVALID_OPTION');
    expect(err.field).toBe('maxConnections');
    expect(err.message).toBe('Invalid option "maxConnections": 0; allowed: an integer from 2 to 10000');
  });

  test.each([
    ['idleDisconnectMs', { idleDisconnectMs: 29_999 }],
    ['keepAlive', { keepAlive: 5 }],
    ['healthCheckIntervalMs', { healthCheckIntervalMs: -1 }],
    ['commandTimeoutMs', { commandTimeoutMs: 1.5 }],
    ['retry.maxDelayMs', { retry: { baseDelayMs: 100, maxDelayMs: 50 } }],
    ['sharedConnections', { maxConnections: 4, sharedConnections: 4 }],
    ['minIdle', { maxConnections: 4, minIdle: 4 }],
    ['url', { url: 'http://localhost' }],
    ['cluster.nodes', { cluster: { nodes: [] } }],
    ['sentinel.name', { sentinel: { sentinels: [{ host: 'h', port: 1 }], name: '' } }],
    ['name', { name: 'has space' }],
    ['retryOnTimeout', { retryOnTimeout: 'yes' as unknown as boolean }],
  ])('%s', (field, options) => {
    expect(configError(() => createPool(options)).field).toBe(field);
  });

  test.each([
    [{ maxConnection: 5 }, 'maxConnection', 'maxConnections'],
    [{ commandTimeout: 1000 }, 'commandTimeout', 'commandTimeoutMs'],
    [{ retry: { maxDelay: 100 } }, 'retry.maxDelay', 'retry.maxDelayMs'],
    [
      { sentinel: { sentinels: [{ host: 'h', port: 1 }], name: 'm', pasword: 'x' } },
      'sentinel.pasword',
      'sentinel.password',
    ],
  ])('an unknown option %j names the option and the closest valid name', (options, field, closest) => {
    const err = configError(() => createPool(options as never));
    expect(err.code).toBe('POOL_ERR_INVALID_OPTION');
    expect(err.field).toBe(field);
    expect(err.message).toContain(`did you mean "${closest}"?`);
  });

  test('an unknown option with no close name is refused all the same', () => {
    const err = configError(() => createPool({ lazyConnect: true } as never));
    expect(err.field).toBe('lazyConnect');
    expect(err.message).toContain('no such option');
    expect(err.message).not.toContain('did you mean');
  });

  test('idleDisconnectMs accepts 0 (off) and values from 30000', () => {
    expect(createPool({ idleDisconnectMs: 0 }).options.idleDisconnectMs).toBe(0);
    expect(createPool({ idleDisconnectMs: 30_000 }).options.idleDisconnectMs).toBe(30_000);
  });

  test('defaults are applied', () => {
    const pool = createPool();
    expect(pool.options).toMatchObject({
      name: 'redpool',
      maxConnections: DEFAULT_POOL_OPTIONS.maxConnections,
      sharedConnections: 1,
      keepAlive: 30_000,
      healthCheckIntervalMs: 30_000,
      connectTimeoutMs: 5_000,
      commandTimeoutMs: 5_000,
      idleDisconnectMs: 0,
    });
  });

  test('a URL gives host, port, credentials, database and TLS', () => {
    const pool = createPool({ url: 'rediss://app:s3cret@cache.internal:6380/2' });
    expect(pool.options.target).toEqual({
      kind: 'standalone',
      host: 'cache.internal',
      port: 6380,
      auth: { username: 'app', password: 's3cret' },
      db: 2,
      tls: {},
    });
  });

  test('a password never appears in a ConfigError', () => {
    const err = configError(() => createPool({ url: 'ftp://user:hunter2@host' }));
    expect(err.message).not.toContain('hunter2');
    expect(redactUrl('redis://user:hunter2@host:6379')).toBe('redis://user:***@host:6379');
  });
});
