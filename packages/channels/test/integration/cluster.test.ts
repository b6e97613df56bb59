/**
 * Redis Cluster (the testkit's 3 masters). channels_redis has no Cluster support (#381/#420); its
 * multi-host cases 11 and 13 run here instead of on ten client-side shards.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import { type RedisCluster, startCluster, stopAll } from '@redpool/testkit';
import { keySlot } from '../../src/slot.js';
import { clustered, expectNoMessage, Fixture, settle } from '../helpers.js';

let cluster: RedisCluster;
const fx = new Fixture(clustered(() => cluster));

beforeAll(async () => {
  cluster = await startCluster({ masters: 3 });
}, 60_000);
afterEach(() => fx.cleanup());
afterAll(stopAll);

/** Which master serves a slot, as an index into the cluster's masters. */
async function ownerOf(slot: number): Promise<string> {
  const masters = await cluster.masters();
  for (const m of masters) {
    const nodes = String(await m.command('CLUSTER', 'NODES')).split('\n');
    const mine = nodes.find((l) => l.includes('myself'));
    const ranges = (mine ?? '').split(' ').slice(8);
    for (const r of ranges) {
      const [a, b] = r.split('-').map(Number);
      if (slot >= a! && slot <= (b ?? a!)) return `${m.port}`;
    }
  }
  return 'none';
}

describe('test_core.py multi-host cases, on Redis Cluster instead of client-side sharding', () => {
  test('11 test_groups_multiple_hosts (Redis Cluster instead of ten sharded hosts)', async () => {
    const layer = fx.layer({ capacity: 100 });
    const channel1 = layer.newChannel('channel1');
    const channel2 = layer.newChannel('channel2');
    const channel3 = layer.newChannel('channel3');
    for (const c of [channel1, channel2, channel3]) await layer.groupAdd('test-group', c);
    await layer.groupDiscard('test-group', channel2);
    await layer.groupSend('test-group', { type: 'message.1' });
    await layer.groupSend('test-group', { type: 'message.1' });
    expect((await layer.receive(channel1, { timeoutMs: 1000 })).type).toBe('message.1');
    expect((await layer.receive(channel3, { timeoutMs: 1000 })).type).toBe('message.1');
    await expectNoMessage(layer, channel2);
  });

  test.each([
    [1, 1000],
    [10, 1000],
    [100, 10_000],
  ])(
    '13 test_groups_multiple_hosts_performance[%i channels, %i ms] (Redis Cluster)',
    async (count, timeoutMs) => {
      const layer = fx.layer({ capacity: 100 });
      const channels = Array.from({ length: count }, (_, i) => layer.newChannel(`channel${i}`));
      for (const c of channels) await layer.groupAdd('test-group', c);
      let started = Date.now();
      expect((await layer.groupSend('test-group', { type: 'message.1' })).delivered).toBe(count);
      expect(Date.now() - started).toBeLessThan(timeoutMs);
      started = Date.now();
      const got = await Promise.all(channels.map((c) => layer.receive(c, { timeoutMs })));
      expect(got.every((m) => m.type === 'message.1')).toBe(true);
      expect(Date.now() - started).toBeLessThan(timeoutMs);
    },
  );
});

describe('Cluster', () => {
  test('general channels in many slots on all masters: send, receive, capacity, in order', async () => {
    const layer = fx.layer({ capacity: 5 });
    const channels = Array.from({ length: 12 }, (_, i) => `cluster-general-${i}`);
    const owners = new Set(await Promise.all(channels.map((c) => ownerOf(keySlot(layer.keys.queue(c))))));
    expect(owners.size).toBe(3);
    const receives = channels.map((c) =>
      Promise.all([1, 2, 3].map(() => layer.receive(c, { timeoutMs: 3000 }))),
    );
    for (const c of channels) for (let i = 1; i <= 3; i++) await layer.send(c, { type: 'm', c, i });
    for (const [k, got] of (await Promise.all(receives)).entries()) {
      expect(got.map((m) => m.i)).toEqual([1, 2, 3]);
      expect(got.every((m) => m.c === channels[k])).toBe(true);
    }
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => settle(layer.send('cluster-cap', { type: 'm', i }))),
    );
    expect(results.filter((r) => r.error === undefined).length).toBe(5);
    expect(results.filter((r) => r.error?.code === 'CHANNEL_ERR_FULL').length).toBe(15);
  });

  test('groupSend to members spread over slots and processes (general and specific) reaches every member once', async () => {
    const sender = fx.layer();
    const prefix = sender.options.prefix;
    const receivers = [fx.layer({ prefix }), fx.layer({ prefix }), fx.layer({ prefix })];
    const members: Array<{ layer: (typeof receivers)[number]; channel: string }> = [];
    receivers.forEach((layer, i) => {
      for (let k = 0; k < 4; k++) members.push({ layer, channel: layer.newChannel(`proc${i}`) });
      members.push({ layer, channel: `room-general-${i}` });
    });
    for (const m of members) await sender.groupAdd('room', m.channel);
    const slots = new Set(
      members.map((m) =>
        keySlot(`{${m.channel.includes('!') ? m.channel.slice(0, m.channel.indexOf('!') + 1) : m.channel}}`),
      ),
    );
    expect(slots.size).toBe(6);
    expect(await sender.groupSend('room', { type: 'hello' })).toEqual({
      delivered: members.length,
      full: [],
    });
    const got = await Promise.all(members.map((m) => m.layer.receive(m.channel, { timeoutMs: 3000 })));
    expect(got.every((m) => m.type === 'hello')).toBe(true);
    for (const m of members) await expectNoMessage(m.layer, m.channel, 100);
  });

  test('flush SCANs every master and deletes only this prefix', async () => {
    const layer = fx.layer();
    const other = fx.layer();
    const channels = Array.from({ length: 10 }, (_, i) => `flush-${i}`);
    for (const c of channels) {
      await layer.send(c, { type: 'm' });
      await other.send(c, { type: 'm' });
    }
    await layer.groupAdd('g', layer.newChannel());
    await layer.flush();
    for (const master of await cluster.masters()) {
      expect(await master.command('KEYS', `${layer.options.prefix}:*`)).toEqual([]);
    }
    expect((await other.receive('flush-3', { timeoutMs: 1000 })).type).toBe('m');
  });
});
