/**
 * Plain (headerless) values: safe integers as decimal text, unambiguous strings as their
 * UTF-8, and foreign values written by other clients. See README "What stays plain".
 */
import { isUtf8 } from 'node:buffer';
import { CodecError } from './errors.js';

/** Canonical decimal of a safe integer: no sign on 0, no leading zeros, at most 16 digits. */
const CANONICAL_INTEGER = /^(?:0|-?[1-9]\d{0,15})$/;
/** Longest canonical safe integer: `-9007199254740991`. */
const MAX_INTEGER_CHARS = 17;
const REPLACEMENT_CHAR = 0xfffd;
const FIRST_PRINTABLE = 0x20;
const MINUS = 0x2d;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;

const nativeIsWellFormed = (String.prototype as { isWellFormed?: (this: string) => boolean }).isWellFormed;
const LONE_SURROGATE = /\p{Cs}/u;

/** Whether `text` has no lone surrogates, i.e. survives a round trip through UTF-8. */
export function isWellFormed(text: string): boolean {
  return nativeIsWellFormed === undefined ? !LONE_SURROGATE.test(text) : nativeIsWellFormed.call(text);
}

/** The number a plain text stands for, if it is the canonical decimal of a safe integer. */
export function parsePlainInteger(text: string): number | undefined {
  if (text.length === 0 || text.length > MAX_INTEGER_CHARS || !CANONICAL_INTEGER.test(text)) return undefined;
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : undefined;
}

/**
 * Whether `text` looks like a headered value that was read as UTF-8 text: the magic byte
 * 0xC1 is invalid UTF-8 and becomes U+FFFD, followed by the version and flags bytes, which
 * are control characters.
 */
export function looksLikeMangledHeader(text: string): boolean {
  return (
    text.length >= 3 &&
    text.charCodeAt(0) === REPLACEMENT_CHAR &&
    text.charCodeAt(1) < FIRST_PRINTABLE &&
    text.charCodeAt(2) < FIRST_PRINTABLE
  );
}

/**
 * Whether a well-formed string may be stored as its bare UTF-8 (when it is not compressed):
 * it must not read back as an integer, and must not look like a mangled header. (Its UTF-8
 * can never start with the magic 0xC1, which no UTF-8 text contains.)
 */
export function canStoreStringPlain(text: string): boolean {
  return parsePlainInteger(text) === undefined && !looksLikeMangledHeader(text);
}

/** Decodes a headerless value given as a Buffer: integer, else UTF-8 string, else a copy of the bytes. */
export function decodeHeaderlessBytes(stored: Uint8Array): number | string | Buffer {
  const first = stored[0];
  if (
    first !== undefined &&
    stored.length <= MAX_INTEGER_CHARS &&
    (first === MINUS || (first >= DIGIT_0 && first <= DIGIT_9))
  ) {
    const integer = parsePlainInteger(
      Buffer.from(stored.buffer, stored.byteOffset, stored.length).toString('latin1'),
    );
    if (integer !== undefined) return integer;
  }
  if (isUtf8(stored)) return Buffer.from(stored.buffer, stored.byteOffset, stored.length).toString('utf8');
  return Buffer.from(stored);
}

/**
 * Decodes a value a client already turned into text (e.g. ioredis `get`). Only plain values
 * survive that; a headered value is detected and rejected with a hint.
 * @throws CodecError `CODEC_ERR_TEXT_INPUT`
 */
export function decodeText(stored: string, key: string | undefined): number | string {
  const integer = parsePlainInteger(stored);
  if (integer !== undefined) return integer;
  if (looksLikeMangledHeader(stored)) {
    throw new CodecError(
      'CODEC_ERR_TEXT_INPUT',
      'Value carries a codec header but was passed to decode() as a string; the ' +
        'UTF-8 conversion destroyed its binary header. Read it as a Buffer (ioredis: getBuffer/hgetBuffer, ' +
        'node-redis: RESP_TYPES.BLOB_STRING mapped to Buffer)',
      { key },
    );
  }
  return stored;
}
