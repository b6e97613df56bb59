import { describe, expect, test } from '@jest/globals';
import { CapacityTable, compileCapacities, globToRegExp } from '../../src/capacity.js';

const fail = (field: string, value: unknown, allowed: string): never => {
  throw new Error(`${field} ${String(value)} ${allowed}`);
};
const int = (_: string, v: unknown) => v as number;

describe('glob patterns as Python fnmatch', () => {
  test.each([
    ['http.response!*', 'http.response!', true],
    ['http.response!*', 'http.responseX', false],
    ['chat.*', 'chat.room-1', true],
    ['chat.*', 'xchat.room', false],
    ['chat.?', 'chat.1', true],
    ['chat.?', 'chat.12', false],
    ['[ab]-x', 'a-x', true],
    ['[!ab]-x', 'a-x', false],
    ['[!ab]-x', 'c-x', true],
    ['one', 'one', true],
    ['one', 'one1', false],
    ['[abc', '[abc', true],
  ])('%s matches %s: %s', (glob, name, expected) => {
    expect(globToRegExp(glob).test(name)).toBe(expected);
  });
});

describe('capacity table', () => {
  test('first match wins, in object order; the default otherwise', () => {
    const table = new CapacityTable(
      compileCapacities({ 'chat.*': 2000, 'chat.vip.*': 5, 'notifications.*': 500 }, int, fail),
      100,
    );
    expect(table.lookup('chat.vip.x')).toEqual({ capacity: 2000, label: 'chat.*' });
    expect(table.lookup('notifications.42')).toEqual({ capacity: 500, label: 'notifications.*' });
    expect(table.lookup('other')).toEqual({ capacity: 100, label: 'default' });
  });

  test('ordered list with RegExp entries', () => {
    const table = new CapacityTable(
      compileCapacities(
        [
          [/^ws\./, 7],
          ['w*', 3],
        ],
        int,
        fail,
      ),
      100,
    );
    expect(table.lookup('ws.1').capacity).toBe(7);
    expect(table.lookup('wx').capacity).toBe(3);
  });

  test('specific channels are matched by their non-local name', () => {
    const table = new CapacityTable(
      compileCapacities({ 'http.response!*': 10, 'specific.*': 50 }, int, fail),
      100,
    );
    expect(table.lookup('http.response!abcdef').capacity).toBe(10);
    expect(table.lookup('specific.0123!abcdef').capacity).toBe(50);
  });
});
