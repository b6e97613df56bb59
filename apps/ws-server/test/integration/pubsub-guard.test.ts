import { beforeAll, describe, expect, test } from '@jest/globals';
import { createLogger, createPool, type Pool, type RedisConnection } from '@redpool/pool';
import { waitUntil } from '@redpool/testkit';
import { useRedis } from '@redpool/testkit/jest';
import { PubSubGuard, SUBSCRIBE_GRACE_MS } from '../../src/channels/pubsub-guard.js';

const redis = useRedis();
let pool: Pool;
let subscriber: RedisConnection;
let guard: PubSubGuard;

beforeAll(async () => {
  pool = createPool({ url: redis.url, name: 'guard-test', maxConnections: 2 });
  subscriber = await pool.subscriber();
  guard = new PubSubGuard(subscriber, createLogger({ name: 'guard-test', level: 'silent' }), 'subscriber');
  redis.beforeStop(async () => {
    if (redis.server.isFrozen) await redis.server.thaw();
    guard.close();
    subscriber.disconnect();
    await pool.close();
  });
});

describe('PubSubGuard.healthy: a subscription in flight is normal, a stuck one is not', () => {
  test('a new room channel on a responsive Redis never makes the subscriber unhealthy', async () => {
    const subscribing = subscriber.ssubscribe('room:a');
    expect(guard.healthy).toBe(true); // asked for, not yet confirmed: within the grace period
    await subscribing;
    await guard.ready('room:a', 1_000);
    expect(guard.healthy).toBe(true);
  });

  test(`a subscription pending longer than ${SUBSCRIBE_GRACE_MS} ms (Redis frozen) counts against health until it lands`, async () => {
    await redis.server.freeze();
    const subscribing = subscriber.ssubscribe('room:b').catch(() => undefined);
    expect(guard.healthy).toBe(true);
    const unhealthyAfter = await waitUntil(() => !guard.healthy, SUBSCRIBE_GRACE_MS + 2_000, 'unhealthy');
    expect(unhealthyAfter).toBeGreaterThanOrEqual(SUBSCRIBE_GRACE_MS - 100);
    await redis.server.thaw();
    await subscribing;
    await guard.ready('room:b', 5_000);
    expect(guard.healthy).toBe(true);
  }, 15_000);
});
