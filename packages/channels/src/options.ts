import { MAX_COMPRESS_MIN_BYTES, type Serializer } from '@redpool/codec';
import type { Logger } from 'pino';
import { type CapacityRule, type ChannelCapacity, compileCapacities } from './capacity.js';
import { InvalidOptionError } from './errors.js';

/** Options of {@link createChannelLayer}. Durations say their unit in their name. */
export interface ChannelLayerOptions {
  /**
   * Start of every Redis key, followed by `:`. ASCII letters, digits, `-`, `_`, `.`; 1–64 characters.
   * @defaultValue 'asgi'
   */
  prefix?: string;
  /** How long a message lives; an older one is never delivered. Integer seconds, 1–2592000. @defaultValue 60 */
  expirySeconds?: number;
  /** How long a `groupAdd` lasts; call it again to refresh. Integer seconds, 1–31536000. @defaultValue 86400 */
  groupExpirySeconds?: number;
  /** Most unexpired messages one channel holds; a send beyond it fails with `ChannelFullError`. @defaultValue 100 */
  capacity?: number;
  /**
   * Capacity by channel-name pattern, first match wins, e.g. `{ 'chat.*': 2000, 'notifications.*': 500 }`.
   * @defaultValue {}
   */
  channelCapacity?: ChannelCapacity;
  /**
   * Secrets for AES-256-GCM (each is stretched with HKDF-SHA256). The first encrypts, all decrypt:
   * to rotate, put the new key first, and drop the old one after `expirySeconds`. Empty: no encryption.
   * @defaultValue []
   */
  symmetricEncryptionKeys?: ReadonlyArray<string | Uint8Array>;
  /** How messages are serialized (the codec's MessagePack or JSON). @defaultValue 'msgpack' */
  serializer?: Serializer;
  /**
   * Serialized messages of at least this many bytes are lz4-compressed, and kept so only when that
   * is smaller (the codec's option; `0` disables). Higher than the codec's own default (100): a
   * typical ~100-byte channel message never shrinks, and trying cost ~20% of a send's CPU.
   * @defaultValue 512
   */
  compressMinBytes?: number;
  /**
   * How long one blocking pop waits before it is renewed. New receives interrupt it, so this only
   * bounds how long a dead connection goes unnoticed. 100–60000.
   * @defaultValue 5000
   */
  receiveBlockMs?: number;
  /**
   * On Redis Cluster, when the channels being received live in several slots, only one slot can be
   * blocked on; the others are polled this often. 10–5000.
   * @defaultValue 100
   */
  clusterPollIntervalMs?: number;
  /** A pino logger; a child is made with `{ channelLayer: prefix }`. @defaultValue pino at level `warn` */
  logger?: Logger;
}

/** The defaults, in one place. */
export const DEFAULT_CHANNEL_LAYER_OPTIONS = Object.freeze({
  prefix: 'asgi',
  expirySeconds: 60,
  groupExpirySeconds: 86_400,
  capacity: 100,
  channelCapacity: Object.freeze({}) as ChannelCapacity,
  symmetricEncryptionKeys: Object.freeze([]) as ReadonlyArray<string | Uint8Array>,
  serializer: 'msgpack' as Serializer,
  compressMinBytes: 512,
  receiveBlockMs: 5_000,
  clusterPollIntervalMs: 100,
});

/** Options after defaults and validation. */
export interface ResolvedChannelLayerOptions {
  prefix: string;
  expirySeconds: number;
  groupExpirySeconds: number;
  capacity: number;
  capacityRules: readonly CapacityRule[];
  symmetricEncryptionKeys: ReadonlyArray<string | Uint8Array>;
  serializer: Serializer;
  compressMinBytes: number;
  receiveBlockMs: number;
  clusterPollIntervalMs: number;
  logger: Logger | undefined;
}

const MAX_CAPACITY = 10_000_000;
const KNOWN = new Set([...Object.keys(DEFAULT_CHANNEL_LAYER_OPTIONS), 'logger']);

function invalid(field: string, value: unknown, allowed: string): never {
  throw new InvalidOptionError(field, value, allowed);
}

function int(field: string, value: unknown, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    invalid(field, value, `an integer from ${min} to ${max}`);
  }
  return value;
}

/** Applies the defaults and validates; throws {@link InvalidOptionError} naming the field, value and range. */
export function resolveOptions(options: ChannelLayerOptions): ResolvedChannelLayerOptions {
  if (options === null || typeof options !== 'object' || Array.isArray(options))
    invalid('options', options, 'an object');
  for (const field of Object.keys(options)) {
    if (!KNOWN.has(field))
      invalid(
        field,
        (options as Record<string, unknown>)[field],
        `no such option; known: ${[...KNOWN].join(', ')}`,
      );
  }
  const d = DEFAULT_CHANNEL_LAYER_OPTIONS;
  const prefix = options.prefix ?? d.prefix;
  if (typeof prefix !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(prefix)) {
    invalid('prefix', prefix, '1-64 characters of A-Z a-z 0-9 _ . -');
  }
  const capacity = int('capacity', options.capacity, 1, MAX_CAPACITY, d.capacity);
  const spec = options.channelCapacity ?? d.channelCapacity;
  if (spec === null || typeof spec !== 'object')
    invalid('channelCapacity', spec, 'an object or a list of [pattern, capacity]');
  const keys = options.symmetricEncryptionKeys ?? d.symmetricEncryptionKeys;
  if (!Array.isArray(keys))
    invalid('symmetricEncryptionKeys', keys, 'a list of keys (not a single string), so keys can be rotated');
  keys.forEach((key, i) => {
    const ok = typeof key === 'string' ? key.length > 0 : key instanceof Uint8Array && key.length > 0;
    if (!ok) invalid(`symmetricEncryptionKeys[${i}]`, key, 'a non-empty string or Buffer');
  });
  const serializer = options.serializer ?? d.serializer;
  if (serializer !== 'msgpack' && serializer !== 'json')
    invalid('serializer', serializer, "'msgpack' | 'json'");
  const logger = options.logger;
  if (logger !== undefined && (typeof logger !== 'object' || typeof logger?.child !== 'function')) {
    invalid('logger', '[object]', 'a pino logger');
  }
  return {
    prefix,
    expirySeconds: int('expirySeconds', options.expirySeconds, 1, 2_592_000, d.expirySeconds),
    groupExpirySeconds: int(
      'groupExpirySeconds',
      options.groupExpirySeconds,
      1,
      31_536_000,
      d.groupExpirySeconds,
    ),
    capacity,
    capacityRules: compileCapacities(
      spec,
      (field, value) => int(field, value ?? Number.NaN, 1, MAX_CAPACITY, 0),
      invalid,
    ),
    symmetricEncryptionKeys: keys,
    serializer,
    compressMinBytes: int(
      'compressMinBytes',
      options.compressMinBytes,
      0,
      MAX_COMPRESS_MIN_BYTES,
      d.compressMinBytes,
    ),
    receiveBlockMs: int('receiveBlockMs', options.receiveBlockMs, 100, 60_000, d.receiveBlockMs),
    clusterPollIntervalMs: int(
      'clusterPollIntervalMs',
      options.clusterPollIntervalMs,
      10,
      5_000,
      d.clusterPollIntervalMs,
    ),
    logger,
  };
}
