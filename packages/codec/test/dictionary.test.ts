import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { buildDictionary, CodecConfigError, CodecError, createCodec } from '../src/index.js';

function message(i: number): Record<string, unknown> {
  return {
    id: `m_${i}`,
    type: 'chat.message',
    room: `chat.room-${i % 7}`,
    sender: { id: `user_${1000 + (i % 13)}`, name: `User ${i % 13}` },
    text: `message number ${i} about the release plan and the review`,
    createdAt: new Date(1_790_000_000_000 + i * 1000).toISOString(),
    reactions: [],
  };
}

const samples = Array.from({ length: 40 }, (_, i) => message(10_000 + i));
const dictionary = { id: 1, data: buildDictionary(samples) };

describe('lz4 dictionaries', () => {
  test('a dictionary shrinks small values much more than lz4 alone, and values round-trip', () => {
    const plain = createCodec({ compressMinBytes: 100 });
    const withDictionary = createCodec({ compressMinBytes: 100, dictionaries: [dictionary] });
    let without = 0;
    let withDict = 0;
    for (let i = 0; i < 100; i++) {
      const value = message(i);
      const a = plain.encode(value);
      const b = withDictionary.encode(value);
      without += a.length;
      withDict += b.length;
      expect(withDictionary.decode(b)).toEqual(value);
      expect(b[3]).toBe(1); // dictionary id in the header
    }
    expect(withDict).toBeLessThan(without * 0.75);
  });

  test('rotation: a codec given the old and the new dictionary reads values written with either', () => {
    const next = { id: 2, data: buildDictionary(samples.slice(10), { maxBytes: 4_096 }) };
    const old = createCodec({ dictionaries: [dictionary] });
    const rotated = createCodec({ dictionaries: [next, dictionary] });
    const value = message(3);
    expect(rotated.decode(old.encode(value))).toEqual(value);
    expect(rotated.encode(value)[3]).toBe(2);
  });

  test('a value compressed with a dictionary this codec lacks is a typed error carrying the key', () => {
    const stored = createCodec({ dictionaries: [dictionary] }).encode(message(1));
    let error: unknown;
    try {
      createCodec().decode(stored, 'chat:1');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(CodecError);
    expect(error).toMatchObject({ code: 'CODEC_ERR_UNKNOWN_DICTIONARY', key: 'chat:1' });
  });

  test('values without a dictionary still decode in a codec that has one', () => {
    const value = message(5);
    expect(createCodec({ dictionaries: [dictionary] }).decode(createCodec().encode(value))).toEqual(value);
  });

  test('any JSON value round-trips with a dictionary', () => {
    const codec = createCodec({ dictionaries: [dictionary] });
    fc.assert(
      fc.property(
        fc.array(fc.record({ id: fc.string(), text: fc.string(), n: fc.integer() }), { maxLength: 20 }),
        (value) => {
          expect(codec.decode(codec.encode(value))).toEqual(value);
        },
      ),
    );
  });

  test.each([
    ['dictionaries[0].id', [{ id: 0, data: Buffer.from('x') }]],
    ['dictionaries[1].id', [dictionary, { id: 1, data: Buffer.from('x') }]],
    ['dictionaries[0].data', [{ id: 3, data: Buffer.alloc(70_000) }]],
    ['dictionaries', 'nope'],
  ])('invalid %s is a CodecConfigError', (field, dictionaries) => {
    expect(() => createCodec({ dictionaries: dictionaries as never })).toThrow(CodecConfigError);
    try {
      createCodec({ dictionaries: dictionaries as never });
    } catch (err) {
      expect((err as CodecConfigError).field).toBe(field);
    }
  });
});
