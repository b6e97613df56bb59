import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Redis } from 'ioredis';
import { type RedisSentinel, startSentinel, stopAll } from '../src/index.js';

afterAll(stopAll);

describe('startSentinel()', () => {
  let setup: RedisSentinel;

  beforeAll(async () => {
    setup = await startSentinel({ password: 'sentinel-pass' });
  });

  test('3 sentinels monitor the master, which has the replica attached', async () => {
    expect(setup.masterName).toBe('mymaster');
    expect(setup.sentinels).toHaveLength(3);
    expect(await setup.currentMaster()).toEqual({ host: '127.0.0.1', port: setup.master.port });
    const replication = await setup.master.info('replication');
    expect(replication.role).toBe('master');
    expect(replication.connected_slaves).toBe('1');
    expect((await setup.replica.info('replication')).master_port).toBe(String(setup.master.port));
    for (const sentinel of setup.sentinels) {
      const peers = (await sentinel.command('SENTINEL', 'SENTINELS', 'mymaster')) as unknown[];
      expect(peers).toHaveLength(2);
    }
  });

  test('an ioredis sentinel client reaches the master', async () => {
    const client = new Redis({
      sentinels: setup.sentinelAddresses,
      name: setup.masterName,
      password: 'sentinel-pass',
      lazyConnect: true,
    });
    await client.connect();
    expect(await client.set('k', 'v')).toBe('OK');
    await client.quit();
  });

  test('failover() promotes the replica: get-master-addr-by-name changes to its port', async () => {
    const promoted = await setup.failover();
    expect(promoted).toEqual({ host: '127.0.0.1', port: setup.replica.port });
    for (const sentinel of setup.sentinels) {
      const addr = (await sentinel.command('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'mymaster')) as string[];
      expect(addr).toEqual(['127.0.0.1', String(setup.replica.port)]);
    }
    expect((await setup.replica.info('replication')).role).toBe('master');
    expect((await setup.master.info('replication')).role).toBe('slave');
    expect(await setup.replica.command('GET', 'k')).toBe('v');
  });

  test('stop() kills master, replica and sentinels', async () => {
    await setup.stop();
    expect([setup.master, setup.replica, ...setup.sentinels].some((s) => s.isRunning)).toBe(false);
  });
});
