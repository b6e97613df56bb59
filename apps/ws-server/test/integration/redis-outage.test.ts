import { afterAll, describe, expect, test } from '@jest/globals';
import { startRedis, stopAll } from '@redpool/testkit';
import type { WsServer } from '../../src/index.js';
import { HEALTH_INTERVAL_MS, HEALTH_TIMEOUT_MS } from '../../src/redis/redis-health.js';
import { sleep, startInstance, startInstances, stopAllServers, TestClient, waitFor } from '../helpers.js';

afterAll(stopAll);

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

async function readyz(server: WsServer): Promise<number> {
  return (await fetch(`${server.address.url}/readyz`)).status;
}

describe('Redis killed and restarted while clients are connected', () => {
  test('with persistence: readiness flips, the servers keep running, service resumes, clients recover everything', async () => {
    const redis = await startRedis({ extraConfig: { appendonly: 'yes', appendfsync: 'always' } });
    const servers = await startInstances({ url: redis.url });
    const [a, b] = servers as [WsServer, WsServer];
    const writer = new TestClient(a.address.url, 'writer');
    const onB = new TestClient(b.address.url, 'reader-b');
    const blipper = new TestClient(b.address.url, 'blipper');
    const clients = [writer, onB, blipper];
    try {
      await Promise.all(clients.map((c) => c.connected()));
      for (const c of clients) expect((await c.subscribe('chat.outage')).ok).toBe(true);
      for (let i = 1; i <= 3; i++) expect((await writer.publish('chat.outage', i)).ok).toBe(true);
      await waitFor('three everywhere', () => clients.every((c) => c.offsets('chat.outage').length === 3));
      expect([await readyz(a), await readyz(b)]).toEqual([200, 200]);

      await redis.kill();
      await waitFor(
        'both not ready',
        async () => (await readyz(a)) === 503 && (await readyz(b)) === 503,
        5000,
      );
      expect(a.stats()).toMatchObject({ status: 'running', ready: false });
      expect((await fetch(`${a.address.url}/healthz`)).status).toBe(200);
      // requests fail fast with a retryable code; connections stay up
      expect(await writer.publish('chat.outage', 'lost')).toMatchObject({
        ok: false,
        error: { code: 'WS_ERR_UNAVAILABLE' },
      });
      expect(await writer.request('subscribe', { channel: 'chat.other' })).toMatchObject({
        error: { code: 'WS_ERR_UNAVAILABLE' },
      });
      expect(clients.every((c) => c.socket.connected)).toBe(true);
      // one client also loses its own connection meanwhile and comes back while Redis is down
      b.connections.get(blipper.socket.id!)!.socket.conn.close();
      await waitFor('blipper reconnected', () => blipper.connects === 2 && blipper.socket.connected);

      await redis.restart();
      await waitFor(
        'both ready again',
        async () => (await readyz(a)) === 200 && (await readyz(b)) === 200,
        10_000,
      );
      for (let i = 4; i <= 6; i++) expect((await writer.publish('chat.outage', i)).ok).toBe(true);
      await waitFor(
        'everyone has 1..6',
        () => clients.every((c) => c.offsets('chat.outage').length >= 6),
        10_000,
      );
      await sleep(50);
      for (const c of clients) expect(c.offsets('chat.outage')).toEqual(range(1, 6));
      expect(blipper.resets).toEqual([]);
      // the blipper re-subscribed (retrying WS_ERR_UNAVAILABLE) and recovered with its old position
      expect(blipper.acks[blipper.acks.length - 1]).toMatchObject({ recovered: true });
      expect(a.status).toBe('running');
    } finally {
      await stopAllServers(servers, clients);
    }
  }, 40_000);

  test('without persistence: the lost history is announced with reset, and the new epoch flows', async () => {
    const redis = await startRedis();
    const servers = await startInstances({ url: redis.url });
    const [a, b] = servers as [WsServer, WsServer];
    const writer = new TestClient(a.address.url, 'writer');
    const reader = new TestClient(b.address.url, 'reader');
    try {
      await Promise.all([writer.connected(), reader.connected()]);
      await writer.subscribe('chat.amnesia');
      const first = await reader.subscribe('chat.amnesia');
      if (!first.ok) throw new Error('subscribe failed');
      await writer.publish('chat.amnesia', 'before');
      await waitFor('before', () => reader.offsets('chat.amnesia').length === 1);

      await redis.kill();
      await waitFor('not ready', async () => (await readyz(b)) === 503, 5000);
      await redis.restart(); // empty: history, epochs and the adapter's subscriptions are gone
      await waitFor(
        'ready again',
        async () => (await readyz(a)) === 200 && (await readyz(b)) === 200,
        10_000,
      );
      const after = await writer.publish('chat.amnesia', 'after');
      if (!after.ok) throw new Error(`publish failed: ${JSON.stringify(after)}`);
      expect(after.epoch).not.toBe(first.epoch);
      await waitFor('reset then after', () => reader.data('chat.amnesia').length === 2, 10_000);
      expect(reader.resets).toEqual([
        { channel: 'chat.amnesia', epoch: after.epoch, offset: 0, recovered: false, reason: 'epoch' },
      ]);
      expect(reader.data('chat.amnesia')).toEqual(['before', 'after']);
      // a client that reconnects with its pre-restart position is told recovered: false
      const late = new TestClient(a.address.url, 'late');
      late.positions.set('chat.amnesia', { epoch: first.epoch, offset: 1 });
      await late.connected();
      expect(await late.subscribe('chat.amnesia')).toMatchObject({
        ok: true,
        recovered: false,
        reason: 'epoch',
      });
      late.close();
    } finally {
      await stopAllServers(servers, [writer, reader]);
    }
  }, 40_000);

  test('Redis frozen (SIGSTOP): /readyz turns 503 within interval + deadline, and back after SIGCONT', async () => {
    const redis = await startRedis();
    const server = await startInstance({ url: redis.url });
    try {
      expect(await readyz(server)).toBe(200);
      const frozenAt = Date.now();
      redis.freeze();
      await waitFor(
        'not ready',
        async () => (await readyz(server)) === 503,
        HEALTH_INTERVAL_MS + HEALTH_TIMEOUT_MS + 1_500,
      );
      const detectedMs = Date.now() - frozenAt;
      expect(detectedMs).toBeLessThanOrEqual(HEALTH_INTERVAL_MS + HEALTH_TIMEOUT_MS + 500);
      // It stays not ready for as long as Redis is frozen (no stale "ready" from a queued check).
      for (let i = 0; i < 6; i++) {
        await sleep(500);
        expect(await readyz(server)).toBe(503);
      }
      redis.thaw();
      await waitFor('ready again', async () => (await readyz(server)) === 200, 10_000);
    } finally {
      if (redis.isFrozen) redis.thaw();
      await stopAllServers([server]);
    }
  }, 40_000);
});
