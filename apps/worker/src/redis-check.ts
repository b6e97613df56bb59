import type { Pool } from '@redpool/pool';
import { EvictionPolicyError } from './errors.js';

/** Reads `maxmemory_policy` from `INFO memory` (needs no CONFIG permission, works on managed Redis). */
export async function readEvictionPolicy(pool: Pool): Promise<string> {
  const info = await pool.info('memory');
  const match = /^maxmemory_policy:(\S+)/m.exec(info);
  return match?.[1] ?? 'unknown';
}

/**
 * Throws {@link EvictionPolicyError} unless Redis runs with `maxmemory-policy noeviction`: BullMQ
 * keeps jobs in many keys, and an evicted one corrupts its queue.
 */
export async function assertNoEviction(pool: Pool): Promise<void> {
  const policy = await readEvictionPolicy(pool);
  if (policy !== 'noeviction') throw new EvictionPolicyError(policy);
}
