import { beforeAll, describe, expect, test } from '@jest/globals';
import { waitUntil } from '@redpool/testkit';
import { useRedis } from '@redpool/testkit/jest';
import { ConfigError, createPool, type Pool, readHeartbeats, startHeartbeat } from '../src/index.js';

const redis = useRedis();
let pool: Pool;

beforeAll(() => {
  pool = redis.track(createPool({ url: redis.url, name: 'hb' }));
});

describe('fleet heartbeat', () => {
  test('publishes the stats of every listed pool under a key with a TTL, and stop() removes it', async () => {
    const cache = createPool({ url: redis.url, name: 'cache' });
    const heartbeat = startHeartbeat(pool, { app: 'ws-server', intervalMs: 200, pools: [pool, cache] });
    await waitUntil(async () => (await readHeartbeats(pool)).length === 1, 2_000, 'first heartbeat');
    const [record] = await readHeartbeats(pool);
    expect(record).toMatchObject({ app: 'ws-server', pid: process.pid, intervalMs: 200 });
    expect(record?.pools.map((p) => p.name)).toEqual(['hb', 'cache']);
    expect(record?.pools[0]).toHaveProperty('maxConnections', 50);
    const ttl = Number(await pool.call('PTTL', heartbeat.key));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(600);
    const first = record!.at;
    await waitUntil(async () => (await readHeartbeats(pool))[0]?.at !== first, 2_000, 'a later heartbeat');
    await heartbeat.stop();
    expect(await readHeartbeats(pool)).toEqual([]);
    await cache.close();
  });

  test('a silent process disappears after its TTL; foreign values under the prefix are skipped', async () => {
    const heartbeat = startHeartbeat(pool, { app: 'worker', intervalMs: 100, ttlMs: 300 });
    await heartbeat.publish();
    await pool.call('SET', 'redpool:heartbeat:junk', 'not json');
    expect((await readHeartbeats(pool)).map((r) => r.app)).toEqual(['worker']);
    await heartbeat.stop();
    await heartbeat.publish(); // stopped: publishes nothing
    expect(await readHeartbeats(pool)).toEqual([]);
  });

  test('options are validated', () => {
    expect(() => startHeartbeat(pool, { app: 'bad name' })).toThrow(ConfigError);
    expect(() => startHeartbeat(pool, { app: 'x', intervalMs: 10 })).toThrow(/heartbeat.intervalMs/);
    expect(() => startHeartbeat(pool, { app: 'x', intervalMs: 1000, ttlMs: 500 })).toThrow(/heartbeat.ttlMs/);
  });
});
