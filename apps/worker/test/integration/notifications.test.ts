import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createPool, type Pool } from '@redpool/pool';
import { type RedisServer, startRedis, stopAll } from '@redpool/testkit';
import { Queue } from 'bullmq';
import { createWorkerApp, type WorkerApp } from '../../src/app.js';
import { resolveConfig } from '../../src/config.js';
import { EnqueueTimeoutError, InvalidNotificationError, InvalidOptionError } from '../../src/errors.js';
import { NOTIFICATIONS_QUEUE } from '../../src/keys.js';
import type { NotificationMessage } from '../../src/notifications/notification.js';
import type { NotificationTransport } from '../../src/notifications/processor.js';
import { createNotificationProducer, type NotificationProducer } from '../../src/notifications/producer.js';
import { memoryLogger, waitFor, withDeadline } from '../helpers.js';

let redis: RedisServer;
let pool: Pool;
let app: WorkerApp;
let producer: NotificationProducer;
let queue: Queue;

/** A transport that records deliveries and fails on demand (the failure is the transport's, not Redis'). */
const delivered: { channel: string; message: NotificationMessage; at: number }[] = [];
const failuresLeft = new Map<string, number>();
const recordingTransport: NotificationTransport = {
  async publish(channel, message) {
    delivered.push({ channel, message, at: Date.now() });
    const left = failuresLeft.get(channel) ?? 0;
    if (left > 0) {
      failuresLeft.set(channel, left - 1);
      throw new Error(`fan-out refused ${channel}`);
    }
  },
};
const deliveriesTo = (channel: string) => delivered.filter((d) => d.channel === channel);

beforeAll(async () => {
  redis = await startRedis();
  pool = createPool({ url: redis.url, name: 'producer' });
  app = createWorkerApp({
    config: resolveConfig({
      redisUrl: redis.url,
      httpHost: '127.0.0.1',
      httpPort: 0,
      keyPrefix: 'notify',
      bullmqPrefix: 'nq',
      shutdownTimeoutMs: 1_000,
    }),
    transport: () => recordingTransport,
    logger: memoryLogger('error').log,
  });
  await app.start();
  producer = createNotificationProducer(pool, { prefix: 'nq', attempts: 3, backoffMs: 100 });
  queue = new Queue(NOTIFICATIONS_QUEUE, { connection: pool.bullmq(), prefix: 'nq' });
});

afterAll(async () => {
  await app.close();
  await producer.close();
  await queue.close();
  await pool.close({ timeoutMs: 1_000 });
  await stopAll();
});

