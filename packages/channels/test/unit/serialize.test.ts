/** channels_redis test_core.py 27–28 (test_serialize / test_deserialize), and the encryption envelope. */
import { describe, expect, test } from '@jest/globals';
import { MessageCodec } from '../../src/message-codec.js';

const PAYLOAD = { a: true, b: null, c: { d: [] } };
/** MessagePack of PAYLOAD, as in the reference test vector. */
const MSGPACK = Buffer.from('83a161c3a162c0a16381a16490', 'hex');

function codec(options: Partial<ConstructorParameters<typeof MessageCodec>[0]> = {}) {
  return new MessageCodec({
    serializer: 'msgpack',
    compressMinBytes: 100,
    symmetricEncryptionKeys: [],
    ...options,
  });
}

describe('serialization', () => {
  test('27 test_serialize (the MessagePack body follows a 1-byte envelope and the codec header instead of 12 random bytes)', () => {
    const envelope = codec().encode(PAYLOAD);
    expect(envelope[0]).toBe(0x00);
    expect(envelope.subarray(envelope.length - MSGPACK.length)).toEqual(MSGPACK);
    expect(envelope.length).toBeLessThan(MSGPACK.length + 12);
  });

  test('28 test_deserialize', () => {
    const c = codec();
    expect(c.decode('test', c.encode(PAYLOAD))).toEqual(PAYLOAD);
  });

  test('json serializer round-trips and stays readable', () => {
    const c = codec({ serializer: 'json' });
    const envelope = c.encode(PAYLOAD);
    expect(envelope.toString('utf8')).toContain('{"a":true,"b":null,"c":{"d":[]}}');
    expect(c.decode('test', envelope)).toEqual(PAYLOAD);
  });

  test('a layer reads what the other serializer wrote (the codec header says which)', () => {
    expect(codec({ serializer: 'json' }).decode('test', codec().encode(PAYLOAD))).toEqual(PAYLOAD);
  });

  test('large messages are lz4-compressed above compressMinBytes', () => {
    const big = { type: 'x', text: 'a'.repeat(5000) };
    const c = codec({ compressMinBytes: 100 });
    expect(c.encode(big).length).toBeLessThan(1000);
    expect(c.decode('test', c.encode(big))).toEqual(big);
    expect(codec({ compressMinBytes: 0 }).encode(big).length).toBeGreaterThan(5000);
  });

  test('messages must be plain objects without the reserved key', () => {
    const c = codec();
    for (const bad of [null, 'text', 42, [1], new Date()]) {
      expect(() => c.encode(bad)).toThrow(expect.objectContaining({ code: 'CHANNEL_ERR_INVALID_MESSAGE' }));
    }
    expect(() => c.encode({ __asgi_channel__: 'x' })).toThrow(
      expect.objectContaining({ code: 'CHANNEL_ERR_RESERVED_NAME' }),
    );
    expect(() => c.encode({ n: 10n ** 30n })).toThrow(
      expect.objectContaining({ code: 'CHANNEL_ERR_INVALID_MESSAGE' }),
    );
  });

  test('garbage is a ChannelDecodeError', () => {
    expect(() => codec().decode('test', Buffer.from([0x00, 0xc1]))).toThrow(
      expect.objectContaining({ code: 'CHANNEL_ERR_DECODE' }),
    );
    expect(() => codec().decode('test', Buffer.from([0x00, 0x31]))).toThrow(
      expect.objectContaining({ code: 'CHANNEL_ERR_DECODE' }),
    );
  });
});

describe('encryption (AES-256-GCM)', () => {
  const secret = 'a-test-key';

  test('round-trips; the ciphertext hides the payload and differs every time (random IV)', () => {
    const c = codec({ symmetricEncryptionKeys: [secret] });
    const a = c.encode(PAYLOAD);
    const b = c.encode(PAYLOAD);
    expect(a[0]).toBe(0x01);
    expect(a.includes(MSGPACK)).toBe(false);
    expect(a.equals(b)).toBe(false);
    expect(c.decode('test', a)).toEqual(PAYLOAD);
  });

  test('rotation: the first key encrypts, every key decrypts', () => {
    const before = codec({ symmetricEncryptionKeys: ['old-key'] });
    const adding = codec({ symmetricEncryptionKeys: ['old-key', 'new-key'] });
    const after = codec({ symmetricEncryptionKeys: ['new-key', 'old-key'] });
    expect(adding.decode('test', before.encode(PAYLOAD))).toEqual(PAYLOAD);
    expect(after.decode('test', before.encode(PAYLOAD))).toEqual(PAYLOAD);
    expect(adding.decode('test', after.encode(PAYLOAD))).toEqual(PAYLOAD);
    expect(() => before.decode('test', after.encode(PAYLOAD))).toThrow(
      expect.objectContaining({ code: 'CHANNEL_ERR_DECRYPT' }),
    );
  });

  test('a wrong key, tampering, truncation or a missing key is a ChannelDecryptError', () => {
    const c = codec({ symmetricEncryptionKeys: [secret] });
    const envelope = c.encode(PAYLOAD);
    expect(() => codec({ symmetricEncryptionKeys: ['other'] }).decode('ch', envelope)).toThrow(
      expect.objectContaining({ code: 'CHANNEL_ERR_DECRYPT', channel: 'ch' }),
    );
    const tampered = Buffer.from(envelope);
    tampered[tampered.length - 1]! ^= 0x01;
    expect(() => c.decode('ch', tampered)).toThrow(expect.objectContaining({ code: 'CHANNEL_ERR_DECRYPT' }));
    expect(() => c.decode('ch', envelope.subarray(0, 10))).toThrow(
      expect.objectContaining({ code: 'CHANNEL_ERR_DECRYPT' }),
    );
    expect(() => codec().decode('ch', envelope)).toThrow(
      expect.objectContaining({ code: 'CHANNEL_ERR_DECRYPT' }),
    );
    expect(() => c.decode('ch', codec().encode(PAYLOAD))).toThrow(
      expect.objectContaining({ code: 'CHANNEL_ERR_DECRYPT' }),
    );
  });
});
