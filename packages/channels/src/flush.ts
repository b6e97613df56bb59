import type { Pool } from '@redpool/pool';

const BATCH = 500;

/**
 * Deletes every key matching `pattern`, found with SCAN on every master (never KEYS), in batches
 * of 500 (UNLINK: freed off the main thread). On Cluster each key is its own command (keys of
 * one batch live in many slots). Returns how many keys were deleted.
 */
export async function unlinkMatching(pool: Pool, pattern: string): Promise<number> {
  let batch: string[] = [];
  let deleted = 0;
  const unlink = async (keys: string[]) => {
    if (keys.length === 0) return;
    deleted += keys.length;
    if (!pool.isCluster) {
      await pool.call('UNLINK', ...keys);
      return;
    }
    const results = await pool.pipeline(keys.map((k) => ['UNLINK', k] as const));
    const failed = results.find(([err]) => err !== null);
    if (failed?.[0]) throw failed[0];
  };
  for await (const key of pool.scanKeys(pattern)) {
    batch.push(key);
    if (batch.length >= BATCH) {
      await unlink(batch);
      batch = [];
    }
  }
  await unlink(batch);
  return deleted;
}
