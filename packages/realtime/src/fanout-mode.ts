import type { Pool } from '@redpool/pool';
import type { FanoutMode } from './frames.js';

/**
 * The adapter a deployment uses on this Redis: `sharded` (sharded pub/sub) on Redis 7+ — standalone
 * or Cluster — and `classic` before. Every ws-server instance and publisher calls this, so they agree.
 */
export async function detectFanoutMode(pool: Pool): Promise<FanoutMode> {
  return (await redisMajorVersion(pool)) >= 7 ? 'sharded' : 'classic';
}

/** The major version from `INFO server` (`redis_version`, also reported by Valkey). */
export async function redisMajorVersion(pool: Pool): Promise<number> {
  const info = String(await pool.call('INFO', 'server'));
  const match = /redis_version:(\d+)\./.exec(info);
  return match ? Number(match[1]) : 0;
}
