import { afterAll } from '@jest/globals';
import { startCluster, stopAll } from '@redpool/testkit';
import { channelSuite } from './channels.suite.js';

afterAll(stopAll);

channelSuite(
  '3-master Redis Cluster, sharded adapter (auto)',
  async () => {
    const cluster = await startCluster({ masters: 3 });
    return { clusterNodes: cluster.startupNodes.map((n) => `${n.host}:${n.port}`) };
  },
  { expectedFanout: 'sharded' },
);
