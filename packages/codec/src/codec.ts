import { isUtf8 } from 'node:buffer';
import { compressIfSmaller, decompress, shouldTryCompression } from './compression.js';
import { CodecError } from './errors.js';
import { claimsHeader, HEADER_BYTES, PAYLOAD, type PayloadType, readHeader, writeHeader } from './header.js';
import { type CodecOptions, type ResolvedCodecOptions, resolveOptions } from './options.js';
import { canStoreStringPlain, decodeHeaderlessBytes, decodeText, isWellFormed } from './plain.js';
import { SERIALIZER_IMPLS, serializerForType } from './serializers.js';

/** What {@link Codec.encodeWithStats} returns: the bytes to store plus sizes for metrics. */
export interface EncodeResult {
  /** The bytes to hand to Redis (`SET key payload`). */
  payload: Buffer;
  /** Size of the serialized value before compression, without header. */
  rawBytes: number;
  /** `payload.length`: what Redis stores (header and compression included). */
  storedBytes: number;
  /** Whether the payload is lz4-compressed. */
  compressed: boolean;
  /** Whether the payload is plain (no header): a safe integer's decimal text or a string's UTF-8. */
  plain: boolean;
}

/**
 * Encodes values for Redis and decodes them back. Stateless and safe to share between
 * callers; the methods do not use `this`, so `const { encode, decode } = codec` works.
 */
export interface Codec {
  /** The effective options (defaults applied). */
  readonly options: ResolvedCodecOptions;
  /**
   * Encodes a value for storage. Safe integers become their decimal text and unambiguous
   * strings their UTF-8 (both without header); Buffers/Uint8Arrays are stored as raw bytes;
   * everything else goes through the serializer. See README "What stays plain".
   * @param key - Only used to label a thrown {@link CodecError}.
   * @throws CodecError `CODEC_ERR_UNSERIALIZABLE` when the serializer cannot represent the value.
   */
  encode(value: unknown, key?: string): Buffer;
  /** Like {@link Codec.encode}, also returning sizes before/after compression for metrics. */
  encodeWithStats(value: unknown, key?: string): EncodeResult;
  /**
   * Decodes a stored value. `null` (a Redis miss) gives `null`. Headerless values are plain:
   * a canonical safe-integer decimal gives a number, valid UTF-8 a string, anything else a Buffer.
   * Works regardless of which serializer/compression setting wrote the value. `T` is not checked.
   * @param stored - The value as read from Redis, preferably as a Buffer. A string is accepted only
   *   for plain values; a headered value read as text throws `CODEC_ERR_TEXT_INPUT`.
   * @param key - The Redis key, carried by a thrown {@link CodecError}.
   * @throws CodecError `CODEC_ERR_CORRUPT`, `CODEC_ERR_UNSUPPORTED_VERSION` or `CODEC_ERR_TEXT_INPUT`.
   */
  decode<T = unknown>(stored: Buffer | string | null, key?: string): T | null;
}

/**
 * Creates a {@link Codec}.
 * @throws CodecConfigError (`CODEC_ERR_INVALID_OPTION`) naming the invalid field.
 */
