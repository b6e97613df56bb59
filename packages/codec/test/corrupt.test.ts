import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { CodecError, type CodecErrorCode, createCodec } from '../src/index.js';
import { chatHistory } from './helpers/values.js';

const codec = createCodec();
const msgpack = createCodec({ serializer: 'msgpack' });
const KEY = 'room:42:history';

/** Asserts that decoding `stored` throws a CodecError with `code` that names KEY. */
function expectCodecError(stored: Buffer, code: CodecErrorCode, message?: RegExp): void {
  let thrown: unknown;
  try {
    codec.decode(stored, KEY);
  } catch (err) {
    thrown = err;
  }
  expect(thrown).toBeInstanceOf(CodecError);
  expect(thrown).toMatchObject({ code, key: KEY, name: 'CodecError' });
  expect((thrown as Error).message).toContain(JSON.stringify(KEY));
  if (message) expect((thrown as Error).message).toMatch(message);
}

const compressed = codec.encode(chatHistory(2_000));
const header = (flags: number, ...body: number[]): Buffer => Buffer.from([0xc1, 0x01, flags, ...body]);

describe('truncated and garbled lz4 frames', () => {
  test('the fixture really is compressed', () => {
    expect(compressed[2]).toBe(0x10);
  });

  test('every truncation of a compressed value throws CODEC_ERR_CORRUPT', () => {
    for (let length = 3; length < compressed.length; length++) {
      expectCodecError(compressed.subarray(0, length), 'CODEC_ERR_CORRUPT');
    }
  });

  test('a frame declaring an impossible size is rejected before decompressing', () => {
    const bad = Buffer.from(compressed);
    bad.writeUInt32LE(0xffffffff, 3);
    const started = performance.now();
    expectCodecError(bad, 'CODEC_ERR_CORRUPT', /impossible/);
    expect(performance.now() - started).toBeLessThan(100);
  });

  test('a frame declaring more bytes than it holds is rejected', () => {
    const bad = Buffer.from(compressed);
    bad.writeUInt32LE(bad.readUInt32LE(3) + 1, 3);
    expectCodecError(bad, 'CODEC_ERR_CORRUPT', /declares/);
  });
});

describe('header', () => {
  test.each([[[0xc1, 0x01]], [[0xc1, 0x1f]]])('truncated header %p', (bytes) => {
    expectCodecError(Buffer.from(bytes), 'CODEC_ERR_CORRUPT', /header/);
  });

  test.each([0x00, 0x02, 0x1f])('unknown version %i throws CODEC_ERR_UNSUPPORTED_VERSION', (version) => {
    const bad = Buffer.from(codec.encode({ a: 1 }));
    bad[1] = version;
    expectCodecError(bad, 'CODEC_ERR_UNSUPPORTED_VERSION', new RegExp(`version ${version}`));
  });

  test.each([0x20, 0x41, 0x7f, 0xff])(
    '0xC1 followed by 0x%s (not a version byte) is a foreign value',
    (second) => {
      const stored = Buffer.from([0xc1, second, 0x00, 0x7b, 0x7d]);
      expect(codec.decode(stored, KEY)).toEqual(stored);
      expect(codec.decode(Buffer.from([0xc1]), KEY)).toEqual(Buffer.from([0xc1]));
    },
  );

  test.each([0x04, 0x0f, 0x20, 0x40, 0x80, 0xff])('bad flags 0x%s throw CODEC_ERR_CORRUPT', (flags) => {
    expectCodecError(header(flags, 0x7b, 0x7d), 'CODEC_ERR_CORRUPT', /flags/);
  });

  test('a flipped compression bit is detected', () => {
    const plainJson = codec.encode({ a: 'b' });
    expectCodecError(header(0x10, ...plainJson.subarray(3)), 'CODEC_ERR_CORRUPT');
  });

  test('a flipped magic byte turns the value into foreign bytes: returned as-is, never mis-decoded', () => {
    const stored = codec.encode({ a: 1 });
    for (let bit = 0; bit < 8; bit++) {
      const flipped = Buffer.from(stored);
      flipped[0]! ^= 1 << bit;
      const decoded = codec.decode(flipped, KEY);
      const bytes = typeof decoded === 'string' ? Buffer.from(decoded) : (decoded as Buffer);
      expect(bytes.equals(flipped)).toBe(true);
    }
  });
});

