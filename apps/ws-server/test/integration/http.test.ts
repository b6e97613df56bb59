import { spawnSync } from 'node:child_process';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { REDACTED_PATHS } from '@redpool/pool';
import { startRedis, stopAll } from '@redpool/testkit';
import { pino } from 'pino';
import type { WsServer } from '../../src/index.js';
import { SECRET, startInstance, stopAllServers, TestClient, token, waitFor } from '../helpers.js';

afterAll(stopAll);

const REDIS_PASSWORD = 'redis-pw-Zq81-never-log-me';
let server: WsServer;
let noDev: WsServer;
let logs = '';
const clients: TestClient[] = [];

beforeAll(async () => {
  const redis = await startRedis({ password: REDIS_PASSWORD });
  // The server's logs, captured at debug level with redpool's redaction rules.
  const sink = new Writable({
    write(chunk, _enc, done) {
      logs += chunk.toString();
      done();
    },
  });
  const logger = pino({ level: 'debug', redact: { paths: REDACTED_PATHS, censor: '***' } }, sink);
  server = await startInstance({ url: redis.url }, { logLevel: 'debug' }, { logger });
  noDev = await startInstance({ url: redis.url }, { devEndpoints: false });
});
afterAll(() => stopAllServers([server, noDev], clients));

const get = async (path: string, on = server) => {
  const res = await fetch(`${on.address.url}${path}`);
  return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
};

describe('operations endpoints', () => {
  test('/healthz and /readyz', async () => {
    expect(await get('/healthz')).toMatchObject({ status: 200, text: '{"status":"ok","instance":"ws-1"}' });
    expect(await get('/readyz')).toMatchObject({ status: 200, text: '{"ready":true}' });
  });

  test('/stats: the pool stats as the pool gives them, and connections by transport', async () => {
    const ws = new TestClient(server.address.url, 'ws-user');
    const polling = new TestClient(server.address.url, 'polling-user', { transports: ['polling'] });
    clients.push(ws, polling);
    await Promise.all([ws.connected(), polling.connected()]);
    await ws.subscribe('chat.stats');
    await waitFor('both counted', () => server.stats().connections.total === 2);
    const stats = JSON.parse((await get('/stats')).text);
    expect(stats).toMatchObject({
      instance: 'ws-1',
      status: 'running',
      ready: true,
      fanout: 'sharded',
      connections: { total: 2, websocket: 1, polling: 1 },
      subscriptions: 1,
      channels: 1,
    });
    expect(stats.pools).toHaveLength(1);
    const pool = stats.pools[0];
    for (const field of [
      'name',
      'lastActivity',
      'idleDisconnectMs',
      'msUntilIdleDisconnect',
      'healthy',
      'connected',
    ])
      expect(pool).toHaveProperty(field);
    expect(pool).toMatchObject({ name: 'ws', healthy: true, connected: true, dedicated: 2 });
    ws.close();
    polling.close();
    await waitFor('counts back to zero', () => server.stats().connections.total === 0);
  });

  test('/metrics: Prometheus text with the ws and pool metrics', async () => {
    const c = new TestClient(server.address.url, 'metrics-user');
    clients.push(c);
    await c.connected();
    await c.subscribe('chat.metrics');
    await c.publish('chat.metrics', 'hello');
    await waitFor('delivered', () => c.offsets('chat.metrics').length === 1);
    await c.request('publish', { channel: 'nope{' });
    const res = await get('/metrics');
    expect(res.status).toBe(200);
    expect(res.type).toContain('text/plain');
    for (const expected of [
      'redpool_ws_connections{transport="websocket"} 1',
      'redpool_ws_connections{transport="polling"} 0',
      'redpool_ws_subscriptions 1',
      'redpool_ws_channels 1',
      'redpool_ws_ready 1',
      'redpool_ws_messages_total{pattern="chat.*",direction="in"} 1',
      'redpool_ws_messages_total{pattern="chat.*",direction="out"} 1',
      'redpool_ws_drops_total{reason="malformed"} 1',
      'redpool_ws_publish_latency_seconds_count{pattern="chat.*"} 1',
      'redpool_pool_connections{pool="ws",state="active"}',
      'redpool_pool_max_connections{pool="ws"} 10',
    ])
      expect(res.text).toContain(expected);
    const promtool = spawnSync('promtool', ['check', 'metrics'], { input: res.text, encoding: 'utf8' });
    if (!promtool.error) expect(`${promtool.stdout}${promtool.stderr}`.trim()).toBe('');
  });

  test('the chat page, its script and the Socket.IO client are served', async () => {
    const page = await get('/');
    expect(page).toMatchObject({ status: 200 });
    expect(page.type).toContain('text/html');
    expect(page.text).toContain('/socket.io/socket.io.js');
    expect((await get('/app.js')).type).toContain('javascript');
    expect((await get('/socket.io/socket.io.js')).status).toBe(200);
    expect((await get('/nothing')).status).toBe(404);
    expect((await fetch(`${server.address.url}/stats`, { method: 'POST' })).status).toBe(405);
  });

  test('development endpoints: tokens and notifications, off when disabled', async () => {
    const minted = JSON.parse((await get('/dev/token?user=dana&rooms=lobby')).text) as { token: string };
    const dana = new TestClient(server.address.url, 'dana', { token: minted.token });
    clients.push(dana);
    await dana.connected();
    expect((await dana.subscribe('chat.lobby')).ok).toBe(true);
    expect(await dana.subscribe('chat.other')).toMatchObject({ error: { code: 'WS_ERR_FORBIDDEN' } });
    await dana.subscribe('notifications.dana');
    const notify = await fetch(`${server.address.url}/dev/notify?user=dana`, {
      method: 'POST',
      body: 'ping',
    });
    expect(notify.status).toBe(200);
    await waitFor('notification', () => dana.data('notifications.dana').length === 1);
    expect(dana.data('notifications.dana')[0]).toMatchObject({ text: 'ping', from: 'dev' });
    expect((await get('/dev/token?user=x%7B')).status).toBe(400);
    expect((await get('/dev/token?user=dana', noDev)).status).toBe(404);
  });
});

describe('secrets never leak', () => {
  test('no Redis password, token or JWT secret in logs, stats, metrics or errors', async () => {
    const secretToken = token('leaky', { extra: 'x' });
    const forged = token('leaky', {}, 'forged-secret-forged-secret-forged!');
    const c = new TestClient(server.address.url, 'leaky', { token: secretToken });
    clients.push(c);
    await c.connected();
    const denied = await c.subscribe('notifications.someone-else');
    const bad = new TestClient(server.address.url, 'forger', { token: forged, reconnection: false });
    clients.push(bad);
    const refusal = await bad
      .connected()
      .catch((err: Error & { data?: unknown }) => JSON.stringify([err.message, err.data]));
    const surfaces = [
      logs,
      JSON.stringify(denied),
      String(refusal),
      (await get('/stats')).text,
      (await get('/metrics')).text,
      JSON.stringify(server.config.redisUrl === undefined ? {} : server.stats()),
    ];
    expect(logs).toContain('ws-server listening on');
    expect(logs).toContain('redis://:***@127.0.0.1');
    for (const text of surfaces) {
      expect(text).not.toContain(REDIS_PASSWORD);
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain(secretToken);
      expect(text).not.toContain(secretToken.split('.')[2]);
      expect(text).not.toContain(forged.split('.')[2]);
    }
  });
});
