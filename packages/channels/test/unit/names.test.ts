import { describe, expect, test } from '@jest/globals';
import { ChannelKeys } from '../../src/keys.js';
import {
  assertChannelName,
  assertGroupName,
  isOwnChannel,
  makeChannelName,
  nonLocalName,
} from '../../src/names.js';

describe('names (Django Channels rules, ASCII only)', () => {
  test.each(['test-channel-1', 'a', 'http.response!abc', 'specific.x!', 'A_b.c-d!e_f.g-h', 'x'.repeat(99)])(
    'valid channel %s',
    (name) => {
      expect(() => assertChannelName(name)).not.toThrow();
    },
  );

  test.each([
    '',
    '=+135!',
    'a!b!c',
    'white space',
    'tab\t',
    'é',
    'a!é',
    'x'.repeat(100),
    'a{b}',
    'a:b',
    'a,b',
  ])('invalid channel %j', (name) => {
    expect(() => assertChannelName(name)).toThrow(
      expect.objectContaining({ code: 'CHANNEL_ERR_INVALID_NAME' }),
    );
  });

  test('non-strings are refused with the same error', () => {
    for (const name of [undefined, null, 42, {}, ['a']]) {
      expect(() => assertChannelName(name)).toThrow(
        expect.objectContaining({ code: 'CHANNEL_ERR_INVALID_NAME' }),
      );
      expect(() => assertGroupName(name)).toThrow(
        expect.objectContaining({ code: 'CHANNEL_ERR_INVALID_NAME' }),
      );
    }
  });

  test('groups take no !-part', () => {
    expect(() => assertGroupName('test-group')).not.toThrow();
    expect(() => assertGroupName('a!b')).toThrow(
      /^Group name must be a valid unicode string with length < 100/,
    );
  });

  test('newChannel names: prefix.clientPrefix!32hex, under 100 characters', () => {
    const client = 'c'.repeat(32);
    const name = makeChannelName('specific', client);
    expect(name).toMatch(/^specific\.c{32}![0-9a-f]{32}$/);
    expect(isOwnChannel(name, client)).toBe(true);
    expect(isOwnChannel(name, 'd'.repeat(32))).toBe(false);
    expect(() => assertChannelName(makeChannelName('p'.repeat(33), client))).not.toThrow();
    expect(() => makeChannelName('p'.repeat(34), client)).toThrow(
      expect.objectContaining({ code: 'CHANNEL_ERR_INVALID_NAME' }),
    );
    expect(() => makeChannelName('bad!', client)).toThrow(
      expect.objectContaining({ code: 'CHANNEL_ERR_INVALID_NAME' }),
    );
  });

  test('nonLocalName', () => {
    expect(nonLocalName('a.b!c')).toBe('a.b!');
    expect(nonLocalName('a.b!')).toBe('a.b!');
    expect(nonLocalName('general')).toBe('general');
  });
});

describe('keys: one place, prefix first, a hash tag in each', () => {
  const keys = new ChannelKeys('asgi');
  test('layout', () => {
    expect(keys.queue('test-channel-1')).toBe('asgi:chan:{test-channel-1}');
    expect(keys.inbox('specific.abc!')).toBe('asgi:inbox:{specific.abc!}');
    expect(keys.count('specific.abc!')).toBe('asgi:count:{specific.abc!}');
    expect(keys.group('test_group')).toBe('asgi:group:{test_group}');
    expect(keys.roster('specific.abc!', 'g')).toBe('asgi:roster:{specific.abc!}:g');
    expect(keys.kick('t', 'id')).toBe('asgi:kick:{t}id');
    expect(keys.pattern()).toBe('asgi:*');
  });
});
