/**
 * Redis dies mid-stream (SIGKILL) and comes back: senders get typed errors for what was not
 * stored (never a silent loss), receivers keep waiting and resume after the restart. The server
 * runs with appendonly + appendfsync always, so what Redis acknowledged survives the kill.
 *
 * One window is inherent to popping without acknowledgements (README, "at-least-once"): a pop
 * Redis executed and persisted whose reply died with the connection. At most one such message per
 * channel (one pop in flight per channel here), the one right after the last received before the kill.
 */
import { afterAll, afterEach, beforeAll, expect, test } from '@jest/globals';
import { PoolError } from '@redpool/pool';
import { type RedisServer, startRedis, stopAll } from '@redpool/testkit';
import type { ChannelLayer } from '../../src/index.js';
import { Fixture, sleep, standalone, waitFor } from '../helpers.js';

let redis: RedisServer;
const fx = new Fixture(standalone(() => redis));

beforeAll(async () => {
  redis = await startRedis({ extraConfig: { appendonly: 'yes', appendfsync: 'always' } });
});
afterEach(() => fx.cleanup());
afterAll(stopAll);

interface Stream {
  accepted: number[];
  rejected: Array<{ i: number; code: string | undefined }>;
  received: number[];
  receiveErrors: string[];
}

test('Redis killed mid-stream: senders get errors, not silent loss; receivers resume after restart', async () => {
  const pool = fx.pool({
    commandTimeoutMs: 400,
    connectTimeoutMs: 400,
    acquireTimeoutMs: 400,
    retry: { attempts: 1000, baseDelayMs: 20, maxDelayMs: 200 },
  });
  const layer = fx.layer({ capacity: 100_000, receiveBlockMs: 1000 }, pool);
  const failures: string[] = [];
  layer.on('receiveFailed', (err) => failures.push(err.message));
  const channels = ['stream-general', layer.newChannel()];
  const streams = new Map<string, Stream>(
    channels.map((c) => [c, { accepted: [], rejected: [], received: [], receiveErrors: [] }]),
  );
  let running = true;

  const sender = (async () => {
    for (let i = 0; running; i++) {
      await Promise.all(
        channels.map(async (channel) => {
          const s = streams.get(channel)!;
          try {
            await layer.send(channel, { type: 'seq', i });
            s.accepted.push(i);
          } catch (err) {
            expect(err).toBeInstanceOf(PoolError);
            s.rejected.push({ i, code: (err as PoolError).code });
          }
        }),
      );
      await sleep(5);
    }
  })();
  const receivers = channels.map((channel) =>
    receiveAll(layer, channel, streams.get(channel)!, () => running),
  );

  await waitFor(
    () => channels.every((c) => streams.get(c)!.received.length >= 20),
    5000,
    'traffic before the kill',
  );
  await redis.kill();
  const receivedAtKill = channels.map((c) => streams.get(c)!.received.length);
  const acceptedAtKill = channels.map((c) => streams.get(c)!.accepted.length);
  await sleep(1000);
  expect(channels.map((c) => streams.get(c)!.accepted.length)).toEqual(acceptedAtKill);
  await redis.restart();
  const acceptedAtRestart = channels.map((c) => streams.get(c)!.accepted.length);
  await waitFor(
    () => channels.every((c, k) => streams.get(c)!.received.length >= acceptedAtRestart[k]! + 20),
    15_000,
    'receivers to resume after the restart',
  );
  running = false;
  await sender;
  await Promise.all(receivers);
  // Drain what is left.
  for (const channel of channels) await receiveAll(layer, channel, streams.get(channel)!, () => false);

  for (const [k, channel] of channels.entries()) {
    const s = streams.get(channel)!;
    // Senders were told: every send during the outage failed with a pool error code.
    expect(s.rejected.length).toBeGreaterThan(0);
    for (const r of s.rejected) expect(r.code).toMatch(/^POOL_ERR_/);
    // No silent loss: everything Redis acknowledged was received, once, in order, except at most
    // the one pop in flight when Redis died.
    const received = new Set(s.received);
    const missing = s.accepted.filter((i) => !received.has(i));
    expect(missing.length).toBeLessThanOrEqual(1);
    const lastBeforeKill = s.received[receivedAtKill[k]! - 1]!;
    for (const i of missing)
      expect(s.received.slice(receivedAtKill[k]!).every((r) => r > i) && i > lastBeforeKill).toBe(true);
    expect(s.received).toEqual([...s.received].sort((a, b) => a - b));
    expect(received.size).toBe(s.received.length);
    // A send that timed out may still have been stored: received ⊆ accepted ∪ rejected.
    const attempted = new Set([...s.accepted, ...s.rejected.map((r) => r.i)]);
    expect(s.received.every((i) => attempted.has(i))).toBe(true);
    expect(s.receiveErrors).toEqual([]);
  }
  expect(failures.length).toBeGreaterThan(0);
  expect(layer.stats().counters.receiveErrors).toBeGreaterThan(0);
}, 40_000);

async function receiveAll(
  layer: ChannelLayer,
  channel: string,
  s: Stream,
  keepGoing: () => boolean,
): Promise<void> {
  for (;;) {
    try {
      const message = await layer.receive(channel, { timeoutMs: 300 });
      s.received.push(message.i as number);
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code !== 'CHANNEL_ERR_RECEIVE_TIMEOUT') s.receiveErrors.push(String(code));
      if (!keepGoing()) return;
    }
  }
}
