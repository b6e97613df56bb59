import { expect, test } from '@jest/globals';
import { keySlot } from '../../src/slot.js';

test('Redis Cluster key slots (vectors from the Redis docs and CLUSTER KEYSLOT)', () => {
  expect(keySlot('123456789')).toBe(12739);
  expect(keySlot('foo')).toBe(12182);
  expect(keySlot('{user1000}.following')).toBe(keySlot('{user1000}.followers'));
  expect(keySlot('foo{}{bar}')).toBe(keySlot('foo{}{bar}'));
  expect(keySlot('foo{}{bar}')).not.toBe(keySlot('bar'));
  expect(keySlot('asgi:inbox:{specific.x!}')).toBe(keySlot('asgi:count:{specific.x!}'));
  expect(keySlot('asgi:roster:{specific.x!}:g')).toBe(keySlot('specific.x!'));
});
