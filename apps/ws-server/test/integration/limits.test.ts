import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createPool, type Pool } from '@redpool/pool';
import { createPublisher } from '@redpool/realtime';
import { startRedis, stopAll } from '@redpool/testkit';
import type { WsServer } from '../../src/index.js';
import { sleep, startInstance, stopAllServers, TestClient, token, waitFor } from '../helpers.js';

afterAll(stopAll);

let server: WsServer;
/** Default limits, for the malformed-event tests (which send many events quickly). */
let relaxed: WsServer;
let pool: Pool;
const clients: TestClient[] = [];
const client = (user = 'alice', on?: WsServer) => {
  const c = new TestClient((on ?? server).address.url, user);
  clients.push(c);
  return c;
};

beforeAll(async () => {
  const redis = await startRedis();
  server = await startInstance(
    { url: redis.url },
    {
      maxPayloadBytes: 1024,
      maxFrameBytes: 8192,
      rateLimitPerSecond: 10,
      rateLimitBurst: 10,
      maxSubscriptions: 3,
      outboundBufferBytes: 64 * 1024,
      channels: 'chat.small.*=3:1h,chat.*=2000:10s,notifications.*=500:24h',
    },
  );
  relaxed = await startInstance({ url: redis.url });
  pool = createPool({ url: redis.url, name: 'limits-test', maxConnections: 4 });
});
afterAll(async () => {
  await stopAllServers([server, relaxed], clients);
  await pool.close();
});

/** `redpool_ws_drops_total` of `reason`, summed over channel patterns (or of one `pattern`). */
async function drops(reason: string, pattern?: string, on = server): Promise<number> {
  const text = await on.metrics.registry.metrics();
  const labels = pattern === undefined ? '' : `,pattern="${pattern}"`;
  return text
    .split('\n')
    .filter((l) => l.startsWith(`redpool_ws_drops_total{reason="${reason}"${labels}`))
    .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
}

describe('limits', () => {
  test('payload size: over WS_MAX_PAYLOAD_BYTES gets an error ack, at the limit passes', async () => {
    const c = client();
    await c.connected();
    const before = await drops('payload_too_large');
    expect(await c.publish('chat.size', 'x'.repeat(1100))).toEqual({
      ok: false,
      error: {
        code: 'WS_ERR_PAYLOAD_TOO_LARGE',
        message: 'payload larger than WS_MAX_PAYLOAD_BYTES=1024 bytes',
      },
    });
    // multi-byte characters count as bytes: 400 × 3 bytes > 1024
    expect(await c.publish('chat.size', '€'.repeat(400))).toMatchObject({
      error: { code: 'WS_ERR_PAYLOAD_TOO_LARGE' },
    });
    expect((await c.publish('chat.size', 'x'.repeat(1022))).ok).toBe(true); // "x…x" = 1024 bytes of JSON
    expect(await drops('payload_too_large')).toBe(before + 2);
    // the channel is known: the drop carries its configured pattern
    expect(await drops('payload_too_large', 'chat.*')).toBe(before + 2);
  });

  test('a channel no configured pattern matches is labelled `*` in drops as in messages', async () => {
    const open = await startInstance(
      { url: server.config.redisUrl },
      { maxPayloadBytes: 1024 },
      { authorize: () => true },
    );
    try {
      const c = client('alice', open);
      await c.connected();
      expect((await c.subscribe('misc.labels')).ok).toBe(true);
      expect((await c.publish('misc.labels', 'hello')).ok).toBe(true);
      expect(await c.publish('misc.labels', 'x'.repeat(1100))).toMatchObject({
        error: { code: 'WS_ERR_PAYLOAD_TOO_LARGE' },
      });
      await waitFor('delivered', () => c.offsets('misc.labels').length === 1);
      const text = await open.metrics.registry.metrics();
      expect(text).toContain('redpool_ws_messages_total{pattern="*",direction="in"} 1');
      expect(text).toContain('redpool_ws_messages_total{pattern="*",direction="out"} 1');
      expect(await drops('payload_too_large', '*', open)).toBe(1);
      expect(text).not.toContain('pattern="other"');
    } finally {
      await open.stop();
    }
  });

  test('a frame over WS_MAX_FRAME_BYTES closes only that connection', async () => {
    const big = client('big');
    const other = client('other');
    await Promise.all([big.connected(), other.connected()]);
    big.socket.emit('publish', { channel: 'chat.size', data: 'x'.repeat(20_000) });
    await waitFor('oversized connection closed', () => !big.socket.connected);
    expect((await other.publish('chat.size', 'still here')).ok).toBe(true);
  });

  test('rate: a burst beyond the bucket gets WS_ERR_RATE_LIMITED acks, and tokens come back', async () => {
    const c = client();
    await c.connected();
    const before = await drops('rate_limit');
    const acks = await Promise.all(Array.from({ length: 15 }, (_, i) => c.publish('chat.rate', i)));
    const limited = acks.filter((a) => !a.ok);
    // the burst of 10, plus at most one token refilled (10/s) while the 15 events arrive
    expect(acks.filter((a) => a.ok).length).toBeGreaterThanOrEqual(10);
    expect(limited.length).toBeGreaterThanOrEqual(4);
    expect(limited[0]).toMatchObject({ error: { code: 'WS_ERR_RATE_LIMITED' } });
    expect(await drops('rate_limit')).toBe(before + limited.length);
    await sleep(250); // 10/s refills 2 tokens
    expect((await c.publish('chat.rate', 'again')).ok).toBe(true);
  });

  test('subscriptions: at most WS_MAX_SUBSCRIPTIONS per connection', async () => {
    const c = client();
    await c.connected();
    for (const ch of ['chat.s1', 'chat.s2', 'chat.s3']) expect((await c.subscribe(ch)).ok).toBe(true);
    expect(await c.subscribe('chat.s4')).toEqual({
      ok: false,
      error: {
        code: 'WS_ERR_TOO_MANY_SUBSCRIPTIONS',
        message: 'at most WS_MAX_SUBSCRIPTIONS=3 channels per connection',
      },
    });
    await c.unsubscribe('chat.s1');
    expect((await c.subscribe('chat.s4')).ok).toBe(true);
    expect(await drops('subscription_limit')).toBeGreaterThanOrEqual(1);
  });
});