describe('malformed payloads', () => {
  test.each([
    ['truncated JSON', header(0x00, ...Buffer.from('{"a":'))],
    ['JSON with trailing garbage', header(0x00, ...Buffer.from('{"a":1}x'))],
    ['empty JSON', header(0x00)],
    ['JSON that is not UTF-8', header(0x00, 0x22, 0xff, 0x22)],
    ['truncated MessagePack', header(0x01, 0x82, 0xa1, 0x61)],
    ['MessagePack with trailing bytes', header(0x01, 0x01, 0x02)],
    ['MessagePack reserved byte', header(0x01, 0xc1)],
    ['empty MessagePack', header(0x01)],
    ['string that is not UTF-8', header(0x02, 0x61, 0xff)],
  ])('%s throws CODEC_ERR_CORRUPT', (_name, stored) => {
    expectCodecError(stored, 'CODEC_ERR_CORRUPT');
  });

  test('the cause of a parse failure is kept', () => {
    try {
      codec.decode(header(0x00, 0x7b), KEY);
    } catch (err) {
      expect((err as Error).cause).toBeInstanceOf(SyntaxError);
    }
    expect.assertions(1);
  });
});

describe('fuzzing never escapes as anything but CodecError', () => {
  const fuzz = (stored: Buffer): void => {
    try {
      codec.decode(stored, KEY);
    } catch (err) {
      expect(err).toBeInstanceOf(CodecError);
      expect((err as CodecError).key).toBe(KEY);
    }
  };

  test('random bytes after a valid-looking header', () => {
    const flags = fc.constantFrom(0x00, 0x01, 0x02, 0x03, 0x10, 0x11, 0x12, 0x13);
    fc.assert(
      fc.property(flags, fc.uint8Array({ maxLength: 300 }), (f, body) => fuzz(header(f, ...body))),
      { numRuns: 2000 },
    );
  });

  test('bit flips and truncations of valid values', () => {
    const stored = [compressed, msgpack.encode(chatHistory(2_000)), codec.encode({ a: [1, 'x'] })];
    fc.assert(
      fc.property(fc.constantFrom(...stored), fc.nat(), fc.nat(7), fc.nat(), (base, at, bit, cut) => {
        const mutated = Buffer.from(base);
        mutated[at % mutated.length]! ^= 1 << bit;
        fuzz(mutated);
        fuzz(mutated.subarray(0, cut % (mutated.length + 1)));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('encode errors', () => {
  const circular: Record<string, unknown> = {};
  circular.self = circular;

  test.each([
    ['undefined', undefined],
    ['a function', () => 1],
    ['a symbol', Symbol('s')],
    ['a bigint', 1n],
    ['a circular object', circular],
  ])('JSON cannot encode %s: CODEC_ERR_UNSERIALIZABLE with the key', (_name, value) => {
    expect(() => codec.encode(value, KEY)).toThrow(CodecError);
    expect(() => codec.encode(value, KEY)).toThrow(
      expect.objectContaining({ code: 'CODEC_ERR_UNSERIALIZABLE', key: KEY }),
    );
  });

  test.each([
    ['a circular object', circular],
    ['a symbol', Symbol('s')],
    ['a bigint beyond 64 bits', 2n ** 70n],
  ])('MessagePack cannot encode %s', (_name, value) => {
    expect(() => msgpack.encode(value, KEY)).toThrow(
      expect.objectContaining({ code: 'CODEC_ERR_UNSERIALIZABLE', key: KEY }),
    );
  });

  test('a wrong argument type to decode is a TypeError', () => {
    expect(() => codec.decode(42 as unknown as Buffer)).toThrow(TypeError);
  });
});
