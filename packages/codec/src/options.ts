import { findUnknownOption } from '@redpool/config';
import { CodecConfigError } from './errors.js';

/**
 * Serializer for values that are not stored as plain text or raw bytes (objects, arrays,
 * booleans, null, non-integer numbers…).
 *
 * - `json`: `JSON.stringify`/`JSON.parse` semantics; readable in redis-cli and by any client.
 * - `msgpack`: standard MessagePack via msgpackr (no record extension, no shared structures);
 *   keeps `undefined`, `Date`, `Buffer`/`Uint8Array` and `bigint` (64-bit) intact.
 *
 * Decoding never depends on this choice: every stored value says in its header how it was
 * written, so codecs with different serializers read each other's values.
 */
export type Serializer = 'json' | 'msgpack';

/** Every accepted {@link Serializer} name. */
export const SERIALIZERS: readonly Serializer[] = Object.freeze(['json', 'msgpack']);

/** Largest accepted `compressMinBytes`: the Redis string size limit (512 MiB). */
export const MAX_COMPRESS_MIN_BYTES = 512 * 1024 * 1024;

/** Options of {@link createCodec}. */
export interface CodecOptions {
  /**
   * How non-plain values are serialized. See {@link Serializer}.
   * @defaultValue 'json'
   */
  serializer?: Serializer;
  /**
   * Values whose serialized form has at least this many bytes are lz4-compressed, and kept
   * compressed only if that makes them strictly smaller. `0` disables compression.
   * Integer from 0 to 536870912 (512 MiB).
   * @defaultValue 100
   */
  compressMinBytes?: number;
  /**
   * lz4 dictionaries (see {@link buildDictionary}): the first compresses, every one listed
   * decompresses, so a dictionary can be replaced without losing values written with the old
   * one. Small values (chat messages) shrink much more with a dictionary of typical values.
   * Ids are integers from 1 to 255, stored in the value's header; data is 1 to 65536 bytes.
   * @defaultValue []
   */
  dictionaries?: readonly CompressionDictionary[];
}

/** An lz4 dictionary: typical serialized values, most common content last. */
export interface CompressionDictionary {
  /** 1-255, stored in every value compressed with it. Never reuse an id for other data. */
  readonly id: number;
  readonly data: Buffer;
}

/** Largest useful lz4 dictionary: the lz4 match window. */
export const MAX_DICTIONARY_BYTES = 65_536;

/** {@link CodecOptions} with every default applied. */
export type ResolvedCodecOptions = Readonly<Required<CodecOptions>>;

/** The defaults of every {@link CodecOptions} field, in one place. */
export const DEFAULT_CODEC_OPTIONS: ResolvedCodecOptions = Object.freeze({
  serializer: 'json',
  compressMinBytes: 100,
  dictionaries: Object.freeze([]) as readonly CompressionDictionary[],
});

const KNOWN_FIELDS: ReadonlySet<string> = new Set(Object.keys(DEFAULT_CODEC_OPTIONS));

/**
 * Validates user options and applies the defaults.
 * @throws CodecConfigError naming the field, the value and the allowed range.
 */
export function resolveOptions(options: CodecOptions | undefined): ResolvedCodecOptions {
  if (options === undefined) return DEFAULT_CODEC_OPTIONS;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new CodecConfigError('options', options, 'an object or undefined');
  }
  const unknown = findUnknownOption(options, KNOWN_FIELDS);
  if (unknown !== undefined) {
    const hint = unknown.closest === undefined ? '' : `; did you mean "${unknown.closest}"?`;
    throw new CodecConfigError(
      unknown.field,
      (options as Record<string, unknown>)[unknown.field],
      `no such option${hint} (known options: ${[...KNOWN_FIELDS].join(', ')})`,
    );
  }
  const serializer = options.serializer === undefined ? DEFAULT_CODEC_OPTIONS.serializer : options.serializer;
  if (!SERIALIZERS.includes(serializer)) {
    throw new CodecConfigError('serializer', serializer, SERIALIZERS.map((s) => `'${s}'`).join(' | '));
  }
  const compressMinBytes =
    options.compressMinBytes === undefined
      ? DEFAULT_CODEC_OPTIONS.compressMinBytes
      : options.compressMinBytes;
  if (
    typeof compressMinBytes !== 'number' ||
    !Number.isInteger(compressMinBytes) ||
    compressMinBytes < 0 ||
    compressMinBytes > MAX_COMPRESS_MIN_BYTES
  ) {
    throw new CodecConfigError(
      'compressMinBytes',
      compressMinBytes,
      `an integer from 0 (compression off) to ${MAX_COMPRESS_MIN_BYTES}`,
    );
  }
  const dictionaries = resolveDictionaries(options.dictionaries);
  return Object.freeze({ serializer, compressMinBytes, dictionaries });
}

function resolveDictionaries(value: unknown): readonly CompressionDictionary[] {
  if (value === undefined) return DEFAULT_CODEC_OPTIONS.dictionaries;
  if (!Array.isArray(value)) throw new CodecConfigError('dictionaries', value, 'an array of { id, data }');
  const seen = new Set<number>();
  return Object.freeze(
    value.map((d: unknown, i) => {
      const { id, data } = (d ?? {}) as { id?: unknown; data?: unknown };
      if (typeof id !== 'number' || !Number.isInteger(id) || id < 1 || id > 255 || seen.has(id)) {
        throw new CodecConfigError(`dictionaries[${i}].id`, id, 'a unique integer from 1 to 255');
      }
      if (!Buffer.isBuffer(data) || data.length < 1 || data.length > MAX_DICTIONARY_BYTES) {
        throw new CodecConfigError(
          `dictionaries[${i}].data`,
          data,
          `a Buffer of 1 to ${MAX_DICTIONARY_BYTES} bytes`,
        );
      }
      seen.add(id);
      return Object.freeze({ id, data });
    }),
  );
}
