import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createPool, type Pool } from '@redpool/pool';
import type { Publication } from '@redpool/realtime';
import { DEFAULT_REALTIME_SETTINGS } from '@redpool/realtime';
import { type RedisServer, startRedis, stopAll } from '@redpool/testkit';
import {
  createWsServer,
  resolveConfig as resolveWsConfig,
  signToken,
  type WsServer,
} from '@redpool/ws-server';
import { Queue } from 'bullmq';
import { io, type Socket } from 'socket.io-client';
import { createWorkerApp, type WorkerApp } from '../../src/app.js';
import { resolveConfig } from '../../src/config.js';
import { NOTIFICATIONS_QUEUE } from '../../src/keys.js';
import type { NotificationMessage } from '../../src/notifications/notification.js';
import { createNotificationProducer, type NotificationProducer } from '../../src/notifications/producer.js';
import { createRealtimeTransport, publisherOptions } from '../../src/notifications/realtime-transport.js';
import { memoryLogger, waitFor, withDeadline } from '../helpers.js';

const SECRET = 'worker-e2e-secret-worker-e2e-secret-0123';
const WS_PREFIX = 'e2e:ws';
const ADAPTER_PREFIX = 'e2e:sio';

let redis: RedisServer;
let pool: Pool;
const servers: WsServer[] = [];
let worker: WorkerApp;
let producer: NotificationProducer;
const sockets: Socket[] = [];

/** A Socket.IO client of the ws-server, collecting `message` events per channel. */
async function connect(url: string, user: string, claims: Record<string, unknown> = {}) {
  const token = signToken({ sub: user, exp: Math.floor(Date.now() / 1000) + 600, ...claims }, SECRET);
  const socket = io(url, { transports: ['websocket'], auth: { token }, forceNew: true, reconnection: false });
  sockets.push(socket);
  const received: Publication<NotificationMessage>[] = [];
  socket.on('message', (pub: Publication<NotificationMessage>) => received.push(pub));
  await withDeadline(
    new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    }),
    5_000,
    `${user} connects`,
  );
  const subscribe = (channel: string, recover?: { epoch: string; offset: number }) =>
    socket
      .timeout(5_000)
      .emitWithAck('subscribe', recover ? { channel, ...recover } : { channel }) as Promise<{
      ok: boolean;
      epoch: string;
      offset: number;
      recovered?: boolean;
      publications?: Publication<NotificationMessage>[];
      error?: { code: string };
    }>;
  return { socket, received, subscribe };
}

beforeAll(async () => {
  redis = await startRedis();
  pool = createPool({ url: redis.url, name: 'e2e' });
  // Two ws-server instances: the notification reaches a client whichever one it is connected to.
  for (let i = 0; i < 2; i++) {
    const server = createWsServer({
      config: resolveWsConfig({
        host: '127.0.0.1',
        port: 0,
        redisUrl: redis.url,
        jwtSecret: SECRET,
        logLevel: 'silent',
        keyPrefix: WS_PREFIX,
        adapterPrefix: ADAPTER_PREFIX,
        instanceId: `ws-${i + 1}`,
      }),
    });
    servers.push(server);
    await server.start();
  }
  worker = createWorkerApp({
    config: resolveConfig({
      redisUrl: redis.url,
      httpHost: '127.0.0.1',
      httpPort: 0,
      keyPrefix: 'e2e',
      bullmqPrefix: 'e2e',
      realtime: { ...DEFAULT_REALTIME_SETTINGS, keyPrefix: WS_PREFIX, adapterPrefix: ADAPTER_PREFIX },
    }),
    transport: (p, c) => createRealtimeTransport(p, publisherOptions(c)),
    logger: memoryLogger('silent').log,
  });
  await worker.start();
  producer = createNotificationProducer(pool, { prefix: 'e2e', attempts: 3, backoffMs: 100 });
});

afterAll(async () => {
  for (const s of sockets) s.disconnect();
  await worker?.close();
  await producer?.close();
  await Promise.all(servers.map((s) => s.stop()));
  await pool.close({ timeoutMs: 1_000 });
  await stopAll();
});

describe('notification delivery end to end', () => {
  test('a job for a user reaches that user’s connected Socket.IO client, and nobody else', async () => {
    const alice = await connect(servers[0]!.address.url, 'alice');
    const bob = await connect(servers[1]!.address.url, 'bob');
    expect((await alice.subscribe('notifications.alice')).ok).toBe(true);
    expect((await bob.subscribe('notifications.bob')).ok).toBe(true);
    // The ws-server refuses another user's notification channel.
    expect((await bob.subscribe('notifications.alice')).ok).toBe(false);

    const id = await producer.enqueue({ userId: 'alice', payload: { kind: 'invoice.paid', amount: 42 } });
    await waitFor(() => alice.received.length === 1, 5_000, 'alice receives the notification');
    const [pub] = alice.received;
    expect(pub).toMatchObject({
      channel: 'notifications.alice',
      offset: 1,
      data: { id, userId: 'alice', payload: { kind: 'invoice.paid', amount: 42 }, attempt: 1 },
    });
    const queue = new Queue(NOTIFICATIONS_QUEUE, { connection: pool.bullmq(), prefix: 'e2e' });
    await waitFor(async () => (await queue.getJobState(id)) === 'completed', 5_000, 'job completed');
    await queue.close();
    expect(bob.received).toEqual([]);
  });

  test('a group notification reaches every member subscribed to notifications.group.<group>', async () => {
    const carol = await connect(servers[0]!.address.url, 'carol', { groups: ['ops'] });
    const dave = await connect(servers[1]!.address.url, 'dave', { groups: ['ops', 'dev'] });
    const erin = await connect(servers[1]!.address.url, 'erin', { groups: ['dev'] });
    expect((await carol.subscribe('notifications.group.ops')).ok).toBe(true);
    expect((await dave.subscribe('notifications.group.ops')).ok).toBe(true);
    expect((await erin.subscribe('notifications.group.ops')).ok).toBe(false); // not a member

    await producer.enqueue({ group: 'ops', payload: 'deploy finished' });
    await waitFor(() => carol.received.length === 1 && dave.received.length === 1, 5_000, 'both members');
    expect(carol.received[0]?.data).toMatchObject({ group: 'ops', payload: 'deploy finished' });
    expect(dave.received[0]?.data.id).toBe(carol.received[0]?.data.id);
    expect(erin.received).toEqual([]);
  });

  test('a client that was offline recovers the notification from the channel history', async () => {
    const first = await connect(servers[0]!.address.url, 'frank');
    const ack = await first.subscribe('notifications.frank');
    first.socket.disconnect();
    await producer.enqueue({ userId: 'frank', payload: 'while you were away' });
    const publisher = servers[0]!.publisher;
    await waitFor(
      async () => (await publisher.position('notifications.frank')).offset === ack.offset + 1,
      5_000,
      'published',
    );
    const again = await connect(servers[1]!.address.url, 'frank');
    const recovered = await again.subscribe('notifications.frank', { epoch: ack.epoch, offset: ack.offset });
    expect(recovered.recovered).toBe(true);
    expect(recovered.publications?.map((p) => p.data.payload)).toEqual(['while you were away']);
  });
});
