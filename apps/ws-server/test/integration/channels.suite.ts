// The channel conformance suite: run against one Redis with the sharded adapter, one Redis with
// the classic adapter, and a 3-master Redis Cluster (see the *.test.ts files next to it).
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createPool, type Pool } from '@redpool/pool';
import { createPublisher, type FanoutMode } from '@redpool/realtime';
import type { WsConfig, WsServer } from '../../src/index.js';
import { type RedisTarget, sleep, startInstances, stopAllServers, TestClient, waitFor } from '../helpers.js';

/** Rules of the suite: small capacities and short expiries make the limits observable. */
const CHANNELS = 'chat.small.*=3:1h,chat.brief.*=100:1500ms,chat.*=2000:10s,notifications.*=500:24h';

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

export function channelSuite(
  name: string,
  target: () => Promise<RedisTarget>,
  options: { fanout?: FanoutMode; expectedFanout: FanoutMode },
): void {
  describe(name, () => {
    let servers: WsServer[] = [];
    let a: WsServer;
    let b: WsServer;
    let redisTarget: RedisTarget;
    const clients: TestClient[] = [];
    let seq = 0;
    const room = (base = 'chat.room') => `${base}${++seq}`;
    const client = (server: WsServer, user: string) => {
      const c = new TestClient(server.address.url, user);
      clients.push(c);
      return c;
    };
    const overrides: Partial<WsConfig> = {
      channels: CHANNELS,
      ...(options.fanout ? { fanout: options.fanout } : {}),
    };

    beforeAll(async () => {
      redisTarget = await target();
      servers = await startInstances(redisTarget, overrides);
      [a, b] = servers as [WsServer, WsServer];
    });
    afterAll(() => stopAllServers(servers, clients));

    test('uses the expected adapter', () => {
      expect(a.stats().fanout).toBe(options.expectedFanout);
      expect(b.stats().fanout).toBe(options.expectedFanout);
    });

    test('fan-out across instances: every subscriber gets every message once, in the same order', async () => {
      const ch = room();
      const alice = client(a, 'alice');
      const bob = client(b, 'bob');
      const carol = client(b, 'carol');
      await Promise.all([alice, bob, carol].map((c) => c.connected()));
      for (const c of [alice, bob, carol]) expect((await c.subscribe(ch)).ok).toBe(true);
      const sends: Promise<unknown>[] = [];
      for (let i = 0; i < 25; i++) {
        sends.push(alice.publish(ch, { from: 'alice', i }));
        sends.push(bob.publish(ch, { from: 'bob', i }));
      }
      const acks = (await Promise.all(sends)) as { ok: boolean; offset: number }[];
      expect(acks.every((x) => x.ok)).toBe(true);
      expect(acks.map((x) => x.offset).sort((x, y) => x - y)).toEqual(range(1, 50));
      await waitFor('50 messages everywhere', () =>
        [alice, bob, carol].every((c) => c.offsets(ch).length >= 50),
      );
      await sleep(50);
      for (const c of [alice, bob, carol]) expect(c.offsets(ch)).toEqual(range(1, 50));
      expect(bob.data(ch)).toEqual(alice.data(ch));
      expect(carol.data(ch)).toEqual(alice.data(ch));
      // per publisher, in the order each sent them
      const fromAlice = alice.data(ch).filter((d) => (d as { from: string }).from === 'alice');
      expect(fromAlice.map((d) => (d as { i: number }).i)).toEqual(range(0, 24));
    });

    test('subscribing while messages flow: the ack comes first, then every later message once, in order', async () => {
      const ch = room();
      const publisher = createPublisher(pool, publisherOptions(a, options.fanout));
      let stop = false;
      let sent = 0;
      const flow = (async () => {
        while (!stop) {
          await Promise.all(Array.from({ length: 5 }, () => publisher.publish(ch, ++sent)));
        }
      })();
      try {
        await sleep(30);
        const readers = [client(a, 'r1'), client(b, 'r2')];
        await Promise.all(readers.map((r) => r.connected()));
        await Promise.all(readers.map((r) => r.subscribe(ch)));
        await sleep(100);
        stop = true;
        await flow;
        const top = (await publisher.position(ch)).offset;
        await waitFor('readers caught up', () => readers.every((r) => r.offsets(ch).at(-1) === top));
        for (const r of readers) {
          const entries = r.log.filter(([, c]) => c === ch);
          expect(entries[0]?.[0]).toBe('ack');
          const start = entries[0]![2];
          expect(entries.slice(1).map(([kind, , offset]) => [kind, offset])).toEqual(
            range(start + 1, top).map((o) => ['message', o]),
          );
        }
      } finally {
        stop = true;
        await flow;
      }
    });

    test('capacity trims the oldest; recovery beyond capacity says recovered: false', async () => {
      const ch = room('chat.small.r');
      const writer = client(a, 'writer');
      await writer.connected();
      const first = await writer.subscribe(ch);
      if (!first.ok) throw new Error('subscribe failed');
      for (let i = 1; i <= 5; i++) await writer.publish(ch, i);
      const withinCapacity = client(b, 'late1');
      await withinCapacity.connected();
      withinCapacity.positions.set(ch, { epoch: first.epoch, offset: 2 });
      expect(await withinCapacity.subscribe(ch)).toMatchObject({ ok: true, recovered: true, offset: 5 });
      expect(withinCapacity.data(ch)).toEqual([3, 4, 5]);
      const beyond = client(b, 'late2');
      await beyond.connected();
      beyond.positions.set(ch, { epoch: first.epoch, offset: 1 });
      expect(await beyond.subscribe(ch)).toMatchObject({
        ok: true,
        recovered: false,
        reason: 'trimmed',
        offset: 5,
        publications: [],
      });
      // and live delivery continues from there
      await writer.publish(ch, 6);
      await waitFor('live after failed recovery', () => beyond.data(ch).length === 1);
      expect(beyond.offsets(ch)).toEqual([6]);
    });

    test('expired messages are not replayed', async () => {
      const ch = room('chat.brief.r'); // ttl 1500 ms
      const writer = client(a, 'writer');
      const reader = client(b, 'reader');
      await Promise.all([writer.connected(), reader.connected()]);
      const sub = await reader.subscribe(ch);
      if (!sub.ok) throw new Error('subscribe failed');
      await writer.subscribe(ch);
      reader.close();
      await writer.publish(ch, 'old');
      const back = client(b, 'reader');
      const other = client(a, 'other');
      await Promise.all([back.connected(), other.connected()]);
      await sleep(1700);
      await writer.publish(ch, 'new');
      // the reader comes back from offset 0: 'old' expired, so nothing partial is replayed
      back.positions.set(ch, { epoch: sub.epoch, offset: sub.offset });
      // a client that had 'old' gets just 'new'
      other.positions.set(ch, { epoch: sub.epoch, offset: 1 });
      const [backAck, otherAck] = await Promise.all([back.subscribe(ch), other.subscribe(ch)]);
      expect(backAck).toMatchObject({ ok: true, recovered: false, reason: 'trimmed', offset: 2 });
      expect(back.data(ch)).toEqual([]);
      expect(otherAck).toMatchObject({ recovered: true });
      expect(other.data(ch)).toEqual(['new']);
    });

    test('recovery after a forced disconnect returns exactly the missed messages, then live ones', async () => {
      const ch = room();
      const writer = client(a, 'writer');
      const reader = client(a, 'reader');
      await Promise.all([writer.connected(), reader.connected()]);
      await reader.subscribe(ch);
      for (let i = 1; i <= 3; i++) await writer.publish(ch, i);
      await waitFor('first three', () => reader.offsets(ch).length === 3);
      // the server closes the transport (as for a network blip): the client reconnects by itself
      const connectsBefore = reader.connects;
      const serverSide = a.connections.get(reader.socket.id!)!;
      serverSide.socket.conn.close();
      await waitFor('reader disconnected', () => !reader.socket.connected);
      for (let i = 4; i <= 10; i++) await writer.publish(ch, i);
      await waitFor('reader back', () => reader.connects > connectsBefore && reader.offsets(ch).length >= 10);
      for (let i = 11; i <= 12; i++) await writer.publish(ch, i);
      await waitFor('live after recovery', () => reader.offsets(ch).length >= 12);
      await sleep(50);
      expect(reader.offsets(ch)).toEqual(range(1, 12));
      expect(reader.data(ch)).toEqual(range(1, 12));
      const last = reader.acks[reader.acks.length - 1]!;
      expect(last).toMatchObject({ recovered: true });
      expect(last.publications.length).toBeGreaterThan(0);
    });

    test('recovery after moving to the other instance returns exactly the missed messages', async () => {
      const ch = room();
      const writer = client(a, 'writer');
      const onA = client(a, 'mover');
      await Promise.all([writer.connected(), onA.connected()]);
      await onA.subscribe(ch);
      await writer.subscribe(ch);
      for (let i = 1; i <= 4; i++) await writer.publish(ch, i);
      await waitFor('four on A', () => onA.offsets(ch).length === 4);
      onA.close();
      for (let i = 5; i <= 9; i++) await writer.publish(ch, i);
      const onB = client(b, 'mover');
      for (const [channel, position] of onA.positions) onB.positions.set(channel, position);
      await onB.connected();
      const ack = await onB.subscribe(ch);
      expect(ack).toMatchObject({ ok: true, recovered: true, offset: 9 });
      expect(onB.data(ch)).toEqual(range(5, 9));
      await writer.publish(ch, 10);
      await waitFor('live on B', () => onB.offsets(ch).length === 6);
      expect(onB.offsets(ch)).toEqual(range(5, 10));
    });

    test('a message lost on the pub/sub path is repaired from the history, in order', async () => {
      const ch = room();
      const watcher = client(b, 'watcher');
      const writer = client(a, 'writer');
      await Promise.all([watcher.connected(), writer.connected()]);
      await watcher.subscribe(ch);
      await writer.publish(ch, 'one');
      await waitFor('one', () => watcher.offsets(ch).length === 1);
      // stored without fan-out: exactly what a subscriber misses while its connection is down
      const silent = createPublisher(pool, { ...publisherOptions(a), fanout: 'none' });
      await silent.publish(ch, 'two (never fanned out)');
      await writer.publish(ch, 'three');
      await waitFor('three', () => watcher.offsets(ch).length === 3);
      expect(watcher.data(ch)).toEqual(['one', 'two (never fanned out)', 'three']);
      expect(watcher.resets).toEqual([]);
      expect(await a.metrics.registry.getSingleMetricAsString('redpool_ws_gaps_total')).toBeDefined();
      expect(await metricValue(b, 'redpool_ws_gaps_total', 'result="repaired"')).toBeGreaterThanOrEqual(1);
    });

    test('a lost history (new epoch) is announced with reset, then the new epoch is delivered from its start', async () => {
      const ch = room();
      const watcher = client(b, 'watcher');
      const writer = client(a, 'writer');
      await Promise.all([watcher.connected(), writer.connected()]);
      const sub = await watcher.subscribe(ch);
      if (!sub.ok) throw new Error('subscribe failed');
      await writer.publish(ch, 'before');
      await waitFor('before', () => watcher.offsets(ch).length === 1);
      await pool.del(a.publisher.keys.meta(ch), a.publisher.keys.history(ch));
      const after = await writer.publish(ch, 'after');
      if (!after.ok) throw new Error('publish failed');
      expect(after.epoch).not.toBe(sub.epoch);
      await waitFor('reset and after', () => watcher.resets.length === 1 && watcher.data(ch).length === 2);
      expect(watcher.resets[0]).toEqual({
        channel: ch,
        epoch: after.epoch,
        offset: 0,
        recovered: false,
        reason: 'epoch',
      });
      expect(watcher.received.get(ch)!.map((p) => [p.epoch, p.offset, p.data])).toEqual([
        [sub.epoch, 1, 'before'],
        [after.epoch, 1, 'after'],
      ]);
    });

    test('a service publishes to a user through @redpool/realtime; only that user may subscribe', async () => {
      const alice = client(a, 'alice');
      const aliceOnB = client(b, 'alice');
      const mallory = client(b, 'mallory');
      await Promise.all([alice.connected(), aliceOnB.connected(), mallory.connected()]);
      expect((await alice.subscribe('notifications.alice')).ok).toBe(true);
      expect((await aliceOnB.subscribe('notifications.alice')).ok).toBe(true);
      expect(await mallory.subscribe('notifications.alice')).toMatchObject({
        ok: false,
        error: { code: 'WS_ERR_FORBIDDEN' },
      });
      const worker = createPublisher(pool, publisherOptions(a)); // fanout: auto, like the worker
      const sent = await worker.publish('notifications.alice', { kind: 'invoice.paid', id: 7 });
      await waitFor('notification on both instances', () =>
        [alice, aliceOnB].every((c) => c.data('notifications.alice').length === 1),
      );
      expect(alice.received.get('notifications.alice')![0]).toMatchObject({
        offset: sent.offset,
        data: { kind: 'invoice.paid', id: 7 },
      });
      expect(mallory.data('notifications.alice')).toEqual([]);
      // clients cannot publish notifications
      expect(await alice.publish('notifications.alice', 'spoof')).toMatchObject({
        ok: false,
        error: { code: 'WS_ERR_FORBIDDEN' },
      });
    });

    test('unsubscribe stops delivery; the last local subscriber leaving releases the channel', async () => {
      const ch = room();
      const reader = client(b, 'reader');
      const writer = client(a, 'writer');
      await Promise.all([reader.connected(), writer.connected()]);
      await reader.subscribe(ch);
      await writer.publish(ch, 1);
      await waitFor('one', () => reader.offsets(ch).length === 1);
      expect(b.stats().channels).toBeGreaterThanOrEqual(1);
      const channelsBefore = b.stats().channels;
      expect(await reader.unsubscribe(ch)).toEqual({ ok: true, channel: ch });
      expect(b.stats().channels).toBe(channelsBefore - 1);
      await writer.publish(ch, 2);
      await sleep(150);
      expect(reader.offsets(ch)).toEqual([1]);
    });

    let pool: Pool;
    beforeAll(() => {
      pool = createPool({
        ...(redisTarget.clusterNodes
          ? { cluster: { nodes: redisTarget.clusterNodes } }
          : { url: redisTarget.url }),
        name: 'suite',
        maxConnections: 4,
      });
    });
    afterAll(() => pool.close());
  });
}

function publisherOptions(server: WsServer, fanout?: FanoutMode) {
  return {
    channels: server.publisher.options.channels,
    keyPrefix: server.config.keyPrefix,
    adapterPrefix: server.config.adapterPrefix,
    ...(fanout ? { fanout } : {}),
  };
}

async function metricValue(server: WsServer, name: string, labels: string): Promise<number> {
  const text = await server.metrics.registry.metrics();
  const line = text.split('\n').find((l) => l.startsWith(name) && l.includes(labels));
  return line ? Number(line.split(' ').pop()) : 0;
}
