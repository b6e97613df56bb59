/**
 * Receiving, flush, encryption and metrics: where @redpool/channels deliberately differs from
 * channels_redis, and what channels_redis has no test for. Each test is named for the difference.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import { type RedisServer, startRedis, stopAll } from '@redpool/testkit';
import { Registry } from 'prom-client';
import { ChannelLayerClosedError, registerChannelMetrics } from '../../src/index.js';
import { expectNoMessage, Fixture, settle, sleep, standalone, uniquePrefix, waitFor } from '../helpers.js';

let redis: RedisServer;
const fx = new Fixture(standalone(() => redis));

beforeAll(async () => {
  redis = await startRedis();
});
afterEach(() => fx.cleanup());
afterAll(stopAll);

describe('receiving', () => {
  test('many receives on many channels share ONE blocking connection from the exclusive lane', async () => {
    const pool = fx.pool();
    const layer = fx.layer({}, pool);
    const channels = [
      ...Array.from({ length: 40 }, (_, i) => `general-${i}`),
      ...Array.from({ length: 40 }, () => layer.newChannel('p1')),
      ...Array.from({ length: 40 }, () => layer.newChannel('p2')),
    ];
    const receives = channels.map((c) => layer.receive(c, { timeoutMs: 5000 }));
    await waitFor(async () => (await blockedClients()) === 1, 2000, 'the blocking pop');
    await sleep(200);
    expect(await blockedClients()).toBe(1);
    expect(pool.stats().inUse).toBe(1);
    expect(layer.stats()).toMatchObject({ pendingReceives: 120, receivingChannels: 120 });
    const sender = fx.layer({ prefix: layer.options.prefix });
    await Promise.all(channels.map((c, i) => sender.send(c, { type: 'm', i })));
    const got = await Promise.all(receives);
    expect(got.map((m) => m.i)).toEqual(channels.map((_, i) => i));
    expect(pool.stats().inUse).toBeLessThanOrEqual(1);
  });

  test('concurrent receives on one channel get its messages in order', async () => {
    const layer = fx.layer();
    for (const channel of ['fifo-general', layer.newChannel()]) {
      const receives = Array.from({ length: 20 }, () => layer.receive(channel, { timeoutMs: 2000 }));
      for (let i = 0; i < 20; i++) await layer.send(channel, { type: 'm', i });
      expect((await Promise.all(receives)).map((m) => m.i)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    }
  });

  test('receives aborted at any moment never lose a general-channel message (at-least-once: popped ones go back to the head)', async () => {
    const layer = fx.layer({ capacity: 1000 });
    const channel = 'cancel-general';
    let sent = 0;
    let received = 0;
    const order: number[] = [];
    for (let i = 0; i < 150; i++) {
      await layer.send(channel, { type: 'm', i });
      sent++;
      const controller = new AbortController();
      const receiving = settle(layer.receive(channel, { signal: controller.signal }));
      await new Promise<void>((resolve) =>
        i % 3 === 0 ? setImmediate(resolve) : setTimeout(resolve, i % 4),
      );
      controller.abort(new Error('gone'));
      const { value, error } = await receiving;
      if (value !== undefined) {
        received++;
        order.push(value.i as number);
      } else {
        expect(error?.code).toBe('CHANNEL_ERR_ABORTED');
        expect(error?.cause).toEqual(new Error('gone'));
      }
    }
    for (;;) {
      const { value } = await settle(layer.receive(channel, { timeoutMs: 300 }));
      if (value === undefined) break;
      received++;
      order.push(value.i as number);
    }
    expect(received).toBe(sent);
    expect([...order].sort((a, b) => a - b)).toEqual(Array.from({ length: sent }, (_, i) => i));
  });

  test('an already aborted signal rejects at once and takes nothing', async () => {
    const layer = fx.layer();
    await layer.send('aborted', { type: 'm' });
    const { error } = await settle(layer.receive('aborted', { signal: AbortSignal.abort() }));
    expect(error?.code).toBe('CHANNEL_ERR_ABORTED');
    expect((await layer.receive('aborted', { timeoutMs: 1000 })).type).toBe('m');
  });

  test('close() rejects pending receives with a typed error and gives the connection back', async () => {
    const pool = fx.pool();
    const layer = fx.layer({}, pool);
    const statuses: string[] = [];
    layer.on('status', (s) => statuses.push(s));
    const pending = [
      settle(layer.receive('never', { timeoutMs: 10_000 })),
      settle(layer.receive(layer.newChannel())),
    ];
    await waitFor(() => pool.stats().inUse === 1, 2000, 'the lease');
    const started = Date.now();
    await layer.close();
    expect(Date.now() - started).toBeLessThan(1000);
    for (const { error } of await Promise.all(pending)) {
      expect(error).toBeInstanceOf(ChannelLayerClosedError);
      expect(error?.code).toBe('CHANNEL_ERR_CLOSED');
    }
    expect(pool.stats().inUse).toBe(0);
    expect(layer.status).toBe('closed');
    await sleep(10);
    expect(statuses).toEqual(['closing', 'closed']);
    expect((await settle(layer.send('x', { type: 'm' }))).error?.code).toBe('CHANNEL_ERR_CLOSED');
    expect((await settle(layer.receive('x'))).error?.code).toBe('CHANNEL_ERR_CLOSED');
    await layer.close();
  });
});

describe('flush', () => {
  test('deletes this prefix only, found with SCAN (channels_redis runs KEYS prefix* and also hits "asgi2")', async () => {
    const base = uniquePrefix('asgi');
    const layer = fx.layer({ prefix: base });
    const neighbour = fx.layer({ prefix: `${base}2` });
    const channel = layer.newChannel();
    await layer.send('general', { type: 'm' });
    await layer.send(channel, { type: 'm' });
    await layer.groupAdd('g', channel);
    await neighbour.send('general', { type: 'm' });
    const keysBefore = await redis.info('commandstats');
    await layer.flush();
    const keysAfter = await redis.info('commandstats');
    expect(keysAfter.cmdstat_keys).toBe(keysBefore.cmdstat_keys);
    expect(Number(/calls=(\d+)/.exec(keysAfter.cmdstat_scan ?? '')?.[1])).toBeGreaterThan(
      Number(/calls=(\d+)/.exec(keysBefore.cmdstat_scan ?? 'calls=0')?.[1]),
    );
    expect(await redis.command('KEYS', `${base}:*`)).toEqual([]);
    expect((await neighbour.receive('general', { timeoutMs: 1000 })).type).toBe('m');
    await expectNoMessage(layer, 'general', 200);
    expect(await layer.groupSend('g', { type: 'm' })).toEqual({ delivered: 0, full: [] });
    await layer.send('general', { type: 'after' });
    expect((await layer.receive('general', { timeoutMs: 1000 })).type).toBe('after');
  });
});

describe('encryption and serializers', () => {
  test('encrypted end to end; a receiver without the key gets ChannelDecryptError and the message is counted, never delivered', async () => {
    const prefix = uniquePrefix();
    const secure = fx.layer({ prefix, symmetricEncryptionKeys: ['s3cret-key-with-enough-entropy'] });
    const plain = fx.layer({ prefix });
    const wrong = fx.layer({ prefix, symmetricEncryptionKeys: ['another-key'] });
    await secure.send('enc', { type: 'm', text: 'top secret' });
    const stored = (await redis.command('LRANGE', `${prefix}:chan:{enc}`, 0, -1)) as string[];
    expect(stored.join('')).not.toContain('top secret');
    expect((await secure.receive('enc', { timeoutMs: 1000 })).text).toBe('top secret');
    for (const layer of [plain, wrong]) {
      await secure.send('enc', { type: 'm', text: 'top secret' });
      const { error } = await settle(layer.receive('enc', { timeoutMs: 1000 }));
      expect(error?.code).toBe('CHANNEL_ERR_DECRYPT');
      expect(layer.stats().counters.dropped.decrypt).toBe(1);
      await expectNoMessage(secure, 'enc', 200);
    }
  });

  test('json serializer end to end', async () => {
    const prefix = uniquePrefix();
    const json = fx.layer({ prefix, serializer: 'json' });
    const msgpack = fx.layer({ prefix });
    await json.send('ser', { type: 'm', nested: { list: [1, 'two', null] } });
    const stored = (await redis.command('LRANGE', `${prefix}:chan:{ser}`, 0, -1)) as string[];
    expect(stored[0]).toContain('"nested":{"list":[1,"two",null]}');
    expect(await msgpack.receive('ser', { timeoutMs: 1000 })).toEqual({
      type: 'm',
      nested: { list: [1, 'two', null] },
    });
  });
});

test('metrics: registerChannelMetrics exposes counters and gauges by prefix and pattern', async () => {
  const registry = new Registry();
  const layer = fx.layer({ capacity: 1, channelCapacity: { 'chat.*': 2 } });
  const unregister = registerChannelMetrics(layer, registry);
  await layer.send('chat.1', { type: 'm' });
  await layer.send('chat.1', { type: 'm' });
  await settle(layer.send('chat.1', { type: 'm' }));
  await layer.receive('chat.1');
  const pending = settle(layer.receive('other', { timeoutMs: 2000 }));
  const text = await registry.metrics();
  const prefix = layer.options.prefix;
  expect(text).toContain(
    `redpool_channel_messages_total{prefix="${prefix}",pattern="chat.*",direction="sent"} 2`,
  );
  expect(text).toContain(
    `redpool_channel_messages_total{prefix="${prefix}",pattern="chat.*",direction="delivered"} 1`,
  );
  expect(text).toContain(
    `redpool_channel_full_total{prefix="${prefix}",pattern="chat.*",operation="send"} 1`,
  );
  expect(text).toContain(`redpool_channel_pending_receives{prefix="${prefix}"} 1`);
  expect(text).toContain('redpool_channel_dropped_messages_total');
  unregister();
  await layer.send('other', { type: 'm' });
  await pending;
  expect(await registry.metrics()).not.toContain(`prefix="${prefix}"`);
});

async function blockedClients(): Promise<number> {
  const list = String(await redis.command('CLIENT', 'LIST'));
  return list.split('\n').filter((line) => / cmd=blpop /.test(line)).length;
}
