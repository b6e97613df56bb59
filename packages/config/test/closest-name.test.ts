import { describe, expect, test } from '@jest/globals';
import { closestName, findUnknownOption } from '../src/index.js';

describe('closestName', () => {
  const options = ['maxConnections', 'commandTimeoutMs', 'connectTimeoutMs', 'minIdle', 'retry'];

  test.each([
    ['maxConnection', 'maxConnections'],
    ['maxconnections', 'maxConnections'],
    ['commandTimeout', 'commandTimeoutMs'],
    ['conectTimeoutMs', 'connectTimeoutMs'],
    ['minIdel', 'minIdle'],
  ])('%s → %s', (typo, expected) => {
    expect(closestName(typo, options)).toBe(expected);
  });

  test('nothing close enough gives undefined', () => {
    expect(closestName('lazyConnect', options)).toBeUndefined();
    expect(closestName('x', options)).toBeUndefined();
  });
});

describe('findUnknownOption', () => {
  test('names the first unknown key and its closest known name', () => {
    const known = new Set(['serializer', 'compressMinBytes']);
    expect(findUnknownOption({ serializer: 'json', compresMinBytes: 5 }, known)).toEqual({
      field: 'compresMinBytes',
      closest: 'compressMinBytes',
    });
    expect(findUnknownOption({ serializer: 'json' }, known)).toBeUndefined();
  });
});
