import type { Cache } from '@redpool/cache';
import type { ChatMembership } from './authorization.js';

/**
 * `lookup` with its answers kept in `cache` for `ttlSeconds` per (user, room): a user who joins
 * a room from several tabs, reconnects, or publishes asks the source once per TTL, and concurrent
 * first asks in one process share one lookup (single flight). The cache never decides alone: a
 * miss, a cache error or an unreachable cache Redis all go to `lookup`. Only answers that depend
 * on nothing but the user id and the room may be cached this way (not the token's claims).
 */
export function cachedChatMembership(
  lookup: ChatMembership,
  cache: Cache,
  ttlSeconds: number,
): ChatMembership {
  return (user, room) =>
    // The user id is escaped so that `:` in it cannot make two (user, room) pairs share a key.
    cache.getOrSet(
      `member:${encodeURIComponent(user.id)}:${room}`,
      async () => (await lookup(user, room)) === true,
      ttlSeconds,
    );
}
