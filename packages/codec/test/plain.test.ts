import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { CodecError, createCodec } from '../src/index.js';

const codec = createCodec();
const msgpack = createCodec({ serializer: 'msgpack' });

describe('integers stay plain decimal text', () => {
  test('property: every safe integer is stored as String(n) with no header and decodes to the number', () => {
    fc.assert(
      fc.property(fc.maxSafeInteger(), (n) => {
        for (const c of [codec, msgpack]) {
          const stats = c.encodeWithStats(n);
          expect(stats.payload.toString('latin1')).toBe(String(n));
          expect(stats.plain).toBe(true);
          expect(c.decode(stats.payload)).toBe(n);
          expect(c.decode(String(n))).toBe(n);
        }
      }),
      { numRuns: 500 },
    );
  });

  test.each([0, -0, 1, -1, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER])('%p', (n) => {
    expect(codec.encode(n).toString()).toBe(String(n));
    expect(codec.decode(codec.encode(n))).toBe(n === 0 ? 0 : n);
  });

  test.each([2 ** 53, -(2 ** 53), 1.5, 1e21, Number.NaN])('%p is not a safe integer: headered', (n) => {
    const stored = codec.encode(n);
    expect(stored[0]).toBe(0xc1);
    expect(codec.decode(stored)).toEqual(Number.isNaN(n) ? null : n); // JSON: NaN -> null
  });
});

describe('strings', () => {
  test.each([
    'hello',
    'hello world, ünïcödé 日本語 😀',
    '',
    ' 42',
    '007',
    '+1',
    '-0',
    '1e3',
    '1.0',
    '9007199254740992',
  ])('unambiguous %p is stored as bare UTF-8', (value) => {
    const stats = codec.encodeWithStats(value);
    expect(stats.plain).toBe(true);
    expect(stats.payload.equals(Buffer.from(value, 'utf8'))).toBe(true);
    expect(codec.decode(stats.payload)).toBe(value);
    expect(codec.decode(value)).toBe(value);
  });

  test.each(['0', '42', '-7', '9007199254740991', '-9007199254740991'])(
    '%p looks like an integer: headered so it comes back as a string',
    (value) => {
      const stored = codec.encode(value);
      expect([...stored.subarray(0, 3)]).toEqual([0xc1, 0x01, 0x02]);
      expect(stored.subarray(3).toString()).toBe(value);
      expect(codec.decode(stored)).toBe(value);
    },
  );

  test('a string that would look like a header read as text is headered', () => {
    const value = '\ufffd\u0001\u0000{}';
    expect(codec.encode(value)[0]).toBe(0xc1);
    expect(codec.decode(codec.encode(value))).toBe(value);
  });

  test('a string with a lone surrogate is stored as JSON and comes back intact', () => {
    const value = 'ab\ud800cd';
    const stored = codec.encode(value);
    expect([...stored.subarray(0, 3)]).toEqual([0xc1, 0x01, 0x00]);
    expect(msgpack.decode(stored)).toBe(value);
  });

  test('no UTF-8 string can start with the magic byte 0xC1', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (value) => {
        expect(Buffer.from(value, 'utf8')[0]).not.toBe(0xc1);
      }),
      { numRuns: 300 },
    );
    expect(Buffer.from('\u00c1')[0]).toBe(0xc3); // 'Á' is 0xC3 0x81
  });
});

describe('foreign values (no header) are read back plain, never mis-decoded', () => {
  test.each([
    ['hello', 'hello'],
    ['{"a":1}', '{"a":1}'],
    ['[1,2]', '[1,2]'],
    ['true', 'true'],
    ['null', 'null'],
    ['42', 42],
    ['-17', -17],
    ['007', '007'],
    ['12345678901234567890', '12345678901234567890'],
    ['', ''],
  ])('text %p', (text, expected) => {
    expect(codec.decode(Buffer.from(text))).toEqual(expected);
    expect(codec.decode(text)).toEqual(expected);
  });

  test.each([
    ['PNG', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])],
    ['JPEG', Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10])],
    ['gzip', Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0xff])],
    ['MessagePack map', Buffer.from([0x81, 0xa1, 0x61, 0x01])],
    ['0xC0 lead', Buffer.from([0xc0, 0x01, 0x00, 0x7b, 0x7d])],
    ['Latin-1 "Álvaro" (0xC1 lead)', Buffer.from('Álvaro', 'latin1')],
    ['windows-1251 "Борис" (0xC1 lead)', Buffer.from([0xc1, 0xee, 0xf0, 0xe8, 0xf1])],
    ['a lone 0xC1', Buffer.from([0xc1])],
  ])('binary %s comes back as the same bytes', (_name, bytes) => {
    const decoded = codec.decode(bytes);
    expect(Buffer.isBuffer(decoded)).toBe(true);
    expect((decoded as Buffer).equals(bytes)).toBe(true);
    expect(decoded).not.toBe(bytes); // a copy, not a view of the reply buffer
  });

  test('property: any value not starting with 0xC1 + a version byte decodes to its integer, its text or its bytes', () => {
    const foreign = fc.oneof(
      fc.uint8Array({ maxLength: 200 }),
      fc.string({ unit: 'grapheme', maxLength: 200 }).map((s) => new Uint8Array(Buffer.from(s))),
    );
    fc.assert(
      fc.property(foreign, (bytes) => {
        fc.pre(bytes[0] !== 0xc1 || bytes.length < 2 || bytes[1]! >= 0x20);
        const stored = Buffer.from(bytes);
        const decoded = codec.decode(stored);
        if (typeof decoded === 'number') expect(String(decoded)).toBe(stored.toString('latin1'));
        else if (typeof decoded === 'string') expect(Buffer.from(decoded).equals(stored)).toBe(true);
        else expect((decoded as Buffer).equals(stored)).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  test('null (a Redis miss) decodes to null', () => {
    expect(codec.decode(null)).toBeNull();
  });
});

describe('values read as text by the client', () => {
  test('a headered value passed as a string throws CODEC_ERR_TEXT_INPUT with the key', () => {
    const mangled = codec.encode({ a: 1 }).toString('utf8');
    expect(() => codec.decode(mangled, 'user:1')).toThrow(CodecError);
    try {
      codec.decode(mangled, 'user:1');
    } catch (err) {
      expect(err).toMatchObject({ code: 'CODEC_ERR_TEXT_INPUT', key: 'user:1' });
      expect(String(err)).toMatch(/getBuffer/);
    }
  });

  test('property: plain values survive being read as text', () => {
    const plainish = fc.oneof(fc.maxSafeInteger(), fc.string({ unit: 'grapheme', maxLength: 60 }));
    fc.assert(
      fc.property(plainish, (value) => {
        const stats = codec.encodeWithStats(value);
        fc.pre(stats.plain);
        expect(codec.decode(stats.payload.toString('utf8'))).toBe(value);
      }),
    );
  });
});
