import { describe, expect, test } from '@jest/globals';
import { boolean, integer, LOG_LEVELS, oneOf, pattern, redisUrl } from '../src/index.js';

describe('integer(min, max)', () => {
  const port = integer(0, 65_535);

  test.each([
    ['0', 0],
    ['8080', 8080],
    ['65535', 65_535],
    ['007', 7],
  ])('accepts %s as %d', (raw, value) => {
    expect(port(raw)).toBe(value);
  });

  test.each([
    ['70000', 'above max'],
    ['-1', 'a sign'],
    ['1.5', 'a fraction'],
    ['1e3', 'an exponent'],
    ['0x10', 'hex'],
    ['', 'nothing'],
    ['9'.repeat(20), 'beyond safe integers'],
  ])('refuses %s (%s)', (raw) => {
    expect(port(raw)).toBeUndefined();
  });

  test('refuses values below min', () => {
    expect(integer(8, 10_000)('4')).toBeUndefined();
  });
});

describe('pattern(re)', () => {
  const prefix = pattern(/^[A-Za-z0-9_.:-]{1,64}$/);

  test('returns the text when it matches', () => {
    expect(prefix('redpool:ws')).toBe('redpool:ws');
  });

  test('refuses text that does not match', () => {
    expect(prefix('has space')).toBeUndefined();
    expect(prefix('x'.repeat(65))).toBeUndefined();
  });
});

describe('oneOf(values)', () => {
  const fanout = oneOf(['auto', 'classic', 'sharded']);

  test('accepts exactly the listed values', () => {
    expect(fanout('classic')).toBe('classic');
    expect(fanout('Classic')).toBeUndefined();
    expect(fanout('redis')).toBeUndefined();
  });

  test('LOG_LEVELS lists pino levels and silent', () => {
    const level = oneOf(LOG_LEVELS);
    expect(level('debug')).toBe('debug');
    expect(level('silent')).toBe('silent');
    expect(level('verbose')).toBeUndefined();
  });
});

describe('boolean', () => {
  test.each(['1', 'true', 'yes', 'on', 'TRUE', 'Yes'])('reads %s as true', (raw) => {
    expect(boolean(raw)).toBe(true);
  });

  test.each(['0', 'false', 'no', 'off', 'False'])('reads %s as false', (raw) => {
    expect(boolean(raw)).toBe(false);
  });

  test.each(['maybe', '2', 'y'])('refuses %s', (raw) => {
    expect(boolean(raw)).toBeUndefined();
  });
});

describe('redisUrl', () => {
  test.each(['redis://127.0.0.1:6379', 'rediss://user:pw@redis.internal:6380/2'])(
    'returns %s unchanged',
    (raw) => {
      expect(redisUrl(raw)).toBe(raw);
    },
  );

  test.each(['http://redis.internal', 'redis.internal:6379', 'not a url'])('refuses %s', (raw) => {
    expect(redisUrl(raw)).toBeUndefined();
  });
});
