import { randomBytes } from 'node:crypto';
import { expect } from '@jest/globals';
import { createPool, type Pool, type PoolOptions } from '@redpool/pool';
import { type RedisCluster, type RedisServer, settle } from '@redpool/testkit';
import { type Logger, pino } from 'pino';
import { type ChannelLayer, type ChannelLayerOptions, createChannelLayer } from '../src/index.js';

/** A prefix no other test uses (tests share one redis-server per file). */
export function uniquePrefix(label = 't'): string {
  return `${label}-${randomBytes(4).toString('hex')}`;
}

export { settle, sleep, waitUntil as waitFor } from '@redpool/testkit';

/** Asserts that a receive times out (channels_redis' `async_timeout.timeout(1)` around receive). */
export async function expectNoMessage(layer: ChannelLayer, channel: string, timeoutMs = 1000): Promise<void> {
  const started = Date.now();
  const { value, error } = await settle(layer.receive(channel, { timeoutMs }));
  expect(value).toBeUndefined();
  expect(error?.code).toBe('CHANNEL_ERR_RECEIVE_TIMEOUT');
  expect(Date.now() - started).toBeGreaterThanOrEqual(timeoutMs - 5);
}

const quiet = pino({ level: 'silent' });

/** Pools and layers made by a test file, closed by `cleanup()` (in afterEach). */
export class Fixture {
  private readonly pools: Pool[] = [];
  private readonly layers: ChannelLayer[] = [];

  constructor(private readonly target: () => PoolOptions) {}

  pool(options: PoolOptions = {}): Pool {
    const pool = createPool({ name: 'channels-test', ...this.target(), ...options });
    this.pools.push(pool);
    return pool;
  }

  /** A layer with a unique prefix (unless given) on a new pool (unless given). */
  layer(options: ChannelLayerOptions = {}, pool?: Pool): ChannelLayer {
    const layer = createChannelLayer(pool ?? this.pool(), {
      prefix: uniquePrefix(),
      logger: quiet,
      ...options,
    });
    this.layers.push(layer);
    return layer;
  }

  async cleanup(): Promise<void> {
    const layers = this.layers.splice(0);
    await Promise.all(
      layers.map((l) => (l.status === 'open' ? l.flush().catch(() => undefined) : undefined)),
    );
    await Promise.all(layers.map((l) => l.close({ timeoutMs: 2000 })));
    const pools = this.pools.splice(0);
    await Promise.all(pools.map((p) => p.close({ timeoutMs: 2000 })));
  }
}

export function standalone(server: () => RedisServer): () => PoolOptions {
  return () => ({ url: server().url });
}

export function clustered(cluster: () => RedisCluster): () => PoolOptions {
  return () => ({ cluster: { nodes: cluster().startupNodes } });
}

/** A real pino logger (info and up) whose lines land in `lines`, for assertions on what is logged. */
export function captureLogger(lines: Array<{ level: number; msg: string }>): Logger {
  return pino(
    { level: 'info' },
    {
      write(chunk: string) {
        lines.push(JSON.parse(chunk) as { level: number; msg: string });
      },
    },
  );
}
