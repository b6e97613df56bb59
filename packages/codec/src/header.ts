/**
 * The 3-byte header in front of every value that is not stored plain.
 *
 * | byte | meaning |
 * | ---- | ------- |
 * | 0    | magic `0xC1` |
 * | 1    | format version, currently `0x01` (always below `0x20`) |
 * | 2    | flags: bits 0-3 payload type, bit 4 lz4, bit 5 dictionary, bits 6-7 reserved (0) |
 * | 3    | dictionary id (1-255), only when bit 5 is set |
 *
 * `0xC1` can never occur in valid UTF-8 (it would be an overlong 2-byte lead) and is the one
 * byte MessagePack reserves as "never used", so no UTF-8 text and no MessagePack document
 * written by another client can start with it. Version bytes are control characters
 * (`0x00`-`0x1F`), which legacy 8-bit text never has second (Latin-1 "Álvaro" is `C1 6C …`),
 * so a value claims a header exactly when it starts with `0xC1` followed by a byte below `0x20`.
 */
import { CodecError } from './errors.js';

/** First byte of every headered value. */
export const MAGIC = 0xc1;
/** The format version this codec writes (and the only one it reads besides plain values). */
export const FORMAT_VERSION = 1;
/** Header length in bytes (one more when a dictionary id follows). */
export const HEADER_BYTES = 3;
/** Version bytes are below this (control characters); `0xC1` followed by anything else is foreign text. */
export const VERSION_BYTE_LIMIT = 0x20;

/** Payload type ids, stored in bits 0-3 of the flags byte. */
export const PAYLOAD = Object.freeze({
  /** UTF-8 JSON text. */
  json: 0,
  /** A MessagePack document. */
  msgpack: 1,
  /** A top-level string, stored as its UTF-8 bytes. */
  string: 2,
  /** A top-level Buffer/Uint8Array, stored as-is. */
  bytes: 3,
});

/** One of the {@link PAYLOAD} ids. */
export type PayloadType = (typeof PAYLOAD)[keyof typeof PAYLOAD];

/** Flags bit: the payload is an lz4 block with its uncompressed size prepended (lz4-napi `compressSync`). */
export const FLAG_LZ4 = 0x10;
/** Flags bit: the lz4 block was compressed with the dictionary whose id is in byte 3. */
export const FLAG_DICTIONARY = 0x20;
const TYPE_MASK = 0x0f;
const RESERVED_MASK = 0xc0;
const HIGHEST_TYPE: number = PAYLOAD.bytes;

/** A parsed header. */
export interface Header {
  type: PayloadType;
  compressed: boolean;
  /** Dictionary id, 0 when none. */
  dictionary: number;
  /** Header length: {@link HEADER_BYTES}, plus one with a dictionary id. */
  length: number;
}

/**
 * Whether a stored value claims to carry a codec header: the magic byte followed by a
 * version-range byte (below {@link VERSION_BYTE_LIMIT}). Everything else is a plain value.
 */
export function claimsHeader(stored: Uint8Array): boolean {
  return stored.length >= 2 && stored[0] === MAGIC && stored[1]! < VERSION_BYTE_LIMIT;
}

/** Writes the header into the start of `target`; returns its length. */
export function writeHeader(
  target: Uint8Array,
  type: PayloadType,
  compressed: boolean,
  dictionary = 0,
): number {
  target[0] = MAGIC;
  target[1] = FORMAT_VERSION;
  target[2] = type | (compressed ? FLAG_LZ4 : 0) | (dictionary ? FLAG_DICTIONARY : 0);
  if (!dictionary) return HEADER_BYTES;
  target[3] = dictionary;
  return HEADER_BYTES + 1;
}

/**
 * Parses and validates the header of a value for which {@link claimsHeader} is true.
 * @throws CodecError `CODEC_ERR_CORRUPT` (truncated header, reserved bits, unknown type) or
 *   `CODEC_ERR_UNSUPPORTED_VERSION` (version byte other than {@link FORMAT_VERSION}).
 */
export function readHeader(stored: Uint8Array, key: string | undefined): Header {
  if (stored.length < HEADER_BYTES) {
    throw new CodecError(
      'CODEC_ERR_CORRUPT',
      `Stored value starts with a codec header but is only ${stored.length} byte(s) long; a header needs ${HEADER_BYTES}`,
      { key },
    );
  }
  const version = stored[1]!;
  if (version !== FORMAT_VERSION) {
    throw new CodecError(
      'CODEC_ERR_UNSUPPORTED_VERSION',
      `Stored value has codec format version ${version}; this @redpool/codec reads version ${FORMAT_VERSION}. ` +
        'It was written by a newer codec (upgrade this service) or the value is corrupt',
      { key },
    );
  }
  const flags = stored[2]!;
  const type = flags & TYPE_MASK;
  if ((flags & RESERVED_MASK) !== 0 || type > HIGHEST_TYPE) {
    throw new CodecError(
      'CODEC_ERR_CORRUPT',
      `Stored value has invalid codec flags 0x${flags.toString(16).padStart(2, '0')} ` +
        `(payload type ${type}, reserved bits ${(flags & RESERVED_MASK) >> 5})`,
      { key },
    );
  }
  const compressed = (flags & FLAG_LZ4) !== 0;
  if ((flags & FLAG_DICTIONARY) === 0)
    return { type: type as PayloadType, compressed, dictionary: 0, length: HEADER_BYTES };
  const dictionary = stored[3] ?? 0;
  if (!compressed || dictionary === 0) {
    throw new CodecError(
      'CODEC_ERR_CORRUPT',
      `Stored value has invalid codec flags 0x${flags.toString(16).padStart(2, '0')}: the dictionary bit without lz4 or without a dictionary id`,
      { key },
    );
  }
  return { type: type as PayloadType, compressed, dictionary, length: HEADER_BYTES + 1 };
}
