import {
  type Codec,
  CodecConfigError,
  type CompressionDictionary,
  createCodec,
  type Serializer,
} from '@redpool/codec';
import type { Logger } from 'pino';
import { CacheConfigError } from './errors.js';

/** Options of {@link createCache}. */
export interface CacheOptions {
  /** Prefix of every key, e.g. `kibray` gives `kibray:<key>`. @defaultValue 'cache' */
  keyPrefix?: string;
  /** TTL of `set` when none is given. @defaultValue 300 */
  defaultTtlSeconds?: number;
  /** Values at least this long (serialized) are lz4-compressed when it saves bytes; 0 disables. @defaultValue 100 */
  compressMinBytes?: number;
  /** @defaultValue 'json' */
  serializer?: Serializer;
  /** lz4 dictionaries (`buildDictionary` from `@redpool/codec`): the first compresses, all decompress. @defaultValue [] */
  dictionaries?: readonly CompressionDictionary[];
  /**
   * When true, a Redis failure or timeout on a read is a miss and on a write is skipped — logged
   * and counted, never thrown. When false, errors throw.
   * @defaultValue false
   */
  ignoreErrors?: boolean;
  /** A pino logger for swallowed errors. */
  logger?: Logger;
}

export interface ResolvedCacheOptions {
  keyPrefix: string;
  defaultTtlSeconds: number;
  compressMinBytes: number;
  serializer: Serializer;
  dictionaries: readonly CompressionDictionary[];
  ignoreErrors: boolean;
}

export const DEFAULT_CACHE_OPTIONS: ResolvedCacheOptions = {
  keyPrefix: 'cache',
  defaultTtlSeconds: 300,
  compressMinBytes: 100,
  serializer: 'json',
  dictionaries: [],
  ignoreErrors: false,
};

const MAX_TTL_SECONDS = 365 * 86_400;

export function resolveCacheOptions(options: CacheOptions): ResolvedCacheOptions {
  const o = { ...DEFAULT_CACHE_OPTIONS, ...stripUndefined(options) };
  if (typeof o.keyPrefix !== 'string' || !/^[A-Za-z0-9_.:{}-]{1,64}$/.test(o.keyPrefix)) {
    throw new CacheConfigError('keyPrefix', o.keyPrefix, '1-64 characters of A-Z a-z 0-9 _ . : { } -');
  }
  validateTtl('defaultTtlSeconds', o.defaultTtlSeconds);
  if (typeof o.ignoreErrors !== 'boolean')
    throw new CacheConfigError('ignoreErrors', o.ignoreErrors, 'true or false');
  return {
    keyPrefix: o.keyPrefix,
    defaultTtlSeconds: o.defaultTtlSeconds,
    compressMinBytes: o.compressMinBytes,
    serializer: o.serializer,
    dictionaries: o.dictionaries,
    ignoreErrors: o.ignoreErrors,
  };
}

/**
 * The codec of a cache. The codec options are the cache's own options, so a bad one is reported
 * as the cache's {@link CacheConfigError} (same field, value and allowed range), not the codec's.
 */
export function createCacheCodec(options: ResolvedCacheOptions): Codec {
  try {
    return createCodec({
      serializer: options.serializer,
      compressMinBytes: options.compressMinBytes,
      dictionaries: options.dictionaries,
    });
  } catch (err) {
    if (err instanceof CodecConfigError) throw new CacheConfigError(err.field, err.value, err.allowed);
    throw err;
  }
}

/** TTLs are whole seconds from 1 to one year. */
export function validateTtl(field: string, ttl: unknown): asserts ttl is number {
  if (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl < 1 || ttl > MAX_TTL_SECONDS) {
    throw new CacheConfigError(field, ttl, `an integer number of seconds from 1 to ${MAX_TTL_SECONDS}`);
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
