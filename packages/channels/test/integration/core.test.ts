/**
 * channels_redis 4.0.0 `tests/test_core.py`, ported case by case (numbering of the reference §7),
 * with the same set-ups, timings and expected outcomes. Where @redpool/channels deliberately
 * differs, the test name says how. Cases 11 and 13 (ten hosts) run on Redis Cluster in
 * cluster.test.ts; 20–23 in core-expiry.test.ts; 26–28 are unit tests (test/unit/serialize.test.ts, receive-buffer.test.ts).
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import { type RedisServer, startRedis, stopAll } from '@redpool/testkit';
import { ChannelFullError, type ChannelLayer, type ChannelLayerOptions } from '../../src/index.js';
import {
  captureLogger,
  expectNoMessage,
  Fixture,
  settle,
  sleep,
  standalone,
  uniquePrefix,
} from '../helpers.js';

let redis: RedisServer;
const fx = new Fixture(standalone(() => redis));

beforeAll(async () => {
  redis = await startRedis();
});
afterEach(() => fx.cleanup());
afterAll(stopAll);

/** The `channel_layer` fixture: capacity 3, channel_capacity {"tiny": 1}. */
function fixtureLayer(options: ChannelLayerOptions = {}): ChannelLayer {
  return fx.layer({ capacity: 3, channelCapacity: { tiny: 1 }, ...options });
}

