import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { startBlackholeProxy, startRedis, stopAll } from '@redpool/testkit';
import type { WsServer } from '../../src/index.js';
import { startInstance, stopAllServers, TestClient, waitFor } from '../helpers.js';

afterAll(stopAll);

const PING_INTERVAL_MS = 600;
const PING_TIMEOUT_MS = 400;
/** Timers and the event loop on a busy 2-core machine. */
const SCHEDULING_SLACK_MS = 300;

let server: WsServer;
beforeAll(async () => {
  const redis = await startRedis();
  server = await startInstance(
    { url: redis.url },
    { pingIntervalMs: PING_INTERVAL_MS, pingTimeoutMs: PING_TIMEOUT_MS, tcpKeepAliveMs: 1_000 },
  );
});
afterAll(() => stopAllServers([server]));

describe('dead peers', () => {
  test.each([['websocket'], ['polling']])(
    'a %s client that vanishes without a FIN is counted out within pingInterval + pingTimeout',
    async (transport) => {
      const { port } = new URL(server.address.url);
      const proxy = await startBlackholeProxy({ host: '127.0.0.1', port: Number(port) });
      const client = new TestClient(`http://127.0.0.1:${proxy.port}`, `vanishing-${transport}`, {
        transports: [transport],
        reconnection: false,
      });
      try {
        await client.connected();
        expect((await client.subscribe('chat.dead-peers')).ok).toBe(true);
        // a few heartbeats go through while the peer is alive
        await new Promise((resolve) => setTimeout(resolve, PING_INTERVAL_MS * 2));
        expect(server.tracker.snapshot()[transport as 'websocket' | 'polling']).toBe(1);
        expect(server.connections.size).toBe(1);

        proxy.blackhole(); // no FIN, no RST: packets just stop
        const vanished = Date.now();
        await waitFor(
          'counted out',
          () => server.tracker.snapshot().websocket + server.tracker.snapshot().polling === 0,
          5_000,
        );
        const detectedMs = Date.now() - vanished;
        expect(server.connections.size).toBe(0);
        expect(server.stats().subscriptions).toBe(0);
        expect(detectedMs).toBeLessThanOrEqual(PING_INTERVAL_MS + PING_TIMEOUT_MS + SCHEDULING_SLACK_MS);
        console.log(
          `dead peer (${transport}): counted out ${detectedMs} ms after vanishing (pingInterval ${PING_INTERVAL_MS} + pingTimeout ${PING_TIMEOUT_MS} ms)`,
        );
      } finally {
        client.close();
        await proxy.close();
      }
    },
  );
});
