import { createHash } from 'node:crypto';

/** A Lua script, loaded once per server and called by SHA1 afterwards. */
export interface RedisScript {
  readonly source: string;
  readonly sha1: string;
}

/**
 * Prepares a Lua script for {@link Pool.runScript}.
 * @example
 * const incrCapped = defineScript(`local v = redis.call('INCR', KEYS[1]) ... return v`);
 * await pool.runScript(incrCapped, ['counter'], [10]);
 */
export function defineScript(source: string): RedisScript {
  return { source, sha1: createHash('sha1').update(source).digest('hex') };
}
