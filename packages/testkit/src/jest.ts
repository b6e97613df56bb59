/**
 * @redpool/testkit/jest: fixtures that register jest hooks. A separate entry point, so that
 * benchmarks and scripts can import `@redpool/testkit` outside jest.
 */
import { afterAll, beforeAll } from '@jest/globals';
import { stopAll } from './cleanup.js';
import { NotRunningError } from './errors.js';
import { type RedisServer, type StartRedisOptions, startRedis } from './redis-server.js';

/** Something a test file opens on the server and closes when it ends: a pool, a cache. */
export interface Closable {
  close(): unknown;
}

/** What {@link useRedis} gives a test file. */
export interface RedisFixture {
  /** The server. It starts in the fixture's `beforeAll`: read it in hooks and tests, not at import time. */
  readonly server: RedisServer;
  /** The server's `url`. */
  readonly url: string;
  /** Runs `teardown` after the file's last test, before the servers stop; the last one registered runs first. */
  beforeStop(teardown: () => unknown): void;
  /** `beforeStop(() => resource.close())`; returns `resource`. */
  track<T extends Closable>(resource: T): T;
}

/**
 * For a test file: starts one redis-server before its tests; after them runs the
 * {@link RedisFixture.beforeStop | teardowns} (closes what was tracked), then stops every process
 * testkit started (what `afterAll(stopAll)` does). Call it at the top of the file, before the hooks
 * that use the server: jest runs `beforeAll` and `afterAll` hooks in the order they are declared.
 * @example
 * const redis = useRedis();
 * let pool: Pool;
 *
 * beforeAll(() => {
 *   pool = redis.track(createPool({ url: redis.url, name: 'cache-test' }));
 * });
 */
export function useRedis(options: StartRedisOptions = {}): RedisFixture {
  let server: RedisServer | undefined;
  const teardowns: (() => unknown)[] = [];
  beforeAll(async () => {
    server = await startRedis(options);
  });
  afterAll(async () => {
    try {
      for (const teardown of teardowns.splice(0).reverse()) await teardown();
    } finally {
      await stopAll();
    }
  });
  return {
    get server(): RedisServer {
      if (server === undefined)
        throw new NotRunningError('the server of useRedis() before its beforeAll', 'read');
      return server;
    },
    get url(): string {
      return this.server.url;
    },
    beforeStop(teardown) {
      teardowns.push(teardown);
    },
    track(resource) {
      teardowns.push(() => resource.close());
      return resource;
    },
  };
}
