import { describe, expect, test } from '@jest/globals';
import { settle, sleep, startCluster, startRedis, waitUntil, withDeadline } from '@redpool/testkit';
import { Worker } from 'bullmq';
import { createPool, PoolExhaustedError, type RedisConnection } from '../src/index.js';
import { trackPools } from './track-pools.js';

const track = trackPools();

/** Reconnect attempts far enough apart that a connection spends most of an outage waiting between them. */
const retry = { attempts: 100, baseDelayMs: 100, maxDelayMs: 300 };

/** Counts the `end` events of a connection from now on. */
function countEnds(conn: RedisConnection): () => number {
  let ends = 0;
  conn.on('end', () => ends++);
  return () => ends;
}

/** Waits until every connection waits for its next reconnect attempt (Redis is down). */
async function allReconnecting(...conns: RedisConnection[]): Promise<void> {
  await waitUntil(() => conns.every((c) => c.status === 'reconnecting'), 5_000, "status 'reconnecting'");
}

/** `end` came (exactly once, even a while later) and the status says so. */
async function expectEndedOnce(conn: RedisConnection, ends: () => number): Promise<void> {
  await waitUntil(() => ends() > 0, 1_000, "the connection's 'end'");
  await sleep(100);
  expect(ends()).toBe(1);
  expect(conn.status).toBe('end');
}

describe('a subscriber closed while Redis is down', () => {
  test('disconnect() ends it (once) and gives its slot back; the budget serves again once Redis is back', async () => {
    const redis = await startRedis();
    const pool = track(createPool({ url: redis.url, name: 'dsub', maxConnections: 2, retry }));
    const sub = await pool.subscriber();
    await sub.subscribe('news');
    const ends = countEnds(sub);
    await redis.kill();
    await allReconnecting(sub);
    expect(sub.status).toBe('reconnecting');
    sub.disconnect();
    await expectEndedOnce(sub, ends);
    expect(pool.stats().dedicated).toBe(0);
    await redis.restart();
    const again = await pool.subscriber(); // shared 1 + this one: the whole budget
    expect(again.status).toBe('ready');
    await again.quit();
  });

  test('quit() resolves at once, fails the commands queued for the reconnect, ends it and gives its slot back', async () => {
    const redis = await startRedis();
    const pool = track(
      createPool({ url: redis.url, name: 'qsub', maxConnections: 2, commandTimeoutMs: 10_000, retry }),
    );
    const sub = await pool.subscriber();
    const ends = countEnds(sub);
    await redis.kill();
    await allReconnecting(sub);
    const queued = settle(sub.subscribe('later')); // waits in ioredis' offline queue
    expect(await withDeadline(sub.quit(), 1_000, 'quit()')).toBe('OK');
    expect((await withDeadline(queued, 1_000, 'the queued SUBSCRIBE')).error?.message).toMatch(
      /Connection is closed/,
    );
    await expectEndedOnce(sub, ends);
    expect(pool.stats().dedicated).toBe(0);
  });

  test('pool.close() ends a subscriber that waits to reconnect', async () => {
    const redis = await startRedis();
    const pool = track(createPool({ url: redis.url, name: 'csub', retry }));
    const sub = await pool.subscriber();
    const ends = countEnds(sub);
    await redis.kill();
    await allReconnecting(sub);
    await pool.close({ timeoutMs: 500 });
    await expectEndedOnce(sub, ends);
    expect(pool.stats().dedicated).toBe(0);
  });

  test('maxConnections 4: three subscribers closed at once (disconnect and quit) while Redis is down, then three again', async () => {
    const redis = await startRedis();
    const pool = track(createPool({ url: redis.url, name: 'many', maxConnections: 4, retry }));
    const subs = await Promise.all([pool.subscriber(), pool.subscriber(), pool.subscriber()]);
    expect(() => pool.bullmq()).toThrow(PoolExhaustedError); // shared 1 + 3 subscribers
    const ends = subs.map(countEnds);
    await redis.kill();
    await allReconnecting(...subs);
    const [first, ...rest] = subs;
    first!.disconnect();
    const quits = await withDeadline(
      Promise.all(rest.map((s) => s.quit())),
      1_000,
      'quit() of two subscribers',
    );
    expect(quits).toEqual(['OK', 'OK']);
    await Promise.all(subs.map((s, i) => expectEndedOnce(s, ends[i]!)));
    expect(pool.stats().dedicated).toBe(0);
    await redis.restart();
    const again = await Promise.all([pool.subscriber(), pool.subscriber(), pool.subscriber()]);
    for (const s of again) expect(s.status).toBe('ready');
    const { error } = await settle(pool.subscriber());
    expect((error as PoolExhaustedError).reason).toBe('budget');
    await Promise.all(again.map((s) => s.quit()));
  });
});

