import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createPool, type Pool } from '@redpool/pool';
import { createPublisher, DEFAULT_REALTIME_SETTINGS } from '@redpool/realtime';
import { type RedisServer, startRedis, stopAll } from '@redpool/testkit';
import { createWorkerApp, type WorkerApp } from '../../src/app.js';
import { resolveConfig } from '../../src/config.js';
import { createNotificationProducer, type NotificationProducer } from '../../src/notifications/producer.js';
import { createRealtimeTransport, publisherOptions } from '../../src/notifications/realtime-transport.js';
import { memoryLogger, waitFor } from '../helpers.js';

let redis: RedisServer;
let pool: Pool;
let app: WorkerApp;
let producer: NotificationProducer;
const config = () =>
  resolveConfig({
    redisUrl: redis.url,
    httpHost: '127.0.0.1',
    httpPort: 0,
    keyPrefix: 'rt',
    bullmqPrefix: 'rt',
    realtime: { ...DEFAULT_REALTIME_SETTINGS, keyPrefix: 'rt:ws' },
  });

beforeAll(async () => {
  redis = await startRedis();
  pool = createPool({ url: redis.url, name: 'rt-test' });
  app = createWorkerApp({
    config: config(),
    transport: (p, c) => createRealtimeTransport(p, publisherOptions(c)),
    logger: memoryLogger('silent').log,
  });
  await app.start();
  producer = createNotificationProducer(pool, { prefix: 'rt', attempts: 2, backoffMs: 50 });
});

afterAll(async () => {
  await app.close();
  await producer.close();
  await pool.close({ timeoutMs: 1_000 });
  await stopAll();
});

describe('delivery through the ws-server publish API (@redpool/realtime)', () => {
  test('a notification lands in the channel history with an offset and is fanned out', async () => {
    const publisher = createPublisher(pool, publisherOptions(config()));
    // Listen on the redis-adapter channels the ws-server instances subscribe to.
    const sub = await pool.subscriber();
    const frames: Buffer[] = [];
    sub.on('smessageBuffer', (_channel: Buffer, message: Buffer) => frames.push(message));
    sub.on('messageBuffer', (_channel: Buffer, message: Buffer) => frames.push(message));
    sub.on('pmessageBuffer', (_p: Buffer, _channel: Buffer, message: Buffer) => frames.push(message));
    const mode = await publisher.fanoutMode();
    const adapterChannel = publisher.keys.adapterRoomChannel('notifications.u-77');
    if (mode === 'sharded') await sub.ssubscribe(adapterChannel);
    else await sub.psubscribe('socket.io#/#*');

    const id = await producer.enqueue({ userId: 'u-77', payload: { text: 'hi' } });
    const position = async () => (await publisher.position('notifications.u-77')).offset;
    await waitFor(async () => (await position()) === 1, 5_000, 'published');
    const history = await publisher.recover('notifications.u-77', {
      epoch: (await publisher.position('notifications.u-77')).epoch,
      offset: 0,
    });
    expect(history.recovered).toBe(true);
    expect(history.publications).toHaveLength(1);
    expect(history.publications[0]).toMatchObject({
      channel: 'notifications.u-77',
      offset: 1,
      data: { id, userId: 'u-77', payload: { text: 'hi' }, attempt: 1 },
    });
    // notifications.* keeps 24 h of history by default (the ws-server's rules).
    expect(history.rule).toMatchObject({ pattern: 'notifications.*', ttlMs: 86_400_000 });
    await waitFor(() => frames.length > 0, 5_000, 'fan-out frame');
    expect(Buffer.concat(frames).toString('latin1')).toContain('hi');
    await sub.quit();
  });
});
