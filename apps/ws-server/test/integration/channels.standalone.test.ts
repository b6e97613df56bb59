import { afterAll } from '@jest/globals';
import { startRedis, stopAll } from '@redpool/testkit';
import { channelSuite } from './channels.suite.js';

afterAll(stopAll);

channelSuite('one Redis 7, sharded adapter (auto)', async () => ({ url: (await startRedis()).url }), {
  expectedFanout: 'sharded',
});
