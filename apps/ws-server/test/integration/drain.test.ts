import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { type RedisServer, startRedis, stopAll } from '@redpool/testkit';
import { AckedPublishing } from '../acked-publishing.js';
import { sleep, TestClient, waitFor } from '../helpers.js';
import { killAll, type LogLine, type ServerProcess, serverEnv, spawnServer } from '../processes.js';

afterAll(async () => {
  await killAll();
  await stopAll();
});

const PROGRESS = /^Draining connections: (\d+) active \((\d+) websocket, (\d+) polling\), (\d+) s remaining$/;
const isProgress = (line: LogLine) => PROGRESS.test(line.msg);

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});

/** Sends a raw request and returns the status line of the answer. */
function statusLine(url: string, request: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(request));
    let data = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      data += chunk;
      if (data.includes('\r\n')) {
        resolve(data.slice(0, data.indexOf('\r\n')));
        socket.destroy();
      }
    });
    socket.on('error', reject);
  });
}

/** Opens an Engine.IO polling session by hand and never polls again (a vanished polling client). */
async function abandonedPollingSession(url: string): Promise<void> {
  const res = await fetch(`${url}/socket.io/?EIO=4&transport=polling`);
  expect(res.status).toBe(200);
  await res.text();
}

describe('graceful drain (SIGTERM)', () => {
  test('500 clients publishing move to the other instance with nothing acknowledged lost; progress every 5 s; exit 0 within the grace period', async () => {
    const GRACE_SECONDS = 12;
    const env = serverEnv(redis.url, {
      WS_DRAIN_GRACE_SECONDS: String(GRACE_SECONDS),
      WS_DRAIN_BATCH_SIZE: '10',
      WS_DRAIN_BATCH_INTERVAL_MS: '200',
    });
    const [a, b] = (await Promise.all([
      spawnServer({ ...env, WS_INSTANCE_ID: 'drain-a' }),
      spawnServer({ ...env, WS_INSTANCE_ID: 'drain-b' }),
    ])) as [ServerProcess, ServerProcess];
    const CLIENTS = 500;
    const POLLING = 20;
    const ROOMS = 50;
    const channelOf = (i: number) => `chat.drain-${i % ROOMS}`;
    const clients: TestClient[] = [];
    try {
      // ---- 500 clients on A (20 on long-polling), 10 per room, each subscribed to its room
      for (let i = 0; i < CLIENTS; i++)
        clients.push(
          new TestClient(a.url, `user-${i}`, {
            urls: [a.url, b.url],
            transports: i < POLLING ? ['polling'] : ['websocket'],
          }),
        );
      for (let i = 0; i < CLIENTS; i += 100)
        await Promise.all(clients.slice(i, i + 100).map((c) => c.connected(15_000)));
      const firstOffset = new Map<TestClient, number>();
      for (let i = 0; i < CLIENTS; i += 100)
        await Promise.all(
          clients.slice(i, i + 100).map(async (c, k) => {
            const ack = await c.subscribe(channelOf(i + k));
            if (!ack.ok) throw new Error(`subscribe failed: ${JSON.stringify(ack)}`);
            firstOffset.set(c, ack.offset);
          }),
        );
      const onA = (await (await fetch(`${a.url}/drain`)).json()) as { active: { websocket: number } };
      expect(onA).toMatchObject({
        draining: false,
        active: { websocket: CLIENTS - POLLING, polling: POLLING },
        graceSecondsRemaining: null,
        gracePeriodSeconds: GRACE_SECONDS,
      });

      // ---- every client publishes to its room every ~2 s, before, during and after the drain
      let drainStartedAt = 0;
      let ackedBeforeDrain = 0;
      const load = new AckedPublishing(clients, channelOf, 2_000, () => {
        if (drainStartedAt === 0) ackedBeforeDrain++;
      });
      await sleep(2_500);

      // ---- SIGTERM: readiness flips at once, new sessions are refused politely
      drainStartedAt = Date.now();
      a.kill('SIGTERM');
      await waitFor('A not ready', async () => (await fetch(`${a.url}/readyz`)).status === 503, 1_000);
      const notReadyAfterMs = Date.now() - drainStartedAt;
      const readyz = (await (await fetch(`${a.url}/readyz`)).json()) as Record<string, unknown>;
      expect(readyz).toMatchObject({ ready: false, status: 'draining' });
      const refused = await fetch(`${a.url}/socket.io/?EIO=4&transport=polling`);
      expect([refused.status, refused.headers.get('retry-after')]).toEqual([503, '1']);
      expect(await refused.json()).toMatchObject({ code: 'WS_ERR_DRAINING' });
      expect(
        await statusLine(
          a.url,
          'GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
        ),
      ).toBe('HTTP/1.1 503 Service Unavailable');
      const during = (await (await fetch(`${a.url}/drain`)).json()) as {
        draining: boolean;
        graceSecondsRemaining: number;
      };
      expect(during.draining).toBe(true);
      expect(during.graceSecondsRemaining).toBeLessThanOrEqual(GRACE_SECONDS);
      expect(during.graceSecondsRemaining).toBeGreaterThan(GRACE_SECONDS - 4);

      // ---- A exits 0 within the grace period
      const exit = await a.exited;
      expect(exit.code).toBe(0);
      const drainSeconds = (exit.at - drainStartedAt) / 1000;
      expect(drainSeconds).toBeLessThan(GRACE_SECONDS);

      // ---- the log: a progress line at the start and every 5 s
      const progress = a.logs.filter(isProgress);
      expect(progress.length).toBeGreaterThanOrEqual(2);
      expect(Number(PROGRESS.exec(progress[0]!.msg)![1])).toBe(CLIENTS);
      expect(progress[0]!.msg).toBe(
        `Draining connections: ${CLIENTS} active (${CLIENTS - POLLING} websocket, ${POLLING} polling), ${GRACE_SECONDS} s remaining`,
      );
      const gap = progress[1]!.time - progress[0]!.time;
      expect(gap).toBeGreaterThan(4_500);
      expect(gap).toBeLessThan(6_000);
      expect(Number(PROGRESS.exec(progress[1]!.msg)![4])).toBe(GRACE_SECONDS - 5);
      expect(a.logs.some((l) => l.msg.startsWith('Drain done in'))).toBe(true);
      expect(a.logs.some((l) => l.level >= 40 && l.msg.includes('grace period'))).toBe(false);

      // ---- every client is on B again, re-subscribed (with recovery)
      await waitFor(
        'every client settled on B',
        () => clients.every((c) => c.settled && c.url === b.url),
        15_000,
      );
      await sleep(1_000); // a little more traffic on B
      await load.stop();

      // ---- no acknowledged message is lost for any client; order kept, no duplicates
      const lost = await load.lost(firstOffset);
      expect(lost).toBe(0);
      for (const [i, c] of clients.entries()) {
        const offsets = c.offsets(channelOf(i));
        expect(offsets).toEqual([...offsets].sort((x, y) => x - y));
        expect(new Set(offsets).size).toBe(offsets.length);
        expect(c.resets).toEqual([]);
      }
      expect(ackedBeforeDrain).toBeGreaterThan(200);
      // told why, then reconnected to B (each client exactly twice connected)
      expect(clients.filter((c) => c.closings.some((e) => e.code === 'WS_ERR_DRAINING')).length).toBe(
        CLIENTS,
      );
      expect(clients.every((c) => c.connects === 2)).toBe(true);
      const onB = (await (await fetch(`${b.url}/stats`)).json()) as { connections: Record<string, number> };
      expect(onB.connections).toMatchObject({
        total: CLIENTS,
        websocket: CLIENTS - POLLING,
        polling: POLLING,
      });
      console.log(
        `drain: /readyz 503 after ${notReadyAfterMs} ms; ${progress.length} progress lines; exit 0 after ${drainSeconds.toFixed(1)} s (grace ${GRACE_SECONDS} s); ${ackedBeforeDrain} messages acknowledged before the drain, ${load.ackedCount} in all, none lost`,
      );
    } finally {
      for (const c of clients) c.close();
      a.kill('SIGKILL');
      b.kill('SIGKILL');
    }
  }, 90_000);

  test('at the end of the grace period the rest are closed with a warning, then exit 0', async () => {
    const server = await spawnServer(serverEnv(redis.url, { WS_DRAIN_GRACE_SECONDS: '2' }));
    await abandonedPollingSession(server.url);
    const started = Date.now();
    server.kill('SIGTERM');
    const exit = await server.exited;
    expect(exit.code).toBe(0);
    expect(exit.at - started).toBeGreaterThanOrEqual(1_900);
    expect(exit.at - started).toBeLessThan(5_000);
    const warning = server.logs.find((l) => l.level === 40 && l.msg.includes('grace period'));
    expect(warning?.msg).toBe(
      'Drain grace period (2 s) over: closing 1 remaining connections (0 websocket, 1 polling)',
    );
    expect(server.logs.some((l) => l.msg.startsWith('Drain done in'))).toBe(true);
  }, 30_000);

  test('a second SIGTERM during the drain exits at once', async () => {
    const server = await spawnServer(serverEnv(redis.url, { WS_DRAIN_GRACE_SECONDS: '30' }));
    await abandonedPollingSession(server.url);
    server.kill('SIGTERM');
    await server.waitForLog(isProgress, 5_000, 'the first progress line');
    const second = Date.now();
    server.kill('SIGTERM');
    const exit = await server.exited;
    expect(exit.at - second).toBeLessThan(1_000);
    expect(exit.code).toBe(1);
    expect(server.logs.some((l) => l.msg.startsWith('second signal'))).toBe(true);
  }, 30_000);
});
