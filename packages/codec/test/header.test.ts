import { describe, expect, test } from '@jest/globals';
import { createCodec } from '../src/index.js';

const json = createCodec();
const msgpack = createCodec({ serializer: 'msgpack' });

describe('byte layout: 0xC1, version 0x01, flags', () => {
  test('JSON: type 0, the JSON text follows and is readable', () => {
    expect([...json.encode({ a: 1 })]).toEqual([0xc1, 0x01, 0x00, ...Buffer.from('{"a":1}')]);
  });

  test('MessagePack: type 1, standard MessagePack map (no record extension)', () => {
    expect([...msgpack.encode({ a: 1 })]).toEqual([0xc1, 0x01, 0x01, 0x81, 0xa1, 0x61, 0x01]);
  });

  test('string: type 2; bytes: type 3', () => {
    expect([...json.encode('42')]).toEqual([0xc1, 0x01, 0x02, 0x34, 0x32]);
    expect([...json.encode(Buffer.from([9, 8]))]).toEqual([0xc1, 0x01, 0x03, 9, 8]);
    expect([...json.encode(new Uint8Array([7]))]).toEqual([0xc1, 0x01, 0x03, 7]);
  });

  test('compressed: bit 4 set, then the lz4 block with its uncompressed size (uint32 LE)', () => {
    const value = { text: 'a'.repeat(500) };
    const stored = json.encode(value);
    expect([...stored.subarray(0, 3)]).toEqual([0xc1, 0x01, 0x10]);
    expect(stored.readUInt32LE(3)).toBe(JSON.stringify(value).length);
    expect([...msgpack.encode(value).subarray(0, 3)]).toEqual([0xc1, 0x01, 0x11]);
    expect([...json.encode('b'.repeat(500)).subarray(0, 3)]).toEqual([0xc1, 0x01, 0x12]);
    expect([...json.encode(Buffer.alloc(500)).subarray(0, 3)]).toEqual([0xc1, 0x01, 0x13]);
  });

  test('MessagePack output does not depend on what was encoded before (no shared structures)', () => {
    const fresh = createCodec({ serializer: 'msgpack' });
    const value = { id: 1, room: 'r', text: 't' };
    const first = fresh.encode(value);
    for (let i = 0; i < 100; i++) fresh.encode({ ...value, id: i });
    expect(fresh.encode(value).equals(first)).toBe(true);
    expect(createCodec({ serializer: 'msgpack' }).encode(value).equals(first)).toBe(true);
  });

  test('an uncompressed Uint8Array input is copied, not aliased', () => {
    const input = Buffer.from('abc');
    const stored = json.encode(input);
    input[0] = 0x7a;
    expect(json.decode(stored)).toEqual(Buffer.from('abc'));
  });

  test('decoded bytes do not alias the stored buffer', () => {
    const stored = json.encode(Buffer.from('abc'));
    const decoded = json.decode<Buffer>(stored)!;
    decoded[0] = 0x7a;
    expect(json.decode(stored)).toEqual(Buffer.from('abc'));
  });

  test('methods are bound', () => {
    const { encode, decode } = json;
    expect(decode(encode({ a: 1 }))).toEqual({ a: 1 });
  });
});
