import { afterAll, afterEach } from '@jest/globals';
import { stopAll } from '@redpool/testkit';
import type { Pool } from '../src/index.js';

/**
 * For a test file: returns `track(pool)`, which destroys the pool after the test that made it;
 * the file's redis-server processes are stopped after its last test.
 */
export function trackPools(): (pool: Pool) => Pool {
  const pools: Pool[] = [];
  afterEach(async () => {
    await Promise.all(pools.splice(0).map((p) => p.destroy()));
  });
  afterAll(stopAll);
  return (pool) => {
    pools.push(pool);
    return pool;
  };
}
