import { afterAll, describe, expect, test } from '@jest/globals';
import { settle, startRedis, stopAll } from '@redpool/testkit';
import { ConnectionError, createPool } from '../src/index.js';

afterAll(stopAll);

describe('credentials and TLS', () => {
  test('an ACL user from the URL authenticates; a wrong password fails with ConnectionError, not a hang', async () => {
    const redis = await startRedis({ user: { name: 'app', password: 's3cret-pw' } });
    const pool = createPool({ url: redis.url, name: 'acl' });
    expect(await pool.call('ACL', 'WHOAMI')).toBe('app');
    await pool.close();

    const wrong = createPool({
      host: redis.host,
      port: redis.port,
      username: 'app',
      password: 'nope',
      commandTimeoutMs: 1_000,
    });
    const { error } = await settle(wrong.call('PING'));
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error?.message).not.toContain('nope');
    await wrong.close();
  });

  test('TLS with the server CA (rediss://); plaintext to the TLS port does not pass', async () => {
    const redis = await startRedis({ tls: true });
    const pool = createPool({ url: redis.url, tls: { ca: redis.tls!.ca }, name: 'tls' });
    expect(await pool.call('SET', 'secure', 'yes')).toBe('OK');
    expect(await pool.call('GET', 'secure')).toBe('yes');
    const lease = await pool.acquire();
    expect(await lease.connection.ping()).toBe('PONG');
    await lease.release();
    await pool.close();

    const plain = createPool({
      host: redis.host,
      port: redis.port,
      name: 'plain',
      commandTimeoutMs: 500,
      connectTimeoutMs: 300,
    });
    expect((await settle(plain.call('PING'))).error).toBeInstanceOf(ConnectionError);
    await plain.close();
  });
});