export function createCodec(options?: CodecOptions): Codec {
  const resolved = resolveOptions(options);
  const serializer = SERIALIZER_IMPLS[resolved.serializer];
  const { compressMinBytes } = resolved;
  const writeDictionary = resolved.dictionaries[0];
  const dictionaries: ReadonlyMap<number, Buffer> = new Map(resolved.dictionaries.map((d) => [d.id, d.data]));

  /** Adds the header (and lz4 when it pays off) to serialized bytes; plain strings may stay bare. */
  const frame = (type: PayloadType, raw: Buffer, plainAllowed: boolean): EncodeResult => {
    const rawBytes = raw.length;
    if (shouldTryCompression(rawBytes, compressMinBytes)) {
      const compressed = compressIfSmaller(raw, writeDictionary?.data);
      if (compressed !== undefined) {
        const payload = Buffer.allocUnsafe(HEADER_BYTES + (writeDictionary ? 1 : 0) + compressed.length);
        const headerBytes = writeHeader(payload, type, true, writeDictionary?.id ?? 0);
        compressed.copy(payload, headerBytes);
        return { payload, rawBytes, storedBytes: payload.length, compressed: true, plain: false };
      }
    }
    if (plainAllowed)
      return { payload: raw, rawBytes, storedBytes: rawBytes, compressed: false, plain: true };
    const payload = Buffer.allocUnsafe(HEADER_BYTES + rawBytes);
    writeHeader(payload, type, false);
    raw.copy(payload, HEADER_BYTES);
    return { payload, rawBytes, storedBytes: payload.length, compressed: false, plain: false };
  };

  const encodeWithStats = (value: unknown, key?: string): EncodeResult => {
    if (typeof value === 'number' && Number.isSafeInteger(value)) {
      const payload = Buffer.from(String(value), 'latin1');
      return {
        payload,
        rawBytes: payload.length,
        storedBytes: payload.length,
        compressed: false,
        plain: true,
      };
    }
    if (typeof value === 'string') {
      if (isWellFormed(value))
        return frame(PAYLOAD.string, Buffer.from(value, 'utf8'), canStoreStringPlain(value));
      // Lone surrogates cannot be written as UTF-8; JSON escapes them (\ud800) losslessly.
      return frame(PAYLOAD.json, Buffer.from(JSON.stringify(value), 'utf8'), false);
    }
    if (value instanceof Uint8Array) {
      const bytes = Buffer.isBuffer(value)
        ? value
        : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
      return frame(PAYLOAD.bytes, bytes, false);
    }
    let raw: Buffer;
    try {
      raw = serializer.serialize(value);
    } catch (cause) {
      const reason = cause instanceof Error ? cause.message : String(cause);
      throw new CodecError(
        'CODEC_ERR_UNSERIALIZABLE',
        `The ${resolved.serializer} serializer cannot encode this ${typeof value}: ${reason}`,
        { key, cause },
      );
    }
    return frame(serializer.type, raw, false);
  };

  return Object.freeze({
    options: resolved,
    encode: (value: unknown, key?: string): Buffer => encodeWithStats(value, key).payload,
    encodeWithStats,
    decode: <T = unknown>(stored: Buffer | string | null, key?: string): T | null =>
      decodeStored(stored, key, dictionaries) as T | null,
  });
}

/** Decodes any stored value; independent of codec options. */
function decodeStored(
  stored: Uint8Array | string | null | undefined,
  key: string | undefined,
  dictionaries: ReadonlyMap<number, Buffer>,
): unknown {
  if (stored === null || stored === undefined) return null;
  if (typeof stored === 'string') return decodeText(stored, key);
  if (!(stored instanceof Uint8Array)) {
    throw new TypeError(`decode() expects a Buffer, a string or null; got ${typeof stored}`);
  }
  if (!claimsHeader(stored)) return decodeHeaderlessBytes(stored);
  const header = readHeader(stored, key);
  const body = Buffer.from(stored.buffer, stored.byteOffset + header.length, stored.length - header.length);
  let dictionary: Buffer | undefined;
  if (header.dictionary) {
    dictionary = dictionaries.get(header.dictionary);
    if (!dictionary) {
      throw new CodecError(
        'CODEC_ERR_UNKNOWN_DICTIONARY',
        `Stored value was compressed with dictionary ${header.dictionary}, which this codec was not given; ` +
          'keep retired dictionaries in the "dictionaries" option until their values have expired',
        { key },
      );
    }
  }
  const payload = header.compressed ? decompress(body, key, dictionary) : body;
  switch (header.type) {
    case PAYLOAD.bytes:
      // An uncompressed body is a view of the caller's buffer: copy so the result never aliases it.
      return header.compressed ? payload : Buffer.from(payload);
    case PAYLOAD.string:
      if (!isUtf8(payload))
        throw new CodecError('CODEC_ERR_CORRUPT', 'Stored string payload is not valid UTF-8', { key });
      return payload.toString('utf8');
    default: {
      const impl = serializerForType(header.type);
      try {
        return impl!.deserialize(payload);
      } catch (cause) {
        const reason = cause instanceof Error ? cause.message : String(cause);
        const name = header.type === PAYLOAD.json ? 'JSON' : 'MessagePack';
        throw new CodecError('CODEC_ERR_CORRUPT', `Stored ${name} payload is malformed: ${reason}`, {
          key,
          cause,
        });
      }
    }
  }
}
