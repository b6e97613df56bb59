import { afterAll } from '@jest/globals';
import { startCluster, stopAll } from '@redpool/testkit';
import { channelSuite } from './channels.suite.js';

afterAll(stopAll);

// What a Redis 6 Cluster gets (no sharded pub/sub): PUBLISH is broadcast over the cluster bus.
channelSuite(
  '3-master Redis Cluster, classic adapter',
  async () => {
    const cluster = await startCluster({ masters: 3 });
    return { clusterNodes: cluster.startupNodes.map((n) => `${n.host}:${n.port}`) };
  },
  { fanout: 'classic', expectedFanout: 'classic' },
);
