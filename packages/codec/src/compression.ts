/**
 * lz4 block compression (lz4-napi `compressSync`/`uncompressSync`). A frame is the lz4 block
 * with its uncompressed size prepended as a little-endian uint32.
 */
import { compressSync, uncompressSync } from 'lz4-napi';
import { CodecError } from './errors.js';

/** Bytes of the uncompressed-size prefix lz4-napi puts in front of the block. */
const SIZE_PREFIX_BYTES = 4;
/**
 * An lz4 block cannot expand by more than ~255x (every extra length byte adds at most 255
 * bytes of output). A larger declared size is corrupt and must not reach the decompressor,
 * which would allocate the declared size up front (a 4 GiB size took 15 s in a test).
 */
const MAX_LZ4_EXPANSION = 255;
const EXPANSION_SLACK_BYTES = 64;

/** Whether a serialized value of `rawBytes` bytes is worth trying to compress. */
export function shouldTryCompression(rawBytes: number, compressMinBytes: number): boolean {
  return compressMinBytes > 0 && rawBytes >= compressMinBytes;
}

/** Compresses `raw` and returns the frame, or `undefined` when it is not strictly smaller than `raw`. */
export function compressIfSmaller(raw: Buffer, dictionary?: Buffer): Buffer | undefined {
  const frame = dictionary ? compressSync(raw, dictionary) : compressSync(raw);
  return frame.length < raw.length ? frame : undefined;
}

/**
 * Decompresses a frame written by {@link compressIfSmaller}.
 * @throws CodecError `CODEC_ERR_CORRUPT` for a truncated or garbled frame.
 */
export function decompress(frame: Uint8Array, key: string | undefined, dictionary?: Buffer): Buffer {
  if (frame.length <= SIZE_PREFIX_BYTES) {
    throw new CodecError(
      'CODEC_ERR_CORRUPT',
      `lz4 frame is truncated: ${frame.length} byte(s), need more than ${SIZE_PREFIX_BYTES}`,
      { key },
    );
  }
  const declared = (frame[0]! | (frame[1]! << 8) | (frame[2]! << 16)) + frame[3]! * 0x1000000;
  const blockBytes = frame.length - SIZE_PREFIX_BYTES;
  if (declared > blockBytes * MAX_LZ4_EXPANSION + EXPANSION_SLACK_BYTES) {
    throw new CodecError(
      'CODEC_ERR_CORRUPT',
      `lz4 frame declares ${declared} uncompressed bytes, impossible for a ${blockBytes}-byte block`,
      { key },
    );
  }
  let out: Buffer;
  try {
    out = dictionary ? uncompressSync(frame, dictionary) : uncompressSync(frame);
  } catch (cause) {
    throw new CodecError('CODEC_ERR_CORRUPT', 'lz4 frame is truncated or corrupt', { key, cause });
  }
  if (out.length !== declared) {
    throw new CodecError(
      'CODEC_ERR_CORRUPT',
      `lz4 frame declares ${declared} uncompressed bytes but holds ${out.length}`,
      { key },
    );
  }
  return out;
}