describe('notifications', () => {
  test('a user notification is delivered to notifications.<userId> with its job id', async () => {
    const id = await producer.enqueue({ userId: 'u-1', payload: { text: 'hello', n: 1 } });
    await waitFor(() => deliveriesTo('notifications.u-1').length === 1, 5_000, 'delivery');
    const [d] = deliveriesTo('notifications.u-1');
    expect(d?.message).toMatchObject({ id, userId: 'u-1', payload: { text: 'hello', n: 1 }, attempt: 1 });
    expect(Date.parse(d!.message.createdAt)).toBeGreaterThan(0);
    await waitFor(async () => (await queue.getJobState(id)) === 'completed', 5_000, 'completed');
    expect((await queue.getJob(id))?.returnvalue).toEqual({ channel: 'notifications.u-1', attempt: 1 });
  });

  test('a group notification is delivered to notifications.group.<group>', async () => {
    await producer.enqueue({ group: 'team-7', payload: 'deploy done' });
    await waitFor(() => deliveriesTo('notifications.group.team-7').length === 1, 5_000, 'group delivery');
    expect(deliveriesTo('notifications.group.team-7')[0]?.message).toMatchObject({
      group: 'team-7',
      payload: 'deploy done',
    });
  });

  test('a failing delivery is retried with exponential backoff and succeeds', async () => {
    failuresLeft.set('notifications.flaky', 2);
    const id = await producer.enqueue({ userId: 'flaky', payload: 1 });
    await waitFor(
      async () => (await queue.getJobState(id)) === 'completed',
      8_000,
      'completed after retries',
    );
    const attempts = deliveriesTo('notifications.flaky');
    expect(attempts.map((a) => a.message.attempt)).toEqual([1, 2, 3]);
    expect(new Set(attempts.map((a) => a.message.id))).toEqual(new Set([id]));
    // backoffMs 100: ~100 ms before the 2nd attempt, ~200 ms before the 3rd.
    expect(attempts[1]!.at - attempts[0]!.at).toBeGreaterThanOrEqual(90);
    expect(attempts[2]!.at - attempts[1]!.at).toBeGreaterThanOrEqual(190);
  });

  test('after the last attempt the job lands in the failed set with the reason', async () => {
    failuresLeft.set('notifications.broken', 100);
    const id = await producer.enqueue({ userId: 'broken', payload: { x: 1 } });
    await waitFor(async () => (await queue.getJobState(id)) === 'failed', 8_000, 'failed');
    const job = await queue.getJob(id);
    expect(job?.attemptsMade).toBe(3);
    expect(job?.failedReason).toBe(
      'Delivery to notifications.broken failed: fan-out refused notifications.broken',
    );
    expect(deliveriesTo('notifications.broken')).toHaveLength(3);
    const failed = await queue.getFailed();
    expect(failed.map((j) => j.id)).toContain(id);
  });

  test('invalid data put on the queue directly fails at once, without retries', async () => {
    const job = await queue.add('notification', { userId: 'a', group: 'b', payload: 1 }, { attempts: 5 });
    await waitFor(async () => (await job.getState()) === 'failed', 5_000, 'failed');
    const fresh = await queue.getJob(job.id!);
    expect(fresh?.attemptsMade).toBe(1);
    expect(fresh?.failedReason).toContain('exactly one of userId or group');
  });

  test('the producer validates before anything reaches Redis', async () => {
    const before = await queue.count();
    const bad: unknown[] = [
      { payload: 1 },
      { userId: 'a', group: 'b', payload: 1 },
      { userId: 'has.dot', payload: 1 },
      { userId: '', payload: 1 },
      { userId: 'x'.repeat(129), payload: 1 },
      { group: 42, payload: 1 },
      { userId: 'a' },
      { userId: 'a', payload: undefined },
      { userId: 'a', payload: 'x'.repeat(70_000) },
      { userId: 'a', payload: 10n },
      null,
      'u1',
    ];
    for (const job of bad) {
      await expect(producer.enqueue(job as never)).rejects.toBeInstanceOf(InvalidNotificationError);
    }
    await expect(producer.enqueue({ userId: 'a', payload: 1 }, { jobId: 'a:b' })).rejects.toBeInstanceOf(
      InvalidOptionError,
    );
    await expect(producer.enqueue({ userId: 'a', payload: 1 }, { delayMs: -1 })).rejects.toThrow(/delayMs/);
    expect(() => createNotificationProducer(pool, { attempts: 0 })).toThrow(
      /"attempts": 0; allowed: an integer from 1 to 100/,
    );
    expect(await queue.count()).toBe(before);
  });

  test('a jobId makes enqueueing idempotent', async () => {
    const first = await producer.enqueue({ userId: 'idem', payload: 1 }, { jobId: 'order-17-shipped' });
    const second = await producer.enqueue({ userId: 'idem', payload: 2 }, { jobId: 'order-17-shipped' });
    expect(second).toBe(first);
    await waitFor(() => deliveriesTo('notifications.idem').length >= 1, 5_000, 'delivery');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(deliveriesTo('notifications.idem').map((d) => d.message.payload)).toEqual([1]);
  });

  test('enqueue has a deadline when Redis does not answer', async () => {
    const frozen = await startRedis();
    const frozenPool = createPool({ url: frozen.url, name: 'frozen' });
    const slow = createNotificationProducer(frozenPool, { timeoutMs: 300 });
    await frozen.freeze();
    const started = Date.now();
    await expect(slow.enqueue({ userId: 'a', payload: 1 })).rejects.toBeInstanceOf(EnqueueTimeoutError);
    expect(Date.now() - started).toBeLessThan(2_000);
    await frozen.thaw();
    await withDeadline(slow.close(), 5_000, 'producer close');
    await frozenPool.close({ timeoutMs: 500 });
    await frozen.stop();
  });
});