describe('malformed events never throw', () => {
  test('wrong types, missing fields, bad channels, binary junk and unknown events get error acks', async () => {
    const c = client('alice', relaxed);
    await c.connected();
    const code = async (event: string, payload: unknown) =>
      ((await c.request(event, payload)) as { error?: { code: string } }).error?.code;
    expect(await code('subscribe', 'chat.x')).toBe('WS_ERR_BAD_REQUEST');
    expect(await code('subscribe', null)).toBe('WS_ERR_BAD_REQUEST');
    expect(await code('subscribe', [1, 2])).toBe('WS_ERR_BAD_REQUEST');
    expect(await code('subscribe', {})).toBe('WS_ERR_BAD_REQUEST');
    expect(await code('subscribe', { channel: 42 })).toBe('WS_ERR_BAD_REQUEST');
    expect(await code('subscribe', { channel: 'chat.{x}' })).toBe('WS_ERR_INVALID_CHANNEL');
    expect(await code('subscribe', { channel: 'x'.repeat(300) })).toBe('WS_ERR_INVALID_CHANNEL');
    expect(await code('subscribe', { channel: 'chat.x', epoch: 5, offset: 1 })).toBe('WS_ERR_BAD_REQUEST');
    expect(await code('subscribe', { channel: 'chat.x', epoch: 'e', offset: -1 })).toBe('WS_ERR_BAD_REQUEST');
    expect(await code('subscribe', { channel: 'chat.x', epoch: 'e', offset: 1.5 })).toBe(
      'WS_ERR_BAD_REQUEST',
    );
    expect(await code('subscribe', Buffer.from('junk'))).toBe('WS_ERR_BAD_REQUEST');
    expect(await code('publish', { channel: 'chat.x' })).toBe('WS_ERR_BAD_REQUEST');
    expect(await code('publish', { channel: 'chat.x', data: { blob: Buffer.alloc(100) } })).toBe(
      'WS_ERR_BAD_REQUEST',
    );
    expect(await code('publish', 12)).toBe('WS_ERR_BAD_REQUEST');
    expect(await code('unsubscribe', { channel: 'chat.never' })).toBe('WS_ERR_NOT_SUBSCRIBED');
    expect(await code('shutdown', {})).toBe('WS_ERR_UNKNOWN_EVENT');
    expect(
      ((await c.socket.timeout(2000).emitWithAck('subscribe')) as { error: { code: string } }).error.code,
    ).toBe('WS_ERR_BAD_REQUEST');
    expect((await c.subscribe('chat.twice')).ok).toBe(true);
    expect(await code('subscribe', { channel: 'chat.twice' })).toBe('WS_ERR_ALREADY_SUBSCRIBED');
    expect(c.socket.connected).toBe(true);
    expect(await drops('malformed', undefined, relaxed)).toBeGreaterThanOrEqual(10);
  });

  test('events without an acknowledgement get a `rejected` event instead', async () => {
    const c = client();
    await c.connected();
    c.socket.emit('subscribe', { channel: 'chat.noack' });
    c.socket.emit('publish', { channel: 42 });
    c.socket.emit('nonsense', 1, 2, 3);
    await waitFor('three rejections', () => c.rejected.length === 3);
    expect(c.rejected).toHaveLength(3);
    expect(c.rejected).toEqual(
      expect.arrayContaining([
        {
          event: 'subscribe',
          code: 'WS_ERR_BAD_REQUEST',
          message: 'subscribe needs an acknowledgement callback',
        },
        { event: 'publish', code: 'WS_ERR_BAD_REQUEST', message: '"channel" must be a string' },
        {
          event: 'nonsense',
          code: 'WS_ERR_UNKNOWN_EVENT',
          message: 'unknown event "nonsense"; send subscribe, unsubscribe or publish',
        },
      ]),
    );
  });

  test('raw garbage on the wire closes that connection only', async () => {
    const c = client();
    const other = client('other');
    await Promise.all([c.connected(), other.connected()]);
    const engine = c.socket.io.engine as unknown as { transport: { ws: { send(data: string): void } } };
    engine.transport.ws.send('42["subscribe",{"channel":'); // truncated JSON
    await waitFor('garbage connection closed', () => !c.socket.connected);
    expect((await other.subscribe('chat.alive')).ok).toBe(true);
    expect(server.status).toBe('running');
  });
});

