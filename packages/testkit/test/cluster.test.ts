import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Cluster } from 'ioredis';
import { type ClusterNode, type RedisCluster, startCluster, stopAll } from '../src/index.js';

afterAll(stopAll);

async function clusterState(node: ClusterNode): Promise<string | undefined> {
  const text = String(await node.command('CLUSTER', 'INFO'));
  return /cluster_state:(\w+)/.exec(text)?.[1];
}

function client(cluster: RedisCluster): Cluster {
  const c = new Cluster(cluster.startupNodes, { lazyConnect: true, redisOptions: { disconnectTimeout: 50 } });
  c.on('error', () => {});
  return c;
}

describe('startCluster({ masters: 3, replicasPerMaster: 1 })', () => {
  let cluster: RedisCluster;
  const keys: string[] = [];

  beforeAll(async () => {
    cluster = await startCluster({ masters: 3, replicasPerMaster: 1 });
  });

  test('every node reports cluster_state:ok; 3 masters own all slots, announced as 127.0.0.1', async () => {
    expect(cluster.nodes).toHaveLength(6);
    expect(cluster.startupNodes).toHaveLength(6);
    expect(await Promise.all(cluster.nodes.map(clusterState))).toEqual(Array(6).fill('ok'));
    const masters = await cluster.masters();
    expect(masters.map((m) => m.port).sort()).toEqual(
      cluster.nodes
        .slice(0, 3)
        .map((n) => n.port)
        .sort(),
    );
    const slots = (await cluster.nodes[0]!.command('CLUSTER', 'SLOTS')) as [
      number,
      number,
      [string, number],
    ][];
    expect(slots.reduce((sum, [from, to]) => sum + (to - from + 1), 0)).toBe(16384);
    expect(new Set(slots.map((s) => s[2][0]))).toEqual(new Set(['127.0.0.1']));
    for (const master of masters) expect(await cluster.replicasOf(master)).toHaveLength(1);
  });

  test('serves keys on all three masters through an ioredis Cluster client', async () => {
    const c = client(cluster);
    await c.connect();
    const masters = await cluster.masters();
    const owned = new Map<string, number>(masters.map((m) => [m.id, 0]));
    const slots = (await c.cluster('SLOTS')) as unknown as [number, number, [string, number, string]][];
    for (let i = 0; i < 1000 && [...owned.values()].some((n) => n === 0); i++) {
      const key = `key:${i}`;
      const slot = Number(await c.cluster('KEYSLOT', key));
      const owner = slots.find(([from, to]) => slot >= from && slot <= to)![2][2];
      owned.set(owner, (owned.get(owner) ?? 0) + 1);
      await c.set(key, `value-${i}`);
      keys.push(key);
    }
    expect([...owned.values()].every((n) => n > 0)).toBe(true);
    for (const master of masters) expect(Number(await master.command('DBSIZE'))).toBeGreaterThan(0);
    expect(await Promise.all(keys.map((k) => c.get(k)))).toEqual(keys.map((k) => `value-${k.slice(4)}`));
    expect(await c.nodes('master')).toHaveLength(3);
    c.disconnect();
  });

  test('failover(master) with the master alive promotes its replica', async () => {
    const [master] = await cluster.masters();
    const [replica] = await cluster.replicasOf(master!);
    const promoted = await cluster.failover(master!);
    expect(promoted.id).toBe(replica!.id);
    expect(promoted.role).toBe('master');
    expect(master!.role).toBe('replica');
    expect((await promoted.info('replication')).role).toBe('master');
    expect((await master!.info('replication')).role).toBe('slave');
    const c = client(cluster);
    await c.connect();
    expect(await Promise.all(keys.map((k) => c.get(k)))).toEqual(keys.map((k) => `value-${k.slice(4)}`));
    c.disconnect();
  });

  test('failover(master) of a killed master takes over with its replica', async () => {
    const masters = await cluster.masters();
    const victim = masters.find(
      (m) => m.isRunning && m.port !== cluster.nodes[0]!.port && m.role === 'master',
    )!;
    const [replica] = await cluster.replicasOf(victim);
    await victim.kill();
    const promoted = await cluster.failover(victim);
    expect(promoted.id).toBe(replica!.id);
    expect(promoted.role).toBe('master');
    const live = cluster.nodes.filter((n) => n.isRunning);
    expect(await Promise.all(live.map(clusterState))).toEqual(Array(live.length).fill('ok'));
    const c = client(cluster);
    await c.connect();
    await c.set('after-takeover', 'yes');
    expect(await c.get('after-takeover')).toBe('yes');
    c.disconnect();
    await victim.restart();
    await cluster.waitForOk();
    expect(victim.role).toBe('replica');
  });

  test('failover() of a master without a live replica is a typed error; stop() kills every node', async () => {
    const [master] = await cluster.masters();
    const [replica] = await cluster.replicasOf(master!);
    await replica!.kill();
    await expect(cluster.failover(master!)).rejects.toMatchObject({ code: 'TESTKIT_ERR_CLUSTER' });
    await cluster.stop();
    expect(cluster.nodes.filter((n) => n.isRunning)).toHaveLength(0);
  });
});
