import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Redis } from 'ioredis';
import { type RedisServer, startBlackholeProxy, startRedis, stopAll } from '../src/index.js';
import { connectRaw, observe, observeFor, sleep, waitForData } from './helpers.js';

afterAll(stopAll);

describe('startBlackholeProxy', () => {
  let redis: RedisServer;

  beforeAll(async () => {
    redis = await startRedis();
  });

  test('forwards traffic and counts connections', async () => {
    const proxy = await startBlackholeProxy(redis);
    expect(proxy.port).not.toBe(redis.port);
    expect(proxy.url).toBe(`redis://127.0.0.1:${proxy.port}`);
    const client = new Redis(proxy.url, { lazyConnect: true });
    await client.connect();
    expect(await client.ping()).toBe('PONG');
    expect(proxy.connections).toBe(1);
    await client.quit();
    await sleep(50);
    expect(proxy.connections).toBe(0);
    await proxy.close();
  });

  test('blackhole(): the socket stays open, no reply, no FIN/close; heal() delivers the queued replies', async () => {
    const proxy = await startBlackholeProxy(redis);
    const socket = await connectRaw(proxy.port);
    socket.write('PING\r\n');
    await waitForData(socket, '+PONG');
    proxy.blackhole();
    expect(proxy.isBlackholed).toBe(true);
    const recorder = observe(socket);
    for (let i = 0; i < 5; i++) {
      socket.write('PING\r\n');
      await sleep(200);
    }
    const seen = recorder.stop();
    expect(seen).toEqual({ data: '', ended: false, closed: false, error: undefined });
    expect(socket.destroyed).toBe(false);
    const replies = waitForData(socket, '+PONG\r\n'.repeat(5));
    proxy.heal();
    await expect(replies).resolves.toBe('+PONG\r\n'.repeat(5));
    socket.destroy();
    await proxy.close();
  });

  test('blackhole(): new connections are accepted but not answered until heal()', async () => {
    const proxy = await startBlackholeProxy(redis);
    proxy.blackhole();
    const socket = await connectRaw(proxy.port);
    socket.write('PING\r\n');
    expect((await observeFor(socket, 300)).data).toBe('');
    const reply = waitForData(socket, '+PONG');
    proxy.heal();
    await expect(reply).resolves.toContain('+PONG');
    socket.destroy();
    await proxy.close();
  });

  test('an ioredis command through a blackholed proxy hangs until commandTimeout', async () => {
    const proxy = await startBlackholeProxy(redis);
    const client = new Redis(proxy.url, { lazyConnect: true, commandTimeout: 300, maxRetriesPerRequest: 0 });
    client.on('error', () => {});
    await client.connect();
    proxy.blackhole();
    await expect(client.ping()).rejects.toThrow(/Command timed out/);
    expect(client.status).toBe('ready');
    proxy.heal();
    client.disconnect();
    await proxy.close();
  });

  test('reset(): every connection is destroyed with RST, the client sees ECONNRESET', async () => {
    const proxy = await startBlackholeProxy(redis);
    const socket = await connectRaw(proxy.port);
    socket.write('PING\r\n');
    await waitForData(socket, '+PONG');
    const closed = new Promise<string | undefined>((resolve) => {
      let code: string | undefined;
      socket.on('error', (err: NodeJS.ErrnoException) => {
        code = err.code;
      });
      socket.on('close', () => resolve(code));
    });
    proxy.reset();
    await expect(closed).resolves.toBe('ECONNRESET');
    expect(proxy.connections).toBe(0);
    const again = await connectRaw(proxy.port);
    again.write('PING\r\n');
    await expect(waitForData(again, '+PONG')).resolves.toContain('+PONG');
    again.destroy();
    await proxy.close();
  });

  test('close() stops listening', async () => {
    const proxy = await startBlackholeProxy(redis);
    await proxy.close();
    await expect(connectRaw(proxy.port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});
