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
  /** Prefix of every key, e.g. `chat` gives `chat:<key>`. @defaultValue 'cache' */
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
  /**
   * Opt-in client-side cache: reads are answered from process memory while Redis client tracking
   * (BCAST on `keyPrefix`) announces every change; `true` takes the defaults. Standalone and
   * Sentinel pools only; uses one subscriber connection of the pool.
   * @defaultValue undefined (off)
   */
  local?: LocalCacheOptions | boolean;
}

/** Options of the client-side cache (`CacheOptions.local`). */
export interface LocalCacheOptions {
  /** Most entries held. @defaultValue 10000 */
  maxEntries?: number;
  /** Most bytes held (keys + stored payloads + 96 bytes per entry). @defaultValue 67108864 (64 MiB) */
  maxBytes?: number;
  /**
   * Oldest entry served, in ms; 0 = no limit. Redis announces expiries only when it deletes the
   * key, which can lag its TTL, so this bounds how long an expired value can still be served.
   * @defaultValue 60000
   */
  maxAgeMs?: number;
  /** How often the tracking connection is PINGed. @defaultValue 1000 */
  pingIntervalMs?: number;
  /** A PING (or tracking setup step) unanswered within this time drops the tracking. @defaultValue 500 */
  replyTimeoutMs?: number;
}

export interface ResolvedLocalCacheOptions {
  maxEntries: number;
  maxBytes: number;
  maxAgeMs: number;
  pingIntervalMs: number;
  replyTimeoutMs: number;
}

export const DEFAULT_LOCAL_CACHE_OPTIONS: ResolvedLocalCacheOptions = {
  maxEntries: 10_000,
  maxBytes: 64 * 1024 * 1024,
  maxAgeMs: 60_000,
  pingIntervalMs: 1_000,
  replyTimeoutMs: 500,
};

export interface ResolvedCacheOptions {
  keyPrefix: string;
  defaultTtlSeconds: number;
  compressMinBytes: number;
  serializer: Serializer;
  dictionaries: readonly CompressionDictionary[];
  ignoreErrors: boolean;
  /** null when the client-side cache is off. */
  local: ResolvedLocalCacheOptions | null;
}

export const DEFAULT_CACHE_OPTIONS: ResolvedCacheOptions = {
  keyPrefix: 'cache',
  defaultTtlSeconds: 300,
  compressMinBytes: 100,
  serializer: 'json',
  dictionaries: [],
  ignoreErrors: false,
  local: null,
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
    local: resolveLocal(options.local),
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

const LOCAL_RANGES: Record<keyof ResolvedLocalCacheOptions, [min: number, max: number]> = {
  maxEntries: [1, 10_000_000],
  maxBytes: [1024, 16 * 1024 ** 3],
  maxAgeMs: [0, 86_400_000],
  pingIntervalMs: [50, 60_000],
  replyTimeoutMs: [10, 60_000],
};

function resolveLocal(local: CacheOptions['local']): ResolvedLocalCacheOptions | null {
  if (local === undefined || local === false) return null;
  if (local === true) return { ...DEFAULT_LOCAL_CACHE_OPTIONS };
  if (typeof local !== 'object' || local === null)
    throw new CacheConfigError('local', local, 'true, false or an object of local cache options');
  for (const name of Object.keys(local)) {
    if (!(name in LOCAL_RANGES))
      throw new CacheConfigError(
        `local.${name}`,
        (local as Record<string, unknown>)[name],
        `one of ${Object.keys(LOCAL_RANGES).join(', ')}`,
      );
  }
  const resolved = { ...DEFAULT_LOCAL_CACHE_OPTIONS, ...stripUndefined(local) };
  for (const [name, [min, max]] of Object.entries(LOCAL_RANGES)) {
    const value = resolved[name as keyof ResolvedLocalCacheOptions];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
      throw new CacheConfigError(`local.${name}`, value, `an integer from ${min} to ${max}`);
  }
  return resolved;
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
