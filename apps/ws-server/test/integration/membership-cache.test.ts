import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { type RedisServer, startRedis, stopAll } from '@redpool/testkit';
import { sleep, TestClient, waitFor } from '../helpers.js';
import { killAll, type ServerProcess, serverEnv, spawnServer } from '../processes.js';

/**
 * The backend's membership source: members of every room but `chat.staff`, except users named
 * `outsider-*`. Counts lookups per (user, room) and answers after `delayMs`, like a database would.
 */
class MembershipSource {
  readonly lookups = new Map<string, number>();
  private server: Server | undefined;
  delayMs = 20;

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://source');
      const user = url.searchParams.get('user') ?? '';
      const room = url.searchParams.get('room') ?? '';
      this.lookups.set(`${user}/${room}`, (this.lookups.get(`${user}/${room}`) ?? 0) + 1);
      const member = room !== 'staff' && !user.startsWith('outsider-');
      if (room === 'broken') {
        res.writeHead(500).end('database down');
        return;
      }
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ member }));
      }, this.delayMs);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/membership`;
  }

  count(user: string, room: string): number {
    return this.lookups.get(`${user}/${room}`) ?? 0;
  }

  get total(): number {
    return [...this.lookups.values()].reduce((a, b) => a + b, 0);
  }

  close(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

/** One series of the server's /metrics, summed over the given label filter. */
async function metric(server: ServerProcess, name: string, filter = ''): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) && line.includes(filter))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

let core: RedisServer;
let cache: RedisServer;
const source = new MembershipSource();
let sourceUrl = '';
const clients: TestClient[] = [];

/** A ws-server process asking the source for membership and caching the answers on `cache`. */
function membershipServer(extra: Record<string, string> = {}): Promise<ServerProcess> {
  return spawnServer(
    serverEnv(core.url, { REDIS_CACHE_URL: cache.url, WS_MEMBERSHIP_URL: sourceUrl, ...extra }),
  );
}

function client(server: ServerProcess, user: string): TestClient {
  const c = new TestClient(server.url, user);
  clients.push(c);
  return c;
}

beforeAll(async () => {
  [core, cache] = await Promise.all([
    startRedis(),
    startRedis({ extraConfig: { maxmemory: '64mb', 'maxmemory-policy': 'allkeys-lru' } }),
  ]);
  sourceUrl = await source.start();
});

afterAll(async () => {
  for (const c of clients) c.close();
  await killAll();
  await source.close();
  await stopAll();
});

describe('chat membership from the backend, cached on REDIS_CACHE_URL', () => {
  test('one lookup per (user, room) and TTL, shared by concurrent requests, tabs and instances; denials cached too', async () => {
    const env = serverEnv(core.url, {
      REDIS_CACHE_URL: cache.url,
      WS_MEMBERSHIP_URL: sourceUrl,
      WS_MEMBERSHIP_CACHE_TTL_SECONDS: '2',
    });
    const [a, b] = await Promise.all([spawnServer(env), spawnServer(env)]);
    // Five tabs of one user on each instance subscribe at the same moment.
    const tabs = [...Array(5)].flatMap(() => [client(a, 'ada'), client(b, 'ada')]);
    await Promise.all(tabs.map((t) => t.connected()));
    const acks = await Promise.all(tabs.map((t) => t.subscribe('chat.lobby')));
    expect(acks.map((ack) => ack.ok)).toEqual(tabs.map(() => true));
    // Single flight per process: at most one lookup per instance, usually one in all.
    expect(source.count('ada', 'lobby')).toBeGreaterThanOrEqual(1);
    expect(source.count('ada', 'lobby')).toBeLessThanOrEqual(2);
    const afterFirst = source.count('ada', 'lobby');
    // Publishing and subscribing again within the TTL ask the cache, not the source.
    expect((await tabs[0]!.publish('chat.lobby', 'hi')).ok).toBe(true);
    expect((await tabs[1]!.unsubscribe('chat.lobby')).ok).toBe(true);
    expect((await tabs[1]!.subscribe('chat.lobby')).ok).toBe(true);
    expect(source.count('ada', 'lobby')).toBe(afterFirst);

    // A denial is an answer like any other: cached, and the client gets WS_ERR_FORBIDDEN.
    const outsider = client(a, 'outsider-1');
    await outsider.connected();
    for (let i = 0; i < 3; i++)
      expect(await outsider.subscribe('chat.lobby')).toMatchObject({
        ok: false,
        error: { code: 'WS_ERR_FORBIDDEN' },
      });
    expect(source.count('outsider-1', 'lobby')).toBe(1);
    expect(await metric(a, 'redpool_cache_hits_total', 'cache="ws"')).toBeGreaterThanOrEqual(2);
    expect(await metric(a, 'redpool_cache_misses_total', 'cache="ws"')).toBeGreaterThanOrEqual(2);

    // Past the TTL the source is asked again.
    await sleep(2_200);
    expect((await tabs[2]!.unsubscribe('chat.lobby')).ok).toBe(true);
    expect((await tabs[2]!.subscribe('chat.lobby')).ok).toBe(true);
    expect(source.count('ada', 'lobby')).toBe(afterFirst + 1);
    expect(await cache.command('EXISTS', `ws:member:ada:lobby`)).toBe(1);
  }, 60_000);

  test('a failing or silent source denies with WS_ERR_INTERNAL, is not cached, and the client may retry', async () => {
    const server = await membershipServer({ WS_MEMBERSHIP_TIMEOUT_MS: '300' });
    const user = client(server, 'grace');
    await user.connected();
    for (let i = 1; i <= 2; i++) {
      expect(await user.subscribe('chat.broken')).toMatchObject({
        ok: false,
        error: { code: 'WS_ERR_INTERNAL' },
      });
      expect(source.count('grace', 'broken')).toBe(i);
    }
    source.delayMs = 1_000;
    try {
      const started = Date.now();
      expect(await user.subscribe('chat.slow')).toMatchObject({
        ok: false,
        error: { code: 'WS_ERR_INTERNAL' },
      });
      expect(Date.now() - started).toBeLessThan(900);
    } finally {
      source.delayMs = 20;
    }
    expect((await user.subscribe('chat.slow')).ok).toBe(true);
  }, 30_000);

  test('a frozen cache Redis (SIGSTOP) costs a lookup at most its 250 ms deadline, never an error', async () => {
    const server = await membershipServer();
    const user = client(server, 'frozen-cache');
    await user.connected();
    expect((await user.subscribe('chat.ice')).ok).toBe(true);
    await cache.freeze();
    try {
      for (let i = 0; i < 5; i++) {
        expect((await user.unsubscribe('chat.ice')).ok).toBe(true);
        const started = Date.now();
        expect((await user.subscribe('chat.ice')).ok).toBe(true);
        // A read and a write of the cache, each bounded by the cache pool's command deadline.
        expect(Date.now() - started).toBeLessThan(1_500);
      }
    } finally {
      await cache.thaw();
    }
    expect(await metric(server, 'redpool_cache_errors_total', 'cache="ws"')).toBeGreaterThan(0);
  }, 30_000);

  test('the cache Redis killed under load: every request is still answered from the source, then the cache serves again', async () => {
    const server = await membershipServer({ WS_MEMBERSHIP_CACHE_TTL_SECONDS: '60' });
    const users = [...Array(20)].map((_, i) => client(server, `load-${i}`));
    await Promise.all(users.map((u) => u.connected()));
    const failures: unknown[] = [];
    let answered = 0;
    let running = true;
    // Each user subscribes and unsubscribes in a loop: one membership check per subscribe.
    const load = users.map(async (user, i) => {
      const channel = `chat.room-${i % 5}`;
      while (running) {
        const ack = await user.subscribe(channel);
        if (!ack.ok) failures.push(ack);
        else answered++;
        const left = await user.unsubscribe(channel);
        if (!left.ok) failures.push(left);
      }
    });
    await waitFor('load warms the cache', () => answered > 200, 20_000);
    const before = { source: source.total, errors: await metric(server, 'redpool_cache_errors_total') };

    await cache.kill();
    const killedAt = answered;
    await waitFor('requests answered with the cache down', () => answered > killedAt + 300, 20_000);
    const during = { source: source.total, errors: await metric(server, 'redpool_cache_errors_total') };
    // Without the cache every subscribe asked the source, and each failed cache read was counted.
    expect(during.source - before.source).toBeGreaterThan(100);
    expect(during.errors - before.errors).toBeGreaterThan(100);

    await cache.restart();
    await waitFor(
      'the cache serves again',
      async () => {
        const hits = await metric(server, 'redpool_cache_hits_total', 'cache="ws"');
        await sleep(300);
        return (await metric(server, 'redpool_cache_hits_total', 'cache="ws"')) > hits + 20;
      },
      20_000,
    );
    const settled = source.total;
    await sleep(500);
    running = false;
    await Promise.all(load);
    // Refilled after the restart: the source is no longer asked for every subscribe.
    expect(source.total - settled).toBeLessThan(20);
    expect(failures).toEqual([]);
    expect(users.every((u) => u.socket.connected)).toBe(true);
  }, 90_000);
});
