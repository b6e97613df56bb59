import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { startRedis, stopAll } from '@redpool/testkit';
import { io, type Socket } from 'socket.io-client';
import type { WsServer } from '../../src/index.js';
import { startInstance, stopAllServers, TestClient, token, waitFor, withDeadline } from '../helpers.js';

afterAll(stopAll);

let server: WsServer;
beforeAll(async () => {
  const redis = await startRedis();
  server = await startInstance({ url: redis.url });
});
afterAll(() => stopAllServers([server]));

const counts = () => server.tracker.snapshot();

type Kind = 'websocket' | 'polling' | 'upgrade' | 'websocket-cut' | 'unauthenticated';
const KINDS: Kind[] = ['websocket', 'polling', 'upgrade', 'websocket-cut', 'unauthenticated'];

/** One connect/disconnect cycle of the given kind. */
async function cycle(url: string, kind: Kind, n: number): Promise<void> {
  const socket: Socket = io(url, {
    forceNew: true,
    reconnection: false,
    transports:
      kind === 'polling' ? ['polling'] : kind === 'upgrade' ? ['polling', 'websocket'] : ['websocket'],
    auth: { token: kind === 'unauthenticated' ? 'not-a-token' : token(`cycler-${n}`) },
  });
  try {
    if (kind === 'unauthenticated') {
      await withDeadline(new Promise((resolve) => socket.once('connect_error', resolve)), 5_000, 'refusal');
      return;
    }
    await withDeadline(
      new Promise((resolve) => socket.once('connect', () => resolve(undefined))),
      5_000,
      'connect',
    );
    if (kind === 'upgrade' && socket.io.engine.transport.name !== 'websocket')
      await withDeadline(
        new Promise((resolve) => socket.io.engine.once('upgrade', () => resolve(undefined))),
        5_000,
        'upgrade',
      );
    if (kind === 'websocket-cut') {
      // the TCP connection dies without a close handshake
      (socket.io.engine.transport as unknown as { ws: { terminate(): void } }).ws.terminate();
      return;
    }
  } finally {
    socket.disconnect();
  }
}

describe('connection tracking by type', () => {
  test('1,000 connect/disconnect cycles (WebSocket, polling, upgrades, cut connections, refusals) return every count to zero', async () => {
    const CYCLES = 1_000;
    const CONCURRENCY = 20;
    let next = 0;
    let peak = 0;
    const watcher = setInterval(() => {
      const c = counts();
      peak = Math.max(peak, c.websocket + c.polling);
    }, 5);
    const started = Date.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < CYCLES) {
          const n = next++;
          await cycle(server.address.url, KINDS[n % KINDS.length]!, n);
        }
      }),
    );
    clearInterval(watcher);
    await waitFor('every count back to zero', () => {
      const c = counts();
      return c.websocket === 0 && c.polling === 0 && c.http === 0;
    });
    expect(counts()).toEqual({ websocket: 0, polling: 0, http: 0 });
    expect(server.stats().connections).toEqual({ total: 0, websocket: 0, polling: 0, http: 0 });
    expect(server.connections.size).toBe(0);
    expect(peak).toBeGreaterThan(1);
    expect(peak).toBeLessThanOrEqual(CONCURRENCY);
    console.log(`tracking: ${CYCLES} cycles in ${Date.now() - started} ms, peak ${peak} sessions`);
  }, 120_000);

  test('an upgrade from polling to WebSocket moves the count', async () => {
    const c = new TestClient(server.address.url, 'upgrader', { transports: ['polling', 'websocket'] });
    try {
      await c.connected();
      if (c.socket.io.engine.transport.name === 'polling') {
        expect(counts()).toMatchObject({ polling: 1, websocket: 0 });
        await withDeadline(
          new Promise((resolve) => c.socket.io.engine.once('upgrade', () => resolve(undefined))),
          5_000,
          'upgrade',
        );
      }
      await waitFor('moved to websocket', () => counts().websocket === 1);
      expect(counts()).toMatchObject({ polling: 0, websocket: 1 });
    } finally {
      c.close();
    }
    await waitFor('gone', () => counts().websocket === 0);
  });

  test('plain HTTP requests count while in flight; /drain, /stats and /metrics show the counts', async () => {
    const ws = new TestClient(server.address.url, 'ws-one');
    const polling = new TestClient(server.address.url, 'polling-one', { transports: ['polling'] });
    const { hostname, port } = new URL(server.address.url);
    // a request whose body never ends stays in flight
    const slow = request({
      host: hostname,
      port: Number(port),
      method: 'POST',
      path: '/dev/notify?user=slow',
    });
    slow.on('error', () => undefined);
    slow.write('partial body');
    try {
      await Promise.all([ws.connected(), polling.connected()]);
      await waitFor('one request in flight', () => counts().http === 1);
      expect(counts()).toEqual({ websocket: 1, polling: 1, http: 1 });
      // the request asking is in flight too
      const drain = await (await fetch(`${server.address.url}/drain`)).json();
      expect(drain).toEqual({
        draining: false,
        active: { websocket: 1, polling: 1, http: 2 },
        graceSecondsRemaining: null,
        gracePeriodSeconds: 30,
        startedAt: null,
      });
      const stats = (await (await fetch(`${server.address.url}/stats`)).json()) as Record<string, unknown>;
      expect(stats.connections).toEqual({ total: 2, websocket: 1, polling: 1, http: 2 });
      expect(stats.drain).toMatchObject({ draining: false });
      const metrics = await (await fetch(`${server.address.url}/metrics`)).text();
      for (const line of [
        'redpool_ws_connections{transport="websocket"} 1',
        'redpool_ws_connections{transport="polling"} 1',
        'redpool_ws_connections{transport="http"} 2',
        'redpool_ws_draining 0',
        'redpool_ws_drain_started_timestamp_seconds 0',
        'redpool_ws_drain_grace_seconds 30',
      ])
        expect(metrics).toContain(line);
      slow.end();
      await waitFor('request done', () => counts().http === 0);
    } finally {
      slow.destroy();
      ws.close();
      polling.close();
    }
    await waitFor('all gone', () => counts().websocket + counts().polling === 0);
  });
});
