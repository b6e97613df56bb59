import { describe, expect, test } from '@jest/globals';
import { createDefaultAuthorizer, type User } from '../../src/auth/authorization.js';
import { TokenBucket } from '../../src/connections/token-bucket.js';

const user = (id: string, claims: Record<string, unknown> = {}): User => ({
  id,
  claims: { sub: id, ...claims },
});

describe('default authorizer', () => {
  const authorize = createDefaultAuthorizer();
  test.each([
    ['alice', {}, 'notifications.alice', 'subscribe', true],
    ['alice', {}, 'notifications.alice', 'publish', false],
    ['alice', {}, 'notifications.bob', 'subscribe', false],
    ['alice', {}, 'notifications.alice.extra', 'subscribe', false],
    ['alice', { groups: ['ops'] }, 'notifications.group.ops', 'subscribe', true],
    ['alice', { groups: ['ops'] }, 'notifications.group.dev', 'subscribe', false],
    ['alice', {}, 'notifications.group.ops', 'subscribe', false],
    ['alice', {}, 'chat.any', 'subscribe', true],
    ['alice', {}, 'chat.any', 'publish', true],
    ['alice', {}, 'chat.', 'subscribe', false],
    ['alice', { rooms: ['a', 'team-*'] }, 'chat.team-x', 'publish', true],
    ['alice', { rooms: ['a', 'team-*'] }, 'chat.b', 'subscribe', false],
    ['alice', { rooms: 'a' }, 'chat.a', 'subscribe', false],
    ['alice', {}, 'presence.x', 'subscribe', false],
  ] as const)('%s %j %s %s → %s', async (id, claims, channel, action, expected) => {
    expect(await authorize(user(id, claims), channel, action)).toBe(expected);
  });

  test('a custom chat membership function replaces only the chat rule', async () => {
    const custom = createDefaultAuthorizer(async (u, room) => room === `${u.id}-room`);
    expect(await custom(user('bob'), 'chat.bob-room', 'subscribe')).toBe(true);
    expect(await custom(user('bob'), 'chat.other', 'subscribe')).toBe(false);
    expect(await custom(user('bob'), 'notifications.bob', 'subscribe')).toBe(true);
  });
});

describe('TokenBucket', () => {
  test('allows a burst, then the refill rate', () => {
    const bucket = new TokenBucket(10, 3, 0);
    expect([bucket.take(0), bucket.take(0), bucket.take(0), bucket.take(0)]).toEqual([
      true,
      true,
      true,
      false,
    ]);
    expect(bucket.take(50)).toBe(false); // half a token
    expect(bucket.take(100)).toBe(true);
    expect(bucket.take(10_000)).toBe(true);
    expect([bucket.take(10_000), bucket.take(10_000), bucket.take(10_000)]).toEqual([true, true, false]);
  });
});
