import { beforeAll, describe, expect, test } from '@jest/globals';
import { createCodec } from '@redpool/codec';
import { createPool, type Pool } from '@redpool/pool';
import { startCluster } from '@redpool/testkit';
import { useRedis } from '@redpool/testkit/jest';
import notepack from 'notepack.io';
import {
  ChannelRules,
  createPublisher,
  FANOUT_UID,
  type FanoutMode,
  InvalidChannelError,
  InvalidOptionError,
  InvalidPayloadError,
  PayloadTooLargeError,
  type Publisher,
} from '../src/index.js';

const redis = useRedis();
let pool: Pool;
let seq = 0;
const unique = (base: string) => `${base}${++seq}x${Date.now().toString(36)}`;

beforeAll(() => {
  pool = redis.track(createPool({ url: redis.url, name: 'realtime-test', maxConnections: 8 }));
});

const rules = ChannelRules.parse('cap.*=3:1h,short.*=1:300ms,exp.*=100:400ms', '50:1h');

function publisher(fanout: FanoutMode | 'none' = 'sharded', prefix = 'rt'): Publisher {
  return createPublisher(pool, { channels: rules, keyPrefix: prefix, fanout });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('history', () => {
  test('offsets increase by one within an epoch; position reports the top', async () => {
    const p = publisher();
    const ch = unique('room.');
    const a = await p.publish(ch, { text: 'a' });
    const b = await p.publish(ch, 'b');
    const c = await p.publish(ch, 3);
    expect([a.offset, b.offset, c.offset]).toEqual([1, 2, 3]);
    expect(new Set([a.epoch, b.epoch, c.epoch]).size).toBe(1);
    const pos = await p.position(ch);
    expect(pos).toMatchObject({
      status: 'position',
      epoch: a.epoch,
      offset: 3,
      recovered: false,
      publications: [],
    });
  });

  test('recover returns exactly the messages after the offset, in order, with their data', async () => {
    const p = publisher();
    const ch = unique('room.');
    const sent = [];
    for (let i = 1; i <= 6; i++) sent.push(await p.publish(ch, { i, nested: { ok: true }, list: [i] }));
    const epoch = sent[0]!.epoch;
    const r = await p.recover(ch, { epoch, offset: 2 });
    expect(r.status).toBe('ok');
    expect(r.recovered).toBe(true);
    expect(r.publications.map((x) => x.offset)).toEqual([3, 4, 5, 6]);
    expect(r.publications[0]).toEqual({
      epoch,
      offset: 3,
      channel: ch,
      ts: sent[2]!.ts,
      data: { i: 3, nested: { ok: true }, list: [3] },
    });
    const none = await p.recover(ch, { epoch, offset: 6 });
    expect(none).toMatchObject({ status: 'ok', recovered: true, publications: [], offset: 6 });
  });

  test('capacity trims the oldest, and recovery beyond capacity is refused, never partial', async () => {
    const p = publisher();
    const ch = unique('cap.');
    let epoch = '';
    let trimmed = 0;
    for (let i = 1; i <= 5; i++) {
      const r = await p.publish(ch, i);
      epoch = r.epoch;
      trimmed += r.trimmed.capacity;
    }
    expect(trimmed).toBe(2);
    expect(await pool.call('XLEN', p.keys.history(ch))).toBe(3);
    const ok = await p.recover(ch, { epoch, offset: 2 });
    expect(ok.publications.map((x) => x.data)).toEqual([3, 4, 5]);
    const lost = await p.recover(ch, { epoch, offset: 1 });
    expect(lost).toMatchObject({ status: 'trimmed', recovered: false, publications: [], offset: 5 });
  });

  test('expired messages are trimmed and never replayed', async () => {
    const p = publisher();
    const ch = unique('exp.');
    const first = await p.publish(ch, 'old'); // ttl 400 ms
    await sleep(250);
    await p.publish(ch, 'mid');
    await sleep(250);
    const third = await p.publish(ch, 'new');
    expect(third.trimmed.expiry).toBe(1); // 'old' is 500 ms old
    const fromStart = await p.recover(ch, { epoch: first.epoch, offset: 0 });
    expect(fromStart).toMatchObject({ status: 'trimmed', recovered: false, publications: [] });
    const fromOne = await p.recover(ch, { epoch: first.epoch, offset: 1 });
    expect(fromOne.publications.map((x) => x.data)).toEqual(['mid', 'new']);
    await sleep(200);
    // the read itself trims what expired since ('mid' is now 450 ms old)
    const later = await p.recover(ch, { epoch: first.epoch, offset: 1 });
    expect(later).toMatchObject({ status: 'trimmed', recovered: false, trimmedByExpiry: 1 });
    expect((await p.recover(ch, { epoch: first.epoch, offset: 2 })).publications.map((x) => x.data)).toEqual([
      'new',
    ]);
    await sleep(450);
    // an idle channel's history expires as a whole; the epoch and offset stay
    expect(await p.recover(ch, { epoch: first.epoch, offset: 2 })).toMatchObject({
      status: 'trimmed',
      offset: 3,
    });
    expect(await p.recover(ch, { epoch: first.epoch, offset: 3 })).toMatchObject({
      status: 'ok',
      recovered: true,
    });
  });

  test('a lost stream gets a new epoch, and offsets of the old one are refused', async () => {
    const p = publisher();
    const ch = unique('room.');
    const before = await p.publish(ch, 1);
    await pool.call('DEL', p.keys.meta(ch)); // as after a Redis restart without persistence
    const after = await p.publish(ch, 2);
    expect(after.epoch).not.toBe(before.epoch);
    expect(after.offset).toBe(1);
    const r = await p.recover(ch, { epoch: before.epoch, offset: 1 });
    expect(r).toMatchObject({ status: 'epoch', recovered: false, epoch: after.epoch, offset: 1 });
  });

  test('a new channel gets its epoch on first read, which publishing keeps', async () => {
    const p = publisher();
    const ch = unique('room.');
    const pos = await p.position(ch);
    expect(pos.offset).toBe(0);
    const pub = await p.publish(ch, 'x');
    expect(pub.epoch).toBe(pos.epoch);
    const r = await p.recover(ch, { epoch: pos.epoch, offset: 0 });
    expect(r.publications.map((x) => x.data)).toEqual(['x']);
  });

  test('limit and ahead', async () => {
    const p = publisher();
    const ch = unique('room.');
    let epoch = '';
    for (let i = 0; i < 5; i++) epoch = (await p.publish(ch, i)).epoch;
    expect((await p.recover(ch, { epoch, offset: 0, limit: 4 })).status).toBe('limit');
    expect((await p.recover(ch, { epoch, offset: 0, limit: 5 })).status).toBe('ok');
    expect((await p.recover(ch, { epoch, offset: 9 })).status).toBe('ahead');
  });

  test('history entries are stored through the codec', async () => {
    const codec = createCodec();
    const p = publisher();
    const ch = unique('room.');
    const text = 'hello '.repeat(100);
    await p.publish(ch, { text });
    const entries = (await pool.callBuffer('XRANGE', p.keys.history(ch), '-', '+')) as unknown as [
      Buffer,
      Buffer[],
    ][];
    const stored = entries[0]![1][5]!;
    expect(stored.length).toBeLessThan(text.length); // lz4 above compressMinBytes
    expect(codec.decode(stored)).toEqual({ text });
  });
});

describe('fan-out frames', () => {
  async function capture(pattern: string, run: () => Promise<unknown>, sharded: boolean): Promise<Buffer> {
    const sub = await pool.subscriber();
    try {
      const got = new Promise<Buffer>((resolve) => {
        sub.on('pmessageBuffer', (_p: Buffer, _c: Buffer, m: Buffer) => resolve(m));
        sub.on('smessageBuffer', (_c: Buffer, m: Buffer) => resolve(m));
      });
      if (sharded) await sub.ssubscribe(pattern);
      else await sub.psubscribe(pattern);
      await run();
      return await withDeadline(got, 2000);
    } finally {
      sub.disconnect();
    }
  }

  test('classic: msgpack [uid, packet, opts] as @socket.io/redis-adapter decodes it', async () => {
    const p = publisher('classic');
    const ch = unique('room.');
    let result: Awaited<ReturnType<Publisher['publish']>> | undefined;
    const raw = await capture(
      'socket.io#/#*',
      async () => {
        result = await p.publish(ch, { text: 'héllo', n: 1.5, big: 2 ** 40, list: [null, true] });
      },
      false,
    );
    const [uid, packet, opts] = notepack.decode(raw) as [
      string,
      Record<string, unknown>,
      Record<string, unknown>,
    ];
    expect(uid).toBe(FANOUT_UID);
    expect(packet).toEqual({
      type: 2,
      nsp: '/',
      data: [
        'message',
        {
          epoch: result!.epoch,
          offset: 1,
          channel: ch,
          ts: result!.ts,
          data: { text: 'héllo', n: 1.5, big: 2 ** 40, list: [null, true] },
        },
      ],
    });
    expect(opts).toEqual({ rooms: [`{${ch}}`], except: [], flags: {} });
  });

  test('sharded: JSON cluster-adapter BROADCAST on the room channel', async () => {
    const p = publisher('sharded');
    const ch = unique('room.');
    let result: Awaited<ReturnType<Publisher['publish']>> | undefined;
    const raw = await capture(
      `socket.io#/#{${ch}}#`,
      async () => {
        result = await p.publish(ch, 'plain "quoted" text');
      },
      true,
    );
    expect(JSON.parse(raw.toString())).toEqual({
      uid: FANOUT_UID,
      nsp: '/',
      type: 3,
      data: {
        opts: { rooms: [`{${ch}}`], except: [], flags: {} },
        packet: {
          type: 2,
          nsp: '/',
          data: [
            'message',
            { epoch: result!.epoch, offset: 1, channel: ch, ts: result!.ts, data: 'plain "quoted" text' },
          ],
        },
      },
    });
  });

  test('auto picks sharded on Redis 7', async () => {
    expect(await createPublisher(pool, { keyPrefix: 'auto-detect' }).fanoutMode()).toBe('sharded');
  });

  test('auto follows the mode the ws-server instances announced', async () => {
    await pool.call('SET', 'announced:fanout', 'classic');
    const p = createPublisher(pool, { keyPrefix: 'announced' });
    expect(await p.fanoutMode()).toBe('classic');
    expect(p.keys.fanoutMode()).toBe('announced:fanout');
  });
});

describe('validation', () => {
  test('bad channel names, payloads and options are refused before Redis', async () => {
    const p = publisher();
    await expect(p.publish('bad{tag}', 1)).rejects.toBeInstanceOf(InvalidChannelError);
    await expect(p.publish('', 1)).rejects.toMatchObject({ code: 'REALTIME_ERR_INVALID_CHANNEL' });
    await expect(p.publish('a#b', 1)).rejects.toMatchObject({ code: 'REALTIME_ERR_INVALID_CHANNEL' });
    await expect(p.publish('x'.repeat(201), 1)).rejects.toMatchObject({
      code: 'REALTIME_ERR_INVALID_CHANNEL',
    });
    await expect(p.publish('ok', undefined)).rejects.toBeInstanceOf(InvalidPayloadError);
    await expect(p.publish('ok', () => 1)).rejects.toBeInstanceOf(InvalidPayloadError);
    await expect(p.publish('ok', { b: Buffer.from('x') })).rejects.toBeInstanceOf(InvalidPayloadError);
    await expect(p.publish('ok', { n: 10n })).rejects.toBeInstanceOf(InvalidPayloadError);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    await expect(p.publish('ok', cyclic)).rejects.toBeInstanceOf(InvalidPayloadError);
    await expect(p.publish('ok', 'x'.repeat(70_000))).rejects.toBeInstanceOf(PayloadTooLargeError);
    expect(() => createPublisher(pool, { keyPrefix: 'a{b}' })).toThrow(InvalidOptionError);
    expect(() => createPublisher(pool, { fanout: 'x' as never })).toThrow(/Invalid option "fanout"/);
    expect(() => createPublisher(pool, { metaTtlMs: 1000 })).toThrow(/metaTtlMs/);
  });

  test('channel rules: first match wins, fallback, and errors name the field and range', () => {
    const r = ChannelRules.parse(
      'chat.vip.*=10:1s, chat.*=2000:10s,notifications.*=500:24h',
      '7:5m',
      'WS_CHANNELS',
    );
    expect(r.match('chat.vip.x')).toEqual({ pattern: 'chat.vip.*', capacity: 10, ttlMs: 1000 });
    expect(r.match('chat.lobby')).toEqual({ pattern: 'chat.*', capacity: 2000, ttlMs: 10_000 });
    expect(r.match('notifications.42')).toEqual({
      pattern: 'notifications.*',
      capacity: 500,
      ttlMs: 86_400_000,
    });
    expect(r.match('other')).toEqual({ pattern: '*', capacity: 7, ttlMs: 300_000 });
    expect(r.toString()).toBe('chat.vip.*=10:1s,chat.*=2000:10s,notifications.*=500:1d');
    expect(() => ChannelRules.parse('chat.*=0:10s', '1:1s', 'WS_CHANNELS')).toThrow(
      'Invalid option "WS_CHANNELS.capacity": 0; allowed: an integer from 1 to 1000000',
    );
    expect(() => ChannelRules.parse('chat.*=10:10y', '1:1s', 'WS_CHANNELS')).toThrow(/WS_CHANNELS.*duration/);
    expect(() => ChannelRules.parse('chat.*', '1:1s', 'WS_CHANNELS')).toThrow(/pattern=capacity:ttl/);
    expect(() => ChannelRules.parse('', 'x', 'WS_CHANNELS', 'WS_CHANNEL_DEFAULT')).toThrow(
      /WS_CHANNEL_DEFAULT/,
    );
    expect(() => ChannelRules.parse('a=1:50ms', '1:1s')).toThrow(/100ms to 30d/);
  });
});

describe('on a 3-master cluster', () => {
  test('append, fan-out (SPUBLISH in the script) and recover stay in one slot', async () => {
    const cluster = await startCluster({ masters: 3 });
    const cpool = createPool({
      cluster: { nodes: cluster.startupNodes },
      name: 'rt-cluster',
      maxConnections: 8,
    });
    try {
      const p = createPublisher(cpool, { channels: rules });
      expect(await p.fanoutMode()).toBe('sharded');
      for (const ch of ['chat.a', 'chat.b', 'notifications.7', 'zzz']) {
        const a = await p.publish(ch, { ch });
        const b = await p.publish(ch, 2);
        const r = await p.recover(ch, { epoch: a.epoch, offset: 0 });
        expect(r.publications.map((x) => x.offset)).toEqual([1, 2]);
        expect(b.offset).toBe(2);
      }
      const classic = createPublisher(cpool, { channels: rules, fanout: 'classic' });
      expect((await classic.publish('chat.c', 1)).offset).toBe(1);
    } finally {
      await cpool.close();
    }
  });
});

function withDeadline<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no message within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
