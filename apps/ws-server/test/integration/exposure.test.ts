import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { httpFrom, nonLoopbackAddress, startRedis, stopAll } from '@redpool/testkit';
import { io } from 'socket.io-client';
import { sleep, token } from '../helpers.js';
import { killAll, type ServerProcess, serverEnv, spawnServer } from '../processes.js';

// Every request here is sent from a real interface address of this machine (not 127.0.0.0/8),
// as another host on the network would send it, to real server processes.
const ADMIN_TOKEN = 'ops-token-ops-token-ops-token-0123456789';
let redisUrl: string;
let network: string;

beforeAll(async () => {
  network = nonLoopbackAddress();
  redisUrl = (await startRedis()).url;
});
afterAll(async () => {
  await killAll();
  await stopAll();
});

const portOf = (url: string) => Number(new URL(url).port);

/** The operations listener's port, from the start log line. */
async function operationsPort(server: ServerProcess): Promise<number> {
  const line = await server.waitForLog(
    (l) => typeof l.operations === 'string',
    30_000,
    'operations listener',
  );
  return portOf(line.operations as string);
}

/** Start-up without WS_HOST: the default environment of `pnpm start`. */
function defaults(extra: Record<string, string> = {}): Record<string, string> {
  const { WS_HOST: _, ...env } = serverEnv(redisUrl);
  return { ...env, ...extra };
}

/** Open to the network, with an operations listener on a free port of every interface, behind the token. */
function operationsEnv(extra: Record<string, string> = {}): Record<string, string> {
  return serverEnv(redisUrl, {
    WS_HOST: '0.0.0.0',
    WS_ADMIN_PORT: '0',
    WS_ADMIN_HOST: '0.0.0.0',
    WS_ADMIN_TOKEN: ADMIN_TOKEN,
    ...extra,
  });
}

