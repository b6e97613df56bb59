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
}

/** {@link CodecOptions} with every default applied. */
export type ResolvedCodecOptions = Readonly<Required<CodecOptions>>;

/** The defaults of every {@link CodecOptions} field, in one place. */
export const DEFAULT_CODEC_OPTIONS: ResolvedCodecOptions = Object.freeze({
  serializer: 'json',
  compressMinBytes: 100,
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
  for (const field of Object.keys(options)) {
    if (!KNOWN_FIELDS.has(field)) {
      throw new CodecConfigError(
        field,
        (options as Record<string, unknown>)[field],
        'no such option; known options: serializer, compressMinBytes',
      );
    }
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
  return Object.freeze({ serializer, compressMinBytes });
}
