import type { Codec } from '@redpool/codec';
import type { Pool, RedisArg } from '@redpool/pool';
import type { Logger } from 'pino';
import { CacheArgumentError, CacheConfigError } from './errors.js';
import { LocalCache } from './local-cache.js';
import {
  type CacheOptions,
  createCacheCodec,
  type ResolvedCacheOptions,
  resolveCacheOptions,
  validateTtl,
} from './options.js';
import { SingleFlight } from './single-flight.js';

/** A read that found no key in Redis (a stored `null` is a value). Never stored locally. */
const ABSENT: unique symbol = Symbol('absent');

/** The cache's operations, as counted in `errors` and logs. */
export type CacheOperation = 'get' | 'set' | 'del' | 'clear';

/** Cumulative counters of one cache. */
export interface CacheCounters {
  hits: number;
  misses: number;
  /** Errors swallowed because of `ignoreErrors`, by operation. */
  errors: Record<CacheOperation, number>;
  /** Bytes of values written, serialized, before compression. */
  serializedBytes: number;
  /** Bytes of values written as stored (header and compression included). */
  storedBytes: number;
}

/**
 * A cache for non-critical data on a {@link Pool}, storing values through `@redpool/codec`
 * (JSON or MessagePack, lz4 above `compressMinBytes`). A miss is `undefined`.
 * @example
 * const cache = createCache(pool, { keyPrefix: 'chat', defaultTtlSeconds: 300, ignoreErrors: true });
 * const profile = await cache.getOrSet(`user:${id}`, () => db.loadProfile(id), 60);
 */
export class Cache {
  readonly options: Readonly<ResolvedCacheOptions>;
  readonly counters: CacheCounters = {
    hits: 0,
    misses: 0,
    errors: { get: 0, set: 0, del: 0, clear: 0 },
    serializedBytes: 0,
    storedBytes: 0,
  };
  /** The client-side cache (`options.local`), or null when off. */
  readonly local: LocalCache | null = null;
  private readonly codec: Codec;
  private readonly flights = new SingleFlight<unknown>();
  private readonly log: Logger | undefined;

  constructor(
    private readonly pool: Pool,
    options: CacheOptions = {},
  ) {
    this.options = resolveCacheOptions(options);
    this.codec = createCacheCodec(this.options);
    this.log = options.logger;
    if (this.options.local) {
      if (pool.isCluster) {
        throw new CacheConfigError(
          'local',
          options.local,
          'off on Redis Cluster (client tracking would need a connection per master)',
        );
      }
      this.local = new LocalCache(pool, `${this.options.keyPrefix}:`, this.options.local, this.log);
    }
  }

  /** The value stored under `key`, or `undefined` on a miss. */
  async get<T = unknown>(key: string): Promise<T | undefined> {
    const full = this.key(key);
    const local = this.local;
    if (local) {
      // The hot path of the local layer: a Map lookup, no decode, no await.
      const held = local.peek(full);
      if (held !== undefined) {
        this.counters.hits++;
        return held as T;
      }
    }
    try {
      if (local) return this.count(await this.loadLocal(local, full)) as T | undefined;
      return this.decode<T>(await this.pool.getBuffer(full), full);
    } catch (err) {
      return this.swallow('get', err, [full]);
    }
  }

  /** Stores `value` for `ttlSeconds` (default `defaultTtlSeconds`). */
  async set(key: string, value: unknown, ttlSeconds = this.options.defaultTtlSeconds): Promise<void> {
    validateTtl('ttlSeconds', ttlSeconds);
    const full = this.key(key);
    const payload = this.encode(value, full);
    // Dropped before (reads in flight are not stored) and after (reads sent before the reply
    // came are not stored either): this process reads its own write at once.
    this.local?.invalidate([full]);
    try {
      await this.pool.set(full, payload, 'EX', ttlSeconds);
    } catch (err) {
      this.swallow('set', err, [full]);
    } finally {
      this.local?.invalidate([full]);
    }
  }

  /** Deletes keys; resolves with how many existed. */
  async del(...keys: string[]): Promise<number> {
    if (keys.length === 0) return 0;
    const full = keys.map((k) => this.key(k));
    this.local?.invalidate(full);
    try {
      if (!this.pool.isCluster) return await this.pool.unlink(...full);
      const replies = await this.pool.pipeline(full.map((k) => ['UNLINK', k] as const));
      return replies.reduce((n, [err, v]) => (err ? n : n + Number(v)), 0);
    } catch (err) {
      return this.swallow('del', err, full) ?? 0;
    } finally {
      this.local?.invalidate(full);
    }
  }

  /** Several values in one round trip; a miss is `undefined` at its position. */
  async getMany<T = unknown>(keys: readonly string[]): Promise<Array<T | undefined>> {
    if (keys.length === 0) return [];
    const full = keys.map((k) => this.key(k));
    let stored: Array<Buffer | null>;
    try {
      if (this.pool.isCluster) {
        // MGET across slots is CROSSSLOT on Cluster; the pool pipelines GETs per node instead.
        const replies = await this.pool.pipeline(
          full.map((k) => ['GET', k] as const),
          { buffer: true },
        );
        stored = replies.map(([err, v]) => {
          if (err) throw err;
          return v as Buffer | null;
        });
      } else {
        stored = await this.pool.callBuffer<Array<Buffer | null>>('MGET', ...full);
      }
    } catch (err) {
      this.swallow('get', err, full);
      this.counters.misses += keys.length - 1;
      return keys.map(() => undefined);
    }
    return stored.map((value, i) => {
      try {
        return this.decode<T>(value, full[i]!);
      } catch (err) {
        return this.swallow('get', err, [full[i]!]);
      }
    });
  }

