import { existsSync } from 'node:fs';
import { afterAll, describe, expect, test } from '@jest/globals';
import { Redis } from 'ioredis';
import {
  RedisNotInstalledError,
  type RedisServer,
  RedisStartError,
  startRedis,
  stopAll,
} from '../src/index.js';
import { connectErrorCode, connectRaw, observeFor, pidAlive, pingWith, waitForData } from './helpers.js';

afterAll(stopAll);

describe('startRedis', () => {
  test('serves on a free port with the requested config and no persistence', async () => {
    const redis = await startRedis({
      maxclients: 50,
      timeout: 7,
      extraConfig: { 'notify-keyspace-events': 'KEA' },
    });
    expect(redis.host).toBe('127.0.0.1');
    expect(redis.url).toBe(`redis://127.0.0.1:${redis.port}`);
    expect(redis.isRunning).toBe(true);
    expect((await redis.info('server')).tcp_port).toBe(String(redis.port));
    const config = async (name: string): Promise<unknown> =>
      ((await redis.command('CONFIG', 'GET', name)) as unknown[])[1];
    expect(await config('maxclients')).toBe('50');
    expect(await config('timeout')).toBe('7');
    expect(await config('save')).toBe('');
    expect(await config('appendonly')).toBe('no');
    expect(await config('notify-keyspace-events')).toBe('AKE');
    expect(await config('dir')).toBe(redis.dir);
    const client = new Redis(redis.url, { lazyConnect: true });
    await client.connect();
    expect(await client.set('k', 'v')).toBe('OK');
    expect(await client.get('k')).toBe('v');
    await client.quit();
  });

  test('kill(): SIGKILL, the port then refuses connections; restart() brings it back', async () => {
    const redis = await startRedis();
    const pid = redis.pid!;
    await redis.kill();
    expect(redis.isRunning).toBe(false);
    expect(pidAlive(pid)).toBe(false);
    expect(await connectErrorCode(redis.port)).toBe('ECONNREFUSED');
    await redis.restart();
    expect(await redis.command('PING')).toBe('PONG');
  });

  test('freeze(): connect succeeds (backlog) but nothing is answered; thaw() answers the queued PING', async () => {
    const redis = await startRedis();
    await redis.freeze();
    expect(redis.isFrozen).toBe(true);
    const socket = await connectRaw(redis.port);
    socket.write('PING\r\n');
    const seen = await observeFor(socket, 500);
    expect(seen).toEqual({ data: '', ended: false, closed: false, error: undefined });
    const reply = waitForData(socket, '+PONG');
    await redis.thaw();
    expect(redis.isFrozen).toBe(false);
    await expect(reply).resolves.toContain('+PONG');
    socket.destroy();
  });

  test('restart() keeps the port and the config (the password is still required)', async () => {
    const redis = await startRedis({ password: 'hunter2' });
    const { port } = redis;
    const pid = redis.pid;
    await redis.restart();
    expect(redis.port).toBe(port);
    expect(redis.pid).not.toBe(pid);
    expect(await pingWith({ port })).toMatch(/^NOAUTH/);
    expect(await pingWith({ port, password: 'hunter2' })).toBe('PONG');
  });

  test('stop() is graceful, kills a frozen server too, and restart() works after it', async () => {
    const redis = await startRedis();
    await redis.freeze();
    const pid = redis.pid!;
    await redis.stop();
    expect(pidAlive(pid)).toBe(false);
    expect(await connectErrorCode(redis.port)).toBe('ECONNREFUSED');
    await redis.restart();
    await redis.stop();
    expect(redis.logs().join('\n')).toMatch(/ready to exit, bye bye/i);
  });
});

describe('authentication', () => {
  let redis: RedisServer;

  test('password: NOAUTH without it, WRONGPASS with a wrong one, the url carries it', async () => {
    redis = await startRedis({ password: 'p@ss word' });
    expect(redis.password).toBe('p@ss word');
    expect(redis.url).toBe(`redis://:p%40ss%20word@127.0.0.1:${redis.port}`);
    expect(await pingWith({ port: redis.port })).toMatch(/^NOAUTH/);
    expect(await pingWith({ port: redis.port, password: 'nope' })).toMatch(/^WRONGPASS/);
    expect(await pingWith({ port: redis.port, password: 'p@ss word' })).toBe('PONG');
    const client = new Redis(redis.url, { lazyConnect: true });
    await client.connect();
    expect(await client.ping()).toBe('PONG');
    await client.quit();
  });

  test('ACL user: the default user is disabled, the user must authenticate', async () => {
    redis = await startRedis({ user: { name: 'app', password: 's3cret' } });
    expect(redis.username).toBe('app');
    expect(redis.url).toBe(`redis://app:s3cret@127.0.0.1:${redis.port}`);
    expect(await pingWith({ port: redis.port })).toMatch(/^NOAUTH/);
    expect(await pingWith({ port: redis.port, username: 'app', password: 'bad' })).toMatch(/^WRONGPASS/);
    const client = new Redis(redis.url, { lazyConnect: true });
    await client.connect();
    expect(await client.call('ACL', 'WHOAMI')).toBe('app');
    await client.quit();
  });
});

describe('failures', () => {
  test('a server that cannot start fails fast with a typed error and the last log lines', async () => {
    const error = await startRedis({ extraConfig: { 'no-such-directive': 'x' } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RedisStartError);
    const startError = error as RedisStartError;
    expect(startError.code).toBe('TESTKIT_ERR_START_FAILED');
    expect(startError.message).toMatch(/exited during startup/);
    expect(startError.message).toMatch(/Bad directive or wrong number of arguments/);
    expect(startError.logTail.length).toBeGreaterThan(0);
  });

  test('redis-server missing from PATH: one clear line, typed error', async () => {
    const saved = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      const error = await startRedis().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RedisNotInstalledError);
      const missing = error as RedisNotInstalledError;
      expect(missing.code).toBe('TESTKIT_ERR_REDIS_MISSING');
      expect(missing.message).toBe(
        'redis-server not found on PATH: install it with "apt-get install -y redis-server" (Debian/Ubuntu) or "brew install redis"',
      );
    } finally {
      process.env.PATH = saved;
    }
  });

  test('stopAll() kills everything, frozen servers included, and removes temp dirs', async () => {
    const a = await startRedis();
    const b = await startRedis();
    await b.freeze();
    const pids = [a.pid!, b.pid!];
    await stopAll();
    expect(pids.map(pidAlive)).toEqual([false, false]);
    expect(existsSync(a.dir)).toBe(false);
    expect(existsSync(b.dir)).toBe(false);
    await expect(a.restart()).rejects.toMatchObject({ code: 'TESTKIT_ERR_DISPOSED' });
  });
});
