import { afterAll, describe, expect, test } from '@jest/globals';
import { buildDictionary, type CompressionDictionary } from '@redpool/codec';
import { createPool } from '@redpool/pool';
import { chatValue, startRedis, stopAll } from '@redpool/testkit';
import { createCache } from '../src/index.js';

afterAll(stopAll);

const VALUES = 10_000;

/** `used_memory` growth of a fresh Redis after caching 10,000 ~1 KB chat messages. */
async function usedMemory(
  compressMinBytes: number,
  dictionaries: CompressionDictionary[] = [],
): Promise<number> {
  const redis = await startRedis();
  const pool = createPool({ url: redis.url, name: `mem-${compressMinBytes}` });
  const cache = createCache(pool, {
    keyPrefix: 'chat',
    compressMinBytes,
    dictionaries,
    defaultTtlSeconds: 3_600,
  });
  const baseline = Number((await redis.info('memory')).used_memory);
  for (let i = 0; i < VALUES; i += 500) {
    await cache.setMany(
      Array.from({ length: 500 }, (_, j) => [`msg:${i + j}`, chatValue(1_024, i + j)] as const),
    );
  }
  expect(Number(await pool.call('DBSIZE'))).toBe(VALUES);
  expect(await cache.get('msg:1234')).toEqual(chatValue(1_024, 1_234));
  const used = Number((await redis.info('memory')).used_memory) - baseline;
  await pool.close();
  await redis.stop();
  return used;
}

describe('compression saves Redis memory', () => {
  test('10,000 chat messages of ~1 KB: lz4 with a dictionary uses at least 50% less memory than no compression', async () => {
    // A dictionary built from other messages than the stored ones, as an app would ship it.
    const samples = Array.from({ length: 20 }, (_, i) => chatValue(1_024, 1_000_000 + i));
    const dictionary = { id: 1, data: buildDictionary(samples) };
    const plain = await usedMemory(0);
    const lz4 = await usedMemory(100);
    const lz4Dictionary = await usedMemory(100, [dictionary]);
    const saved = (used: number) => ((1 - used / plain) * 100).toFixed(1);
    console.log(
      `used_memory for ${VALUES} ~1 KB chat messages: uncompressed ${(plain / 1e6).toFixed(2)} MB; ` +
        `lz4 ${(lz4 / 1e6).toFixed(2)} MB (-${saved(lz4)}%); ` +
        `lz4 + ${dictionary.data.length} B dictionary ${(lz4Dictionary / 1e6).toFixed(2)} MB (-${saved(lz4Dictionary)}%)`,
    );
    expect(lz4).toBeLessThan(plain * 0.7);
    expect(lz4Dictionary).toBeLessThanOrEqual(plain * 0.5);
  }, 90_000);
});
