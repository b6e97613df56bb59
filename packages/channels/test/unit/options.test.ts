import { describe, expect, test } from '@jest/globals';
import { DEFAULT_CHANNEL_LAYER_OPTIONS, InvalidOptionError } from '../../src/index.js';
import { resolveOptions } from '../../src/options.js';

describe('options', () => {
  test('defaults, as documented', () => {
    const o = resolveOptions({});
    expect(o).toMatchObject({
      prefix: 'asgi',
      expirySeconds: 60,
      groupExpirySeconds: 86_400,
      capacity: 100,
      serializer: 'msgpack',
      compressMinBytes: 512,
      receiveBlockMs: 5_000,
      clusterPollIntervalMs: 100,
    });
    expect(o.capacityRules).toEqual([]);
    expect(o.symmetricEncryptionKeys).toEqual([]);
    expect(DEFAULT_CHANNEL_LAYER_OPTIONS.prefix).toBe('asgi');
  });

  test.each([
    [{ prefix: '' }, 'prefix'],
    [{ prefix: 'a:b' }, 'prefix'],
    [{ prefix: 'a{b}' }, 'prefix'],
    [{ expirySeconds: 0 }, 'expirySeconds'],
    [{ expirySeconds: 1.5 }, 'expirySeconds'],
    [{ groupExpirySeconds: -1 }, 'groupExpirySeconds'],
    [{ capacity: 0 }, 'capacity'],
    [{ capacity: '100' }, 'capacity'],
    [{ channelCapacity: { 'chat.*': 0 } }, 'channelCapacity["chat.*"]'],
    [{ channelCapacity: [['', 3]] }, 'channelCapacity[0]'],
    [{ channelCapacity: 'x' }, 'channelCapacity'],
    [{ symmetricEncryptionKeys: 'secret' }, 'symmetricEncryptionKeys'],
    [{ symmetricEncryptionKeys: [''] }, 'symmetricEncryptionKeys[0]'],
    [{ serializer: 'pickle' }, 'serializer'],
    [{ compressMinBytes: -1 }, 'compressMinBytes'],
    [{ receiveBlockMs: 10 }, 'receiveBlockMs'],
    [{ clusterPollIntervalMs: 0 }, 'clusterPollIntervalMs'],
    [{ expiry: 60 }, 'expiry'],
  ])('%j is refused naming %s', (options, field) => {
    let error: unknown;
    try {
      resolveOptions(options as never);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect((error as InvalidOptionError).code).toBe('CHANNEL_ERR_INVALID_OPTION');
    expect((error as InvalidOptionError).field).toBe(field);
    expect((error as InvalidOptionError).message).toContain(`"${field}"`);
    expect((error as InvalidOptionError).message).toMatch(/allowed: /);
  });
});