describe('slow consumers', () => {
  test('a long-polling client that stops reading is disconnected with WS_ERR_SLOW_CONSUMER', async () => {
    const base = `${server.address.url}/socket.io/?EIO=4&transport=polling`;
    const open = await (await fetch(base)).text();
    const sid = JSON.parse(open.slice(1)).sid as string;
    const url = `${base}&sid=${sid}`;
    const post = (body: string) => fetch(url, { method: 'POST', body }).then((r) => r.text());
    const poll = () => fetch(url).then((r) => r.text());
    expect(await post(`40${JSON.stringify({ token: token('slowpoke') })}`)).toBe('ok');
    expect(await poll()).toMatch(/^40\{"sid"/);
    expect(await post('420["subscribe",{"channel":"chat.small.slow"}]')).toBe('ok');
    expect(await poll()).toMatch(/^430\[\{"ok":true/);
    const before = await drops('slow_consumer');
    await waitFor('slowpoke counted as polling', () => server.stats().connections.polling === 1);
    // The client stops polling; messages pile up on the server until the buffer bound.
    const publisher = createPublisher(pool, {
      channels: server.publisher.options.channels,
      keyPrefix: server.config.keyPrefix,
      adapterPrefix: server.config.adapterPrefix,
    });
    let sent = 0;
    while ((await drops('slow_consumer')) === before && sent < 200)
      await publisher.publish('chat.small.slow', { i: ++sent, pad: 'p'.repeat(900) });
    expect(await drops('slow_consumer')).toBe(before + 1);
    expect(sent).toBeGreaterThan(60); // ~64 KiB of 1 KiB messages fit before the bound
    // What the client finds when it polls again: the reason, then the close.
    const last = await poll();
    expect(last).toContain('42["closing",{"code":"WS_ERR_SLOW_CONSUMER"');
    expect(last).toContain('"reconnect":true');
    expect(last.length).toBeLessThan(64 * 1024); // queued messages were dropped, not sent
    await waitFor('connection gone', () => server.stats().connections.polling === 0);
  });

  test('a WebSocket client that stops reading is disconnected; on reconnect it recovers', async () => {
    const reader = client('reader');
    await reader.connected();
    await reader.subscribe('chat.flood');
    const engine = reader.socket.io.engine as unknown as {
      transport: { ws: { _socket: { pause(): void; resume(): void } } };
    };
    engine.transport.ws._socket.pause(); // stops reading: the kernel buffers fill, then the server's
    const publisher = createPublisher(pool, {
      channels: server.publisher.options.channels,
      keyPrefix: server.config.keyPrefix,
      adapterPrefix: server.config.adapterPrefix,
      maxPayloadBytes: 1024 * 1024,
    });
    const before = await drops('slow_consumer');
    const pad = 'w'.repeat(256 * 1024);
    let sent = 0;
    while ((await drops('slow_consumer')) === before && sent < 200) {
      await publisher.publish('chat.flood', { i: ++sent, pad });
    }
    expect(await drops('slow_consumer')).toBe(before + 1);
    expect(sent).toBeGreaterThan(2); // the kernel's socket buffers took some first
    const connects = reader.connects;
    engine.transport.ws._socket.resume();
    await waitFor(
      'closing received',
      () => reader.closings.some((c) => c.code === 'WS_ERR_SLOW_CONSUMER'),
      10_000,
    );
    await waitFor(
      'reconnected and recovered',
      () => reader.connects > connects && reader.socket.connected,
      10_000,
    );
    await waitFor('all messages after recovery', () => reader.offsets('chat.flood').includes(sent), 10_000);
    const offsets = reader.offsets('chat.flood');
    expect(new Set(offsets).size).toBe(offsets.length); // no duplicates
    expect([...offsets].sort((x, y) => x - y)).toEqual(offsets); // in order
    expect(offsets).toEqual(Array.from({ length: sent }, (_, i) => i + 1)); // nothing missing
  }, 60_000);
});
