/**
 * Where @redpool/channels deliberately differs from channels_redis (issue #5, "Semantics"), and
 * the features channels_redis has no test for. Each test is named for the difference.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import { type RedisServer, startRedis, stopAll } from '@redpool/testkit';
import { expectNoMessage, Fixture, settle, sleep, standalone, waitFor } from '../helpers.js';

let redis: RedisServer;
const fx = new Fixture(standalone(() => redis));

beforeAll(async () => {
  redis = await startRedis();
});
afterEach(() => fx.cleanup());
afterAll(stopAll);

describe('capacity is atomic and per channel', () => {
  test.each([
    ['a general channel', false],
    ['a process-specific channel', true],
  ])(
    '50 concurrent senders on %s of capacity 10: exactly 10 accepted, 40 ChannelFullError (channels_redis counts then adds and overshoots)',
    async (_, specific) => {
      const receiver = fx.layer({ capacity: 10 });
      const channel = specific ? receiver.newChannel() : 'atomic-capacity';
      const senders = Array.from({ length: 50 }, () =>
        fx.layer({ prefix: receiver.options.prefix, capacity: 10 }),
      );
      const results = await Promise.all(senders.map((s, i) => settle(s.send(channel, { type: 'm', i }))));
      expect(results.filter((r) => r.error === undefined).length).toBe(10);
      const errors = results.filter((r) => r.error !== undefined).map((r) => r.error!);
      expect(errors.length).toBe(40);
      for (const error of errors) expect(error.code).toBe('CHANNEL_ERR_FULL');
      const got = [];
      for (let i = 0; i < 10; i++) got.push(await receiver.receive(channel, { timeoutMs: 1000 }));
      expect(got.length).toBe(10);
      await expectNoMessage(receiver, channel, 300);
    },
  );

  test('process-specific channels each have their own capacity (channels_redis #97 shares one among all of a process)', async () => {
    const layer = fx.layer({ capacity: 3 });
    const channels = [layer.newChannel(), layer.newChannel(), layer.newChannel()];
    for (const channel of channels) {
      for (let i = 0; i < 3; i++) await layer.send(channel, { type: 'm', i });
    }
    for (const channel of channels) {
      expect((await settle(layer.send(channel, { type: 'm' }))).error?.code).toBe('CHANNEL_ERR_FULL');
    }
    // Receiving one frees exactly one place in that channel only.
    expect((await layer.receive(channels[0]!, { timeoutMs: 1000 })).i).toBe(0);
    await waitFor(
      async () => (await settle(layer.send(channels[0]!, { type: 'm', i: 3 }))).error === undefined,
      1000,
      'room',
    );
    expect((await settle(layer.send(channels[1]!, { type: 'm' }))).error?.code).toBe('CHANNEL_ERR_FULL');
  });

  test('a full general channel takes new messages once its old ones expired', async () => {
    const layer = fx.layer({ capacity: 2, expirySeconds: 1 });
    await layer.send('expiring', { type: 'm', i: 1 });
    await layer.send('expiring', { type: 'm', i: 2 });
    expect((await settle(layer.send('expiring', { type: 'm' }))).error?.code).toBe('CHANNEL_ERR_FULL');
    await sleep(1100);
    await layer.send('expiring', { type: 'm', i: 3 });
    expect((await layer.receive('expiring', { timeoutMs: 1000 })).i).toBe(3);
  });
});

describe('expiry', () => {
  test.each([
    ['a general channel', false],
    ['a process-specific channel', true],
  ])(
    'an expired message on %s is never delivered, even if nothing was sent since (channels_redis only prunes on send)',
    async (_, specific) => {
      const layer = fx.layer({ expirySeconds: 1 });
      const channel = specific ? layer.newChannel() : 'expiry-general';
      await layer.send(channel, { type: 'm', value: 'old' });
      await sleep(1100);
      await expectNoMessage(layer, channel, 500);
      // Behind a younger message (sent with a longer expiry) the old one outlives its key's TTL:
      // the pop itself must drop it.
      const patient = fx.layer({ prefix: layer.options.prefix, expirySeconds: 60 });
      const dropped: string[] = [];
      layer.on('messageDropped', (e) => dropped.push(`${e.reason}:${e.count}`));
      await layer.send(channel, { type: 'm', value: 'old' });
      await patient.send(channel, { type: 'm', value: 'young' });
      await sleep(1100);
      expect((await layer.receive(channel, { timeoutMs: 1000 })).value).toBe('young');
      await expectNoMessage(layer, channel, 300);
      // A specific channel's inbox outlives its messages, so the first 'old' was dropped by a pop too.
      expect(layer.stats().counters.dropped.expired).toBe(specific ? 2 : 1);
      expect(dropped).toEqual(['expired:1']);
    },
  );

  test('a message waiting in memory for its receive (popped with others) expires there too', async () => {
    const layer = fx.layer({ expirySeconds: 1 });
    const a = layer.newChannel();
    const b = layer.newChannel();
    await layer.groupAdd('pair', a);
    await layer.groupAdd('pair', b);
    await layer.groupSend('pair', { type: 'm' });
    expect((await layer.receive(a, { timeoutMs: 1000 })).type).toBe('m'); // b's copy now waits in memory
    await sleep(1100);
    await expectNoMessage(layer, b, 300);
    expect(layer.stats().counters.dropped.expired).toBe(1);
  });

  test('group members older than groupExpirySeconds are pruned; groupAdd refreshes', async () => {
    const layer = fx.layer({ groupExpirySeconds: 1 });
    const stale = layer.newChannel();
    const fresh = layer.newChannel();
    await layer.groupAdd('room', stale);
    await layer.groupAdd('room', fresh);
    await sleep(600);
    await layer.groupAdd('room', fresh);
    await sleep(600);
    expect(await layer.groupSend('room', { type: 'm' })).toEqual({ delivered: 1, full: [] });
    expect((await layer.receive(fresh, { timeoutMs: 1000 })).type).toBe('m');
    await expectNoMessage(layer, stale, 300);
  });
});

describe('groupSend never drops silently', () => {
  test('returns { delivered, full }, counts full members by operation, and mixes general and specific members', async () => {
    const lines: Array<{ level: number; msg: string; full?: string[] }> = [];
    const layer = fx.layer({ capacity: 1, channelCapacity: { 'big.*': 5 } });
    const a = layer.newChannel();
    const b = layer.newChannel('other');
    for (const channel of [a, b, 'general-1', 'big.general']) await layer.groupAdd('mixed', channel);
    expect(await layer.groupSend('mixed', { type: 'm', n: 1 })).toEqual({ delivered: 4, full: [] });
    const second = await layer.groupSend('mixed', { type: 'm', n: 2 });
    expect(second.delivered).toBe(1);
    expect(second.full.sort()).toEqual([a, b, 'general-1'].sort());
    expect(layer.stats().counters.full).toBe(3);
    expect((await layer.receive('big.general', { timeoutMs: 1000 })).n).toBe(1);
    expect((await layer.receive('big.general', { timeoutMs: 1000 })).n).toBe(2);
    expect((await layer.receive(a, { timeoutMs: 1000 })).n).toBe(1);
    void lines;
  });

  test('groupDiscard of a channel that never joined does nothing', async () => {
    const layer = fx.layer();
    await layer.groupDiscard('nobody', layer.newChannel());
    await layer.groupDiscard('nobody', 'general');
    expect(await layer.groupSend('nobody', { type: 'm' })).toEqual({ delivered: 0, full: [] });
  });
});