  /** Stores several values in one round trip, all with the same TTL. */
  async setMany(
    entries: Iterable<readonly [string, unknown]> | Record<string, unknown>,
    ttlSeconds = this.options.defaultTtlSeconds,
  ): Promise<void> {
    validateTtl('ttlSeconds', ttlSeconds);
    const list =
      Symbol.iterator in Object(entries)
        ? [...(entries as Iterable<readonly [string, unknown]>)]
        : Object.entries(entries);
    if (list.length === 0) return;
    const commands = list.map(([k, v]) => {
      const full = this.key(k);
      return ['SET', full, this.encode(v, full), 'EX', ttlSeconds] as [string, ...RedisArg[]];
    });
    const written = commands.map((c) => String(c[1]));
    this.local?.invalidate(written);
    try {
      const replies = await this.pool.pipeline(commands);
      const failed = replies.find(([err]) => err !== null);
      if (failed?.[0]) throw failed[0];
    } catch (err) {
      this.swallow('set', err, written);
    } finally {
      this.local?.invalidate(written);
    }
  }

  /**
   * The cached value, or the loader's result stored for `ttlSeconds`. Concurrent misses for one
   * key in this process call the loader once and share its result (single flight).
   */
  getOrSet<T>(
    key: string,
    loader: () => Promise<T>,
    ttlSeconds = this.options.defaultTtlSeconds,
  ): Promise<T> {
    validateTtl('ttlSeconds', ttlSeconds);
    const full = this.key(key);
    return this.flights.run(full, async () => {
      const cached = await this.get<T>(key);
      if (cached !== undefined) return cached;
      const value = await loader();
      if (value !== undefined) await this.set(key, value, ttlSeconds);
      return value;
    }) as Promise<T>;
  }

  /** Deletes every key under `keyPrefix:<prefix>` with SCAN (never KEYS); resolves with the count. */
  async clear(prefix = ''): Promise<number> {
    const pattern = `${escapeGlob(this.options.keyPrefix)}:${escapeGlob(prefix)}*`;
    let deleted = 0;
    let batch: string[] = [];
    const flush = async () => {
      if (batch.length === 0) return;
      const keys = batch;
      batch = [];
      const replies = await this.pool.pipeline(keys.map((k) => ['UNLINK', k] as const));
      for (const [err, v] of replies) if (!err) deleted += Number(v);
    };
    try {
      for await (const key of this.pool.scanKeys(pattern)) {
        batch.push(key);
        if (batch.length >= 500) await flush();
      }
      await flush();
    } catch (err) {
      this.swallow('clear', err, [pattern]);
    } finally {
      this.local?.flush();
    }
    return deleted;
  }

  /** Stops the client-side cache's tracking connection (giving it back to the pool's budget). */
  async close(): Promise<void> {
    this.local?.close();
  }

  /** A local miss: decoded once per miss; {@link ABSENT} when Redis has no such key. */
  private loadLocal(local: LocalCache, full: string): Promise<unknown> {
    return local.load(full, async () => {
      const stored = await this.pool.getBuffer(full);
      return stored === null ? ABSENT : this.codec.decode(stored, full);
    });
  }

  /** Counts a hit or a miss ({@link ABSENT}) of a read and turns a miss into undefined. */
  private count(value: unknown): unknown {
    if (value === ABSENT) {
      this.counters.misses++;
      return undefined;
    }
    this.counters.hits++;
    return value;
  }

  private key(key: string): string {
    if (typeof key !== 'string' || key.length === 0 || key.length > 1024) {
      throw new CacheArgumentError(
        `A cache key must be a string of 1 to 1024 characters, got ${describe(key)}`,
      );
    }
    return `${this.options.keyPrefix}:${key}`;
  }

  private encode(value: unknown, fullKey: string): Buffer {
    if (value === undefined)
      throw new CacheArgumentError(`Cannot cache undefined under "${fullKey}": undefined means a miss`);
    const result = this.codec.encodeWithStats(value, fullKey);
    this.counters.serializedBytes += result.rawBytes;
    this.counters.storedBytes += result.storedBytes;
    return result.payload;
  }

  private decode<T>(stored: Buffer | null, fullKey: string): T | undefined {
    return this.count(stored === null ? ABSENT : this.codec.decode<T>(stored, fullKey)) as T | undefined;
  }

  /** With ignoreErrors, logs and counts the failure (a read becomes a miss); otherwise rethrows. */
  private swallow(operation: CacheOperation, err: unknown, keys: string[]): undefined {
    if (!this.options.ignoreErrors) throw err;
    this.counters.errors[operation]++;
    if (operation === 'get') this.counters.misses++;
    const e = err as { message?: string; code?: string };
    this.log?.warn(
      { operation, keys: keys.slice(0, 5), code: e.code, err: e.message },
      'cache error ignored',
    );
    return undefined;
  }
}

/** Creates a {@link Cache}; options are validated now. */
export function createCache(pool: Pool, options: CacheOptions = {}): Cache {
  return new Cache(pool, options);
}

function escapeGlob(s: string): string {
  return s.replace(/[*?[\]\\]/g, '\\$&');
}

function describe(v: unknown): string {
  return typeof v === 'string' ? `a string of ${v.length} characters` : typeof v;
}