describe('safe by default', () => {
  test('without WS_HOST the server binds loopback only, and its start line says so', async () => {
    const server = await spawnServer(defaults());
    const port = portOf(server.url);
    expect(server.url).toBe(`http://127.0.0.1:${port}`);
    const line = await server.waitForLog((l) => /listening on/.test(l.msg));
    expect(line.host).toBe('127.0.0.1');
    await expect(httpFrom(network, network, port, '/healthz')).rejects.toThrow(/ECONNREFUSED/);
    expect((await httpFrom('127.0.0.1', '127.0.0.1', port, '/healthz')).status).toBe(200);
    server.kill('SIGKILL');
  });

  test('bound to every interface: development and operations endpoints refuse network callers', async () => {
    const server = await spawnServer(defaults({ WS_HOST: '0.0.0.0' }));
    const port = portOf(server.url);
    expect(server.url).toBe(`http://0.0.0.0:${port}`);
    // Minting an identity or forging a notification from the network is refused…
    const minted = await httpFrom(network, network, port, '/dev/token?user=victim');
    expect(minted.status).toBe(403);
    expect(minted.text).not.toContain('token"');
    const notified = await httpFrom(network, network, port, '/dev/notify?user=victim', {
      method: 'POST',
      body: 'forged',
    });
    expect(notified.status).toBe(403);
    // …and so is reading internals.
    for (const path of ['/metrics', '/stats', '/drain']) {
      const answer = await httpFrom(network, network, port, path);
      expect([path, answer.status]).toEqual([path, 403]);
      expect(answer.text).not.toContain('redpool_');
    }
    // Probes and the page stay reachable; this machine keeps everything.
    expect((await httpFrom(network, network, port, '/healthz')).status).toBe(200);
    expect((await httpFrom(network, network, port, '/readyz')).status).toBe(200);
    expect((await httpFrom(network, network, port, '/')).status).toBe(200);
    expect((await httpFrom('127.0.0.1', '127.0.0.1', port, '/dev/token?user=me')).status).toBe(200);
    expect((await httpFrom('127.0.0.1', '127.0.0.1', port, '/metrics')).status).toBe(200);
    server.kill('SIGKILL');
  });

  test('WS_ADMIN_TOKEN alone: the client port serves operations endpoints only with the bearer token', async () => {
    const server = await spawnServer(
      serverEnv(redisUrl, { WS_HOST: '0.0.0.0', WS_ADMIN_TOKEN: ADMIN_TOKEN }),
    );
    const port = portOf(server.url);
    for (const from of [network, '127.0.0.1']) {
      const none = await httpFrom(from, from, port, '/stats');
      expect(none.status).toBe(401);
      expect(none.headers['www-authenticate']).toMatch(/^Bearer/);
      const wrong = await httpFrom(from, from, port, '/stats', {
        headers: { authorization: `Bearer ${ADMIN_TOKEN.slice(0, -1)}x` },
      });
      expect(wrong.status).toBe(401);
      const right = await httpFrom(from, from, port, '/metrics', {
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      expect(right.status).toBe(200);
      expect(right.text).toContain('redpool_ws_connections');
    }
    server.kill('SIGKILL');
  });
});

describe('operations listener (WS_ADMIN_PORT)', () => {
  test('one process: operations endpoints move to the operations port and need the token there', async () => {
    const server = await spawnServer(operationsEnv());
    const port = portOf(server.url);
    const admin = await operationsPort(server);
    const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
    for (const path of ['/metrics', '/stats', '/drain']) {
      // The client port no longer serves them, token or not, from anywhere.
      expect((await httpFrom(network, network, port, path, { headers: auth })).status).toBe(404);
      expect((await httpFrom('127.0.0.1', '127.0.0.1', port, path, { headers: auth })).status).toBe(404);
      expect((await httpFrom(network, network, admin, path)).status).toBe(401);
      expect((await httpFrom(network, network, admin, path, { headers: auth })).status).toBe(200);
    }
    expect((await httpFrom(network, network, admin, '/readyz')).status).toBe(200);
    // The operations port serves nothing else: no page, no development endpoints.
    expect((await httpFrom(network, network, admin, '/')).status).toBe(404);
    expect((await httpFrom('127.0.0.1', '127.0.0.1', admin, '/dev/token?user=x')).status).toBe(404);
    server.kill('SIGKILL');
  });

  test('default operations host is loopback: not reachable from the network', async () => {
    const server = await spawnServer(serverEnv(redisUrl, { WS_HOST: '0.0.0.0', WS_ADMIN_PORT: '0' }));
    const admin = await operationsPort(server);
    await expect(httpFrom(network, network, admin, '/metrics')).rejects.toThrow(/ECONNREFUSED/);
    expect((await httpFrom('127.0.0.1', '127.0.0.1', admin, '/metrics')).status).toBe(200);
    expect((await httpFrom(network, network, portOf(server.url), '/metrics')).status).toBe(404);
    server.kill('SIGKILL');
  });

  test('supervisor (WS_WORKERS=2): the same rules, with the whole server on the operations port', async () => {
    const server = await spawnServer(operationsEnv({ WS_WORKERS: '2' }), 30_000);
    const port = portOf(server.url);
    const admin = await operationsPort(server);
    const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
    // A client from the network connects through the supervisor to a worker.
    const client = io(`http://${network}:${port}`, {
      transports: ['websocket'],
      auth: { token: token('net-user') },
      forceNew: true,
      reconnection: false,
    });
    await new Promise<void>((resolve, reject) => {
      client.once('connect', resolve);
      client.once('connect_error', reject);
    });
    for (const path of ['/metrics', '/stats', '/drain'])
      expect((await httpFrom(network, network, port, path, { headers: auth })).status).toBe(404);
    expect((await httpFrom(network, network, admin, '/stats')).status).toBe(401);
    const stats = await httpFrom(network, network, admin, '/stats', { headers: auth });
    expect(stats.status).toBe(200);
    expect(JSON.parse(stats.text)).toMatchObject({ connections: { websocket: 1 } });
    expect((await httpFrom(network, network, admin, '/metrics', { headers: auth })).text).toContain(
      'redpool_ws_workers_configured 2',
    );
    // Workers see the real caller of a connection the supervisor handed them.
    expect((await httpFrom(network, network, port, '/dev/token?user=victim')).status).toBe(403);
    expect((await httpFrom('127.0.0.1', '127.0.0.1', port, '/dev/token?user=me')).status).toBe(200);
    client.disconnect();
    await sleep(50);
    server.kill('SIGKILL');
  });
});