describe('test_core.py', () => {
  test('1 test_send_receive', async () => {
    const layer = fixtureLayer();
    await layer.send('test-channel-1', { type: 'test.message', text: 'Ahoy-hoy!' });
    const message = await layer.receive('test-channel-1', { timeoutMs: 1000 });
    expect(message.type).toBe('test.message');
    expect(message.text).toBe('Ahoy-hoy!');
  });

  test('2 test_double_receive (no event loops in Node: two layers stand in for them; channel 2 is received first)', async () => {
    const pool = fx.pool();
    const prefix = uniquePrefix();
    const layer = fx.layer({ prefix, capacity: 3 }, pool);
    const channel1 = layer.newChannel();
    const channel2 = layer.newChannel();
    // channels_redis sends from other event loops and closes its pools after each send.
    const other = fx.layer({ prefix, capacity: 3 });
    await other.send(channel1, { type: 'test.message.1' });
    await other.close();
    const other2 = fx.layer({ prefix, capacity: 3 });
    await other2.send(channel2, { type: 'test.message.2' });
    await other2.close();
    expect((await layer.receive(channel2, { timeoutMs: 1000 })).type).toBe('test.message.2');
    expect((await layer.receive(channel1, { timeoutMs: 1000 })).type).toBe('test.message.1');
  });

  test('3 test_send_capacity', async () => {
    const layer = fixtureLayer();
    await layer.send('test-channel-1', { type: 'test.message' });
    await layer.send('test-channel-1', { type: 'test.message' });
    await layer.send('test-channel-1', { type: 'test.message' });
    const { error } = await settle(layer.send('test-channel-1', { type: 'test.message' }));
    expect(error).toBeInstanceOf(ChannelFullError);
    expect(error?.code).toBe('CHANNEL_ERR_FULL');
  });

  test('4 test_send_specific_capacity', async () => {
    const layer = fx.layer({ capacity: 3, channelCapacity: { one: 1 } });
    await layer.send('one', { type: 'test.message' });
    const { error } = await settle(layer.send('one', { type: 'test.message' }));
    expect(error?.code).toBe('CHANNEL_ERR_FULL');
  });

  test('5 test_process_local_send_receive', async () => {
    const layer = fixtureLayer();
    const channel = layer.newChannel();
    await layer.send(channel, { type: 'test.message', text: 'Local only please' });
    const message = await layer.receive(channel, { timeoutMs: 1000 });
    expect(message).toEqual({ type: 'test.message', text: 'Local only please' });
  });

  test('6 test_multi_send_receive', async () => {
    const layer = fx.layer();
    await layer.send('test-channel-3', { type: 'message.1' });
    await layer.send('test-channel-3', { type: 'message.2' });
    await layer.send('test-channel-3', { type: 'message.3' });
    expect((await layer.receive('test-channel-3', { timeoutMs: 1000 })).type).toBe('message.1');
    expect((await layer.receive('test-channel-3', { timeoutMs: 1000 })).type).toBe('message.2');
    expect((await layer.receive('test-channel-3', { timeoutMs: 1000 })).type).toBe('message.3');
  });

  test("7 test_reject_bad_channel (a typed ChannelInvalidNameError with Django Channels' message instead of TypeError)", async () => {
    const layer = fixtureLayer();
    const sent = await settle(layer.send('=+135!', { type: 'foom' }));
    expect(sent.error?.code).toBe('CHANNEL_ERR_INVALID_NAME');
    expect(sent.error?.message).toMatch(
      /^Channel name must be a valid unicode string with length < 100 containing only ASCII/,
    );
    const received = await settle(layer.receive('=+135!'));
    expect(received.error?.code).toBe('CHANNEL_ERR_INVALID_NAME');
  });

  test('8 test_reject_bad_client_prefix (a typed ChannelNotLocalError instead of AssertionError)', async () => {
    const layer = fixtureLayer();
    const { error } = await settle(layer.receive('not-client-prefix!local_part'));
    expect(error?.code).toBe('CHANNEL_ERR_NOT_LOCAL');
    expect(error?.message).toMatch(/Wrong client prefix/);
  });

  test('9 test_groups_basic', async () => {
    const layer = fx.layer();
    const channel1 = layer.newChannel('test-gr-chan-1');
    const channel2 = layer.newChannel('test-gr-chan-2');
    const channel3 = layer.newChannel('test-gr-chan-3');
    await layer.groupAdd('test-group', channel1);
    await layer.groupAdd('test-group', channel2);
    await layer.groupAdd('test-group', channel3);
    await layer.groupDiscard('test-group', channel2);
    await layer.groupSend('test-group', { type: 'message.1' });
    expect((await layer.receive(channel1, { timeoutMs: 1000 })).type).toBe('message.1');
    expect((await layer.receive(channel3, { timeoutMs: 1000 })).type).toBe('message.1');
    await expectNoMessage(layer, channel2);
  });

  test('10 test_groups_channel_full', async () => {
    const layer = fx.layer();
    await layer.groupAdd('test-group', 'test-gr-chan-1');
    for (let i = 0; i < 5; i++) {
      expect(await layer.groupSend('test-group', { type: 'message.1' })).toEqual({ delivered: 1, full: [] });
    }
  });

  test('12 test_groups_same_prefix', async () => {
    const layer = fx.layer();
    const channels = [
      layer.newChannel('test-gr-chan'),
      layer.newChannel('test-gr-chan'),
      layer.newChannel('test-gr-chan'),
    ];
    for (const channel of channels) await layer.groupAdd('test-group', channel);
    await layer.groupSend('test-group', { type: 'message.1' });
    for (const channel of channels)
      expect((await layer.receive(channel, { timeoutMs: 1000 })).type).toBe('message.1');
  });

  test('14 test_group_send_capacity (groupSend also returns the full channel; the same INFO log line)', async () => {
    const lines: Array<{ level: number; msg: string; full?: string[] }> = [];
    const layer = fixtureLayer({ logger: captureLogger(lines) });
    const channel = layer.newChannel();
    await layer.groupAdd('test-group', channel);
    const results = [];
    for (let i = 1; i <= 4; i++) results.push(await layer.groupSend('test-group', { type: `message.${i}` }));
    expect(results.map((r) => r.delivered)).toEqual([1, 1, 1, 0]);
    expect(results[3]!.full).toEqual([channel]);
    expect((await layer.receive(channel, { timeoutMs: 1000 })).type).toBe('message.1');
    expect((await layer.receive(channel, { timeoutMs: 1000 })).type).toBe('message.2');
    expect((await layer.receive(channel, { timeoutMs: 1000 })).type).toBe('message.3');
    await expectNoMessage(layer, channel);
    const info = lines.filter((l) => l.level === 30);
    expect(info.length).toBeGreaterThan(0);
    for (const line of info) expect(line.msg).toBe('1 of 1 channels over capacity in group test-group');
    expect(layer.stats().counters.full).toBe(1);
  });

  test('15 test_group_send_capacity_multiple_channels', async () => {
    const lines: Array<{ level: number; msg: string }> = [];
    const layer = fixtureLayer({ logger: captureLogger(lines) });
    const channel1 = layer.newChannel();
    const channel2 = layer.newChannel('channel_2');
    await layer.groupAdd('test-group', channel1);
    await layer.groupAdd('test-group', channel2);
    await layer.send(channel2, { type: 'message.0' });
    for (let i = 1; i <= 3; i++) await layer.groupSend('test-group', { type: `message.${i}` });
    for (const type of ['message.1', 'message.2', 'message.3']) {
      expect((await layer.receive(channel1, { timeoutMs: 1000 })).type).toBe(type);
    }
    for (const type of ['message.0', 'message.1', 'message.2']) {
      expect((await layer.receive(channel2, { timeoutMs: 1000 })).type).toBe(type);
    }
    await expectNoMessage(layer, channel2);
    const info = lines.filter((l) => l.level === 30);
    expect(info.length).toBeGreaterThan(0);
    for (const line of info) expect(line.msg).toBe('1 of 2 channels over capacity in group test-group');
  });

  test('16 test_repeated_group_send_with_async_to_sync (two groupSends to empty groups on new layers)', async () => {
    const prefix = uniquePrefix();
    for (const group of ['channel_name_1', 'channel_name_2']) {
      const layer = fx.layer({ prefix, capacity: 3 });
      expect(await layer.groupSend(group, { type: 'message.1' })).toEqual({ delivered: 0, full: [] });
      await layer.close();
    }
  });

  test('17 test_receive_cancel (aborting never loses a message: all are received or still queued)', async () => {
    const layer = fx.layer({ capacity: 30 });
    const channel = layer.newChannel();
    let sent = 0;
    let received = 0;
    for (let delay = 0; delay < 0.01; delay += 0.0001) {
      await layer.send(channel, { type: 'test.message', text: 'Ahoy-hoy!' });
      sent++;
      const controller = new AbortController();
      const receiving = settle(layer.receive(channel, { signal: controller.signal }));
      await sleep(delay * 1000);
      controller.abort();
      const { value, error } = await receiving;
      if (value !== undefined) received++;
      else expect(error?.code).toBe('CHANNEL_ERR_ABORTED');
    }
    for (;;) {
      const { value } = await settle(layer.receive(channel, { timeoutMs: 300 }));
      if (value === undefined) break;
      received++;
    }
    expect(received).toBe(sent);
  });

  test('18 test_random_reset__channel_name', () => {
    const layer = fx.layer();
    expect(layer.newChannel()).not.toBe(layer.newChannel());
  });

  test('19 test_random_reset__client_prefix', () => {
    expect(fx.layer().clientPrefix).not.toBe(fx.layer().clientPrefix);
  });

  test('24 test_default_group_key_format (hash-tagged for Cluster: asgi:group:{test_group})', () => {
    const layer = fx.layer({ prefix: 'asgi' });
    expect(layer.options.prefix).toBe('asgi');
    expect(layer.keys.group('test_group')).toBe('asgi:group:{test_group}');
  });

  test('25 test_custom_group_key_format (hash-tagged for Cluster)', () => {
    const layer = fx.layer({ prefix: 'test_prefix' });
    expect(layer.keys.group('test_group')).toBe('test_prefix:group:{test_group}');
  });
});
