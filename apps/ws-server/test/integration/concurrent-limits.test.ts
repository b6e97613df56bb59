import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { startRedis, stopAll } from '@redpool/testkit';
import type { ErrorAck, SubscribeAck, WsServer } from '../../src/index.js';
import { sleep, startInstance, stopAllServers, TestClient, waitFor } from '../helpers.js';

afterAll(stopAll);

const LIMIT = 128;
const REQUESTS = 1000;
let server: WsServer;
const clients: TestClient[] = [];

beforeAll(async () => {
  const redis = await startRedis();
  server = await startInstance(
    { url: redis.url },
    {
      maxSubscriptions: LIMIT,
      rateLimitPerSecond: 10_000,
      rateLimitBurst: 10_000,
      channels: 'chat.*=10:1h',
    },
    // A membership check that answers after a random delay spreads the requests' awaits out,
    // as a real policy looking things up would.
    {
      chatMembership: async () => {
        await sleep(Math.random() * 20);
        return true;
      },
    },
  );
});
afterAll(() => stopAllServers([server], clients));

describe('per-connection limits under concurrency', () => {
  test(`${REQUESTS} subscribes sent at once get exactly WS_MAX_SUBSCRIPTIONS=${LIMIT} subscriptions`, async () => {
    const c = new TestClient(server.address.url, 'flood');
    clients.push(c);
    await c.connected();
    const channels = Array.from({ length: REQUESTS }, (_, i) => `chat.flood-${i}`);
    // Twice each of the first channels, too: a duplicate in flight must not take a second slot.
    const requests = [...channels, ...channels.slice(0, 50)];
    const acks = (await Promise.all(
      requests.map((channel) => c.request('subscribe', { channel }, 15_000)),
    )) as (SubscribeAck | ErrorAck)[];
    const accepted = acks.filter((a): a is SubscribeAck => a.ok).map((a) => a.channel);
    const refused = acks.filter((a): a is ErrorAck => !a.ok).map((a) => a.error.code);
    expect(accepted).toHaveLength(LIMIT);
    expect(new Set(accepted).size).toBe(LIMIT);
    expect(refused.filter((code) => code === 'WS_ERR_TOO_MANY_SUBSCRIPTIONS').length).toBeGreaterThan(0);
    expect(new Set(refused)).toEqual(new Set(['WS_ERR_TOO_MANY_SUBSCRIPTIONS', 'WS_ERR_ALREADY_SUBSCRIBED']));
    expect(refused).toHaveLength(requests.length - LIMIT);

    const stats = await (await fetch(`${server.address.url}/stats`)).json();
    expect(stats).toMatchObject({ subscriptions: LIMIT });

    // Live deliveries: a message to every channel reaches the client on exactly the accepted ones.
    for (const channel of channels) await server.publisher.publish(channel, { channel });
    await waitFor(
      () => `${[...c.received.keys()].length} channels delivered`,
      () => c.received.size >= LIMIT,
      10_000,
    );
    await sleep(300);
    expect(new Set(c.received.keys())).toEqual(new Set(accepted));

    // Freed slots are reusable, still exactly up to the limit.
    const freed = accepted.slice(0, 10);
    await Promise.all(freed.map((channel) => c.unsubscribe(channel)));
    const again = (await Promise.all(
      channels.slice(-100).map((channel) => c.request('subscribe', { channel }, 15_000)),
    )) as (SubscribeAck | ErrorAck)[];
    expect(again.filter((a) => a.ok)).toHaveLength(freed.length);
    expect(server.stats().subscriptions).toBe(LIMIT);
  });
});
