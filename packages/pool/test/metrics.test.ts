import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from '@jest/globals';
import { useRedis } from '@redpool/testkit/jest';
import { Registry } from 'prom-client';
import { createPool, type Pool, registerPoolMetrics } from '../src/index.js';

const redis = useRedis();
let pool: Pool;
let registry: Registry;

beforeAll(async () => {
  pool = redis.track(createPool({ url: redis.url, name: 'metrics', maxConnections: 10 }));
  registry = new Registry();
  registerPoolMetrics(pool, registry);
  await pool.call('SET', 'a', '1');
  await pool.call('GET', 'a');
  await pool.call('HGET', 'a', 'x').catch(() => undefined);
  await pool.call('BLPOP', 'q', 0.05);
});

/** Runs `promtool check metrics` (Debian's prometheus package) on the exposition text. */
function promtoolCheck(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'metrics-')), 'metrics.txt');
  writeFileSync(file, text);
  try {
    return execFileSync('sh', ['-c', `promtool check metrics < ${file}`], { encoding: 'utf8' });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(
      `promtool check metrics failed (install Debian's "prometheus" package if missing): ${e.stderr ?? ''}${e.stdout ?? ''}${e.message}`,
    );
  }
}

describe('Prometheus metrics', () => {
  test('exports the HikariCP-style set with the redpool_ prefix', async () => {
    const text = await registry.metrics();
    expect(text).toContain('redpool_pool_connections{pool="metrics",state="idle"}');
    expect(text).toContain('redpool_pool_connections{pool="metrics",state="active"}');
    expect(text).toContain('redpool_pool_connections{pool="metrics",state="pending"} 0');
    expect(text).toContain('redpool_pool_max_connections{pool="metrics"} 10');
    expect(text).toMatch(/redpool_pool_acquire_duration_seconds_count\{pool="metrics"\} 1/);
    expect(text).toMatch(/redpool_command_duration_seconds_count\{pool="metrics",command="get"\} 1/);
    expect(text).toContain('redpool_command_errors_total{pool="metrics",kind="reply"} 1');
    for (const name of [
      'redpool_pool_acquire_timeouts_total',
      'redpool_reconnects_total',
      'redpool_health_check_failures_total',
      'redpool_idle_disconnects_total',
    ]) {
      expect(text).toContain(`${name}{pool="metrics"} 0`);
    }
  });

  test('passes promtool check metrics', async () => {
    expect(promtoolCheck(await registry.metrics())).not.toMatch(/error/i);
  });

  test('two pools share one registry; a pool whose collector throws does not break the scrape', async () => {
    const broken = createPool({ url: redis.url, name: 'broken' });
    registerPoolMetrics(broken, registry);
    broken.stats = () => {
      throw new Error('boom');
    };
    const text = await registry.metrics();
    expect(text).toContain('redpool_pool_max_connections{pool="metrics"} 10');
    expect(text).toContain('redpool_pool_max_connections{pool="broken"} 50');
    expect(text).not.toContain('redpool_pool_connections{pool="broken"');
    await broken.close();
  });
});
