import { afterAll } from '@jest/globals';
import { startRedis, stopAll } from '@redpool/testkit';
import { channelSuite } from './channels.suite.js';

afterAll(stopAll);

// The classic adapter (PUBLISH/PSUBSCRIBE) is what `auto` picks before Redis 7.
channelSuite('one Redis, classic adapter', async () => ({ url: (await startRedis()).url }), {
  fanout: 'classic',
  expectedFanout: 'classic',
});
