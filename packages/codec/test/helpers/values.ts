// Shared generators and helpers for the codec tests.
import fc from 'fast-check';
import type { Codec } from '../../src/index.js';

/** JSON and MessagePack both store -0 as 0; this is the value a round trip must give back. */
export function withoutNegativeZero<T>(value: T): T {
  if (Object.is(value, -0)) return 0 as T;
  if (Array.isArray(value)) return value.map(withoutNegativeZero) as T;
  const proto: unknown =
    value !== null && typeof value === 'object' ? Object.getPrototypeOf(value) : undefined;
  if (proto === Object.prototype || proto === null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as object)) {
      Object.defineProperty(out, k, {
        value: withoutNegativeZero(v),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out as T;
  }
  return value;
}

/** Whether a JSON value has an own `__proto__` key anywhere (msgpackr renames it on decode). */
export function hasProtoKey(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(hasProtoKey);
  if (value !== null && typeof value === 'object') {
    return Object.keys(value).some(
      (k) => k === '__proto__' || hasProtoKey((value as Record<string, unknown>)[k]),
    );
  }
  return false;
}

/** Any JSON value, strings made of arbitrary UTF-16 code units (lone surrogates included). */
export const anyJson = fc.jsonValue({ stringUnit: 'binary', maxDepth: 4 });
/** JSON values that MessagePack keeps exactly: well-formed Unicode strings, no `__proto__` keys. */
export const msgpackSafeJson = fc
  .jsonValue({ stringUnit: 'grapheme', maxDepth: 4 })
  .filter((v) => !hasProtoKey(v));

/** A value whose serialized form (without header) is exactly `rawBytes` long, found by growing a string. */
export function valueWithRawBytes(codec: Codec, rawBytes: number, fill = 'ab'): { t: string } {
  for (let length = 0; length <= rawBytes; length++) {
    const value = { t: fill.repeat(length).slice(0, length) };
    if (codec.encodeWithStats(value).rawBytes === rawBytes) return value;
  }
  throw new Error(`no value serializes to exactly ${rawBytes} bytes`);
}

/** A chat-message-history-like object of roughly `bytes` bytes of JSON (compressible like real chat). */
export function chatHistory(bytes: number): Array<Record<string, unknown>> {
  const words = [
    'hello',
    'room',
    'deploy',
    'today',
    'lunch',
    'ok',
    'thanks',
    'see',
    'you',
    'the',
    'build',
    'is',
    'green',
  ];
  const out: Array<Record<string, unknown>> = [];
  for (let i = 0, length = 2; length < bytes; i++) {
    const message = {
      id: `msg_${1000 + i}`,
      room: 'room:general',
      user: { id: `u_${(i * 7919) % 97}`, name: `user${(i * 31) % 13}` },
      text: Array.from({ length: 6 + (i % 9) }, (_, w) => words[(i * 5 + w * 3) % words.length]).join(' '),
      ts: 1_700_000_000_000 + i * 1375,
      reactions: i % 3 === 0 ? [{ emoji: '👍', users: [`u_${i % 5}`, `u_${(i + 2) % 5}`] }] : [],
    };
    out.push(message);
    length += JSON.stringify(message).length + (i === 0 ? 0 : 1);
  }
  return out;
}
