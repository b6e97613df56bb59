import { randomBytes } from 'node:crypto';
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { createCodec, type Serializer } from '../src/index.js';
import { chatHistory, valueWithRawBytes } from './helpers/values.js';

const SERIALIZERS: Serializer[] = ['json', 'msgpack'];

describe.each(SERIALIZERS)('%s serializer around compressMinBytes', (serializer) => {
  const measuring = createCodec({ serializer, compressMinBytes: 0 });

  test.each([
    [99, false],
    [100, true],
    [101, true],
  ])('serialized length %i with compressMinBytes 100: compressed=%s', (rawBytes, compressed) => {
    const codec = createCodec({ serializer, compressMinBytes: 100 });
    const value = valueWithRawBytes(measuring, rawBytes);
    const stats = codec.encodeWithStats(value);
    expect(stats.rawBytes).toBe(rawBytes);
    expect(stats.compressed).toBe(compressed);
    expect(stats.plain).toBe(false);
    if (compressed) expect(stats.storedBytes).toBeLessThan(rawBytes);
    else expect(stats.storedBytes).toBe(rawBytes + 3);
    expect(stats.payload[2]! & 0x10).toBe(compressed ? 0x10 : 0);
    expect(codec.decode(stats.payload)).toEqual(value);
  });

  test.each([99, 100, 101])('serialized length %i with compressMinBytes 0: never compressed', (rawBytes) => {
    const value = valueWithRawBytes(measuring, rawBytes);
    const stats = measuring.encodeWithStats(value);
    expect(stats).toMatchObject({ rawBytes, storedBytes: rawBytes + 3, compressed: false, plain: false });
    expect(measuring.decode(stats.payload)).toEqual(value);
  });

  test('10 KB+ chat history is compressed, smaller, and round-trips', () => {
    const codec = createCodec({ serializer });
    const value = chatHistory(12_000);
    const stats = codec.encodeWithStats(value);
    expect(stats.rawBytes).toBeGreaterThan(serializer === 'json' ? 12_000 : 8_000);
    expect(stats.compressed).toBe(true);
    expect(stats.storedBytes).toBeLessThan(stats.rawBytes / 2);
    expect(codec.decode(stats.payload)).toEqual(value);
  });

  test('1 MB value round-trips compressed', () => {
    const codec = createCodec({ serializer });
    const value = chatHistory(1_000_000);
    const stats = codec.encodeWithStats(value);
    expect(stats.compressed).toBe(true);
    expect(codec.decode(stats.payload)).toEqual(value);
  });
});

describe('strings and Buffers around compressMinBytes', () => {
  const codec = createCodec({ compressMinBytes: 100 });
  const off = createCodec({ compressMinBytes: 0 });

  test.each([
    [99, false],
    [100, true],
    [101, true],
  ])('a compressible %i-byte string: compressed=%s, otherwise plain', (bytes, compressed) => {
    const value = 'é'.repeat(Math.floor(bytes / 2)) + (bytes % 2 === 1 ? 'x' : '');
    expect(Buffer.byteLength(value)).toBe(bytes);
    const stats = codec.encodeWithStats(value);
    expect(stats).toMatchObject({ rawBytes: bytes, compressed, plain: !compressed });
    if (!compressed) expect(stats.payload.toString('utf8')).toBe(value);
    expect(codec.decode(stats.payload)).toBe(value);
    expect(off.encodeWithStats(value)).toMatchObject({ compressed: false, plain: true, storedBytes: bytes });
  });

  test.each([
    [99, false],
    [100, true],
    [101, true],
  ])('a compressible %i-byte Buffer: compressed=%s, always headered', (bytes, compressed) => {
    const value = Buffer.alloc(bytes, 7);
    const stats = codec.encodeWithStats(value);
    expect(stats).toMatchObject({ rawBytes: bytes, compressed, plain: false });
    expect(codec.decode(stats.payload)).toEqual(value);
    expect(off.encodeWithStats(value)).toMatchObject({ compressed: false, storedBytes: bytes + 3 });
  });
});

describe('compression is kept only when it saves bytes', () => {
  const codec = createCodec();

  test('incompressible random bytes stay uncompressed', () => {
    for (const size of [100, 1_000, 100_000]) {
      const value = randomBytes(size);
      const stats = codec.encodeWithStats(value);
      expect(stats).toMatchObject({ rawBytes: size, storedBytes: size + 3, compressed: false });
      expect(codec.decode(stats.payload)).toEqual(value);
    }
  });

  test('a long incompressible string stays plain text', () => {
    const value = randomBytes(600).toString('base64');
    const stats = codec.encodeWithStats(value);
    expect(stats).toMatchObject({ compressed: false, plain: true, storedBytes: 800 });
    expect(codec.decode(stats.payload)).toBe(value);
  });

  test('property: compressed output is always strictly smaller than the uncompressed encoding', () => {
    const values = fc.oneof(
      fc.uint8Array({ minLength: 100, maxLength: 3000 }).map((a) => Buffer.from(a)),
      fc.array(fc.constantFrom(0, 1, 255), { minLength: 100, maxLength: 3000 }).map((a) => Buffer.from(a)),
      fc.string({ minLength: 100, maxLength: 3000 }),
      fc.jsonValue(),
    );
    fc.assert(
      fc.property(values, (value) => {
        const stats = codec.encodeWithStats(value);
        if (stats.compressed) expect(stats.storedBytes).toBeLessThan(stats.rawBytes + 3);
        else expect(stats.storedBytes).toBe(stats.rawBytes + (stats.plain ? 0 : 3));
        if (stats.rawBytes < 100) expect(stats.compressed).toBe(false);
      }),
      { numRuns: 300 },
    );
  });
});
