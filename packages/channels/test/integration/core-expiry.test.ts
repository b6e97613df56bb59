/**
 * channels_redis 4.0.0 `tests/test_core.py` cases 20–23 (message expiry), same set-ups and
 * timings; see core.test.ts for the others.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import { type RedisServer, startRedis, stopAll } from '@redpool/testkit';
import { expectNoMessage, Fixture, sleep, standalone } from '../helpers.js';

let redis: RedisServer;
const fx = new Fixture(standalone(() => redis));

beforeAll(async () => {
  redis = await startRedis();
});
afterEach(() => fx.cleanup());
afterAll(stopAll);

/** `send_three_messages_with_delay` / its group variant. */
async function sendThreeWithDelay(
  send: (m: { type: string; value: string }) => Promise<unknown>,
  delayMs: number,
) {
  await send({ type: 'test.message', value: 'First!' });
  await sleep(delayMs);
  await send({ type: 'test.message', value: 'Second!' });
  await sleep(delayMs);
  await send({ type: 'test.message', value: 'Third!' });
}

describe('test_core.py (message expiry)', () => {
  test('20 test_message_expiry__earliest_message_expires', async () => {
    const layer = fx.layer({ expirySeconds: 3 });
    const channel = layer.newChannel();
    await sendThreeWithDelay((m) => layer.send(channel, m), 2000);
    expect((await layer.receive(channel, { timeoutMs: 1000 })).value).toBe('Second!');
    expect((await layer.receive(channel, { timeoutMs: 1000 })).value).toBe('Third!');
    await expectNoMessage(layer, channel);
  });

  test('21 test_message_expiry__all_messages_under_expiration_time', async () => {
    const layer = fx.layer({ expirySeconds: 3 });
    const channel = layer.newChannel();
    await sendThreeWithDelay((m) => layer.send(channel, m), 1000);
    expect((await layer.receive(channel, { timeoutMs: 1000 })).value).toBe('First!');
    expect((await layer.receive(channel, { timeoutMs: 1000 })).value).toBe('Second!');
    expect((await layer.receive(channel, { timeoutMs: 1000 })).value).toBe('Third!');
  });

  test('22 test_message_expiry__group_send', async () => {
    const layer = fx.layer({ expirySeconds: 3 });
    const channel = layer.newChannel();
    await layer.groupAdd('test-group', channel);
    await sendThreeWithDelay((m) => layer.groupSend('test-group', m), 2000);
    expect((await layer.receive(channel, { timeoutMs: 1000 })).value).toBe('Second!');
    expect((await layer.receive(channel, { timeoutMs: 1000 })).value).toBe('Third!');
    await expectNoMessage(layer, channel);
  });

  test("23 test_message_expiry__group_send__one_channel_expires_message (an expired message is never delivered: channel_2's First! expires while channel_1 times out)", async () => {
    const layer = fx.layer({ expirySeconds: 3 });
    const channel1 = layer.newChannel();
    const channel2 = layer.newChannel('channel_2');
    await layer.groupAdd('test-group', channel1);
    await layer.groupAdd('test-group', channel2);
    await layer.send(channel1, { type: 'test.message', value: 'Zero!' });
    await sleep(2000);
    const firstSentAt = Date.now();
    await sendThreeWithDelay((m) => layer.groupSend('test-group', m), 1000);
    for (const value of ['First!', 'Second!', 'Third!']) {
      expect((await layer.receive(channel1, { timeoutMs: 1000 })).value).toBe(value);
    }
    await expectNoMessage(layer, channel1);
    // channels_redis still hands channel_2 its First! here, about 3 s after it was sent: it only
    // prunes on send. Make sure it is past its 3 s expiry, then it must not be delivered.
    await sleep(Math.max(0, firstSentAt + 3100 - Date.now()));
    for (const value of ['Second!', 'Third!']) {
      expect((await layer.receive(channel2, { timeoutMs: 1000 })).value).toBe(value);
    }
    await expectNoMessage(layer, channel2);
    expect(layer.stats().counters.dropped.expired).toBeGreaterThanOrEqual(2);
  });
});