describe('BullMQ connections closed while Redis is down', () => {
  test('disconnect() and quit() end the connection and its copy, fail what was queued, give both slots back', async () => {
    const redis = await startRedis();
    const pool = track(createPool({ url: redis.url, name: 'dbull', maxConnections: 3, retry }));
    const connection = pool.bullmq();
    await connection.ping();
    const copy = connection.duplicate(); // as a Worker makes for its blocking fetch
    await copy.ping();
    expect(pool.stats().dedicated).toBe(2);
    const ends = [countEnds(connection), countEnds(copy)];
    await redis.kill();
    await allReconnecting(connection, copy);
    // maxRetriesPerRequest: null: without the close these would wait for Redis for ever.
    const queued = [settle(connection.get('k')), settle(copy.get('k'))];
    connection.disconnect();
    expect(await withDeadline(copy.quit(), 1_000, "the copy's quit()")).toBe('OK');
    for (const q of await withDeadline(Promise.all(queued), 1_000, 'the queued commands'))
      expect(q.error?.message).toMatch(/Connection is closed/);
    await expectEndedOnce(connection, ends[0]!);
    await expectEndedOnce(copy, ends[1]!);
    expect(pool.stats().dedicated).toBe(0);
    await redis.restart();
    const again = pool.bullmq();
    await again.ping();
    await again.duplicate().ping(); // the whole budget again: shared 1 + 2
    expect(() => pool.bullmq()).toThrow(PoolExhaustedError);
  });

  test("a Worker closes while Redis is down, and with its connection's quit() every slot comes back", async () => {
    const redis = await startRedis();
    const pool = track(createPool({ url: redis.url, name: 'wbull', maxConnections: 3, retry }));
    const connection = pool.bullmq();
    const worker = new Worker('mail', async () => undefined, { connection });
    worker.on('error', () => undefined);
    await worker.waitUntilReady();
    await waitUntil(() => pool.stats().dedicated === 2, 5_000, "the worker's blocking connection");
    await redis.kill();
    await allReconnecting(connection);
    await withDeadline(worker.close(true), 5_000, 'worker.close()');
    await withDeadline(connection.quit(), 1_000, "the connection's quit()");
    await waitUntil(() => pool.stats().dedicated === 0, 1_000, 'both slots back');
    await redis.restart();
    const again = pool.bullmq();
    await again.ping();
    await again.duplicate().ping();
  });
});

describe('Redis Cluster connections closed while the cluster is down', () => {
  test('disconnect() and quit() end them (once) and give their slots back', async () => {
    const cluster = await startCluster({ masters: 1 });
    const pool = track(
      createPool({ cluster: { nodes: cluster.startupNodes }, name: 'ccl', maxConnections: 3, retry }),
    );
    const conns = [pool.bullmq(), pool.bullmq()];
    await Promise.all(conns.map((c) => c.set('k', 'v')));
    const ends = conns.map(countEnds);
    for (const node of cluster.nodes) await node.kill();
    // A cluster notices lost nodes when it next uses them.
    for (const c of conns) void c.get('k').catch(() => undefined);
    await allReconnecting(...conns);
    conns[0]!.disconnect();
    expect(await withDeadline(conns[1]!.quit(), 1_000, 'quit()')).toBe('OK');
    await Promise.all(conns.map((c, i) => expectEndedOnce(c, ends[i]!)));
    expect(pool.stats().dedicated).toBe(0);
    expect(() => [pool.bullmq(), pool.bullmq()]).not.toThrow();
  }, 60_000);

  test('disconnect() right after connect(), while the startup nodes are being resolved, ends it', async () => {
    const cluster = await startCluster({ masters: 1 });
    const pool = track(createPool({ cluster: { nodes: cluster.startupNodes }, name: 'cdns', retry }));
    const conn = pool.bullmq();
    const ends = countEnds(conn);
    const connecting = settle(conn.connect());
    expect(conn.status).toBe('connecting');
    conn.disconnect();
    await expectEndedOnce(conn, ends);
    expect((await connecting).error).toBeDefined();
    expect(pool.stats().dedicated).toBe(0);
  }, 60_000);
});
