import { matchesGlob } from '@redpool/realtime';
import type { TokenClaims } from './jwt.js';

/** The authenticated user of a connection. */
export interface User {
  /** The token's `sub`. */
  id: string;
  claims: TokenClaims;
}

/** What a client wants to do with a channel. */
export type ChannelAction = 'subscribe' | 'publish';

/**
 * Decides whether `user` may `action` `channel`. May be async (e.g. a database lookup); a throw or
 * rejection denies. Replace the whole policy with `authorize`, or only chat membership with
 * `chatMembership` (see {@link createDefaultAuthorizer}).
 */
export type Authorizer = (user: User, channel: string, action: ChannelAction) => boolean | Promise<boolean>;

/** Whether `user` is a member of chat room `room` (the part after `chat.`). */
export type ChatMembership = (user: User, room: string) => boolean | Promise<boolean>;

/**
 * The default chat membership rule: a token with a `rooms` claim (array of room names, `*` globs
 * allowed) may join those rooms only; a token without it may join every room.
 */
export const defaultChatMembership: ChatMembership = (user, room) => {
  const rooms = user.claims.rooms;
  if (rooms === undefined) return true;
  return Array.isArray(rooms) && rooms.some((r) => typeof r === 'string' && matchesGlob(r, room));
};

/**
 * The default policy:
 * - `notifications.<userId>`: the user whose id it is may subscribe; nobody publishes from a client
 *   (notifications come from services through `@redpool/realtime`);
 * - `notifications.group.<group>`: users whose token lists the group in `groups` may subscribe;
 * - `chat.<room>`: members (per `chatMembership`) may subscribe and publish;
 * - every other channel: denied to clients.
 */
export function createDefaultAuthorizer(chatMembership: ChatMembership = defaultChatMembership): Authorizer {
  return (user, channel, action) => {
    if (channel.startsWith('notifications.')) {
      if (action !== 'subscribe') return false;
      const rest = channel.slice('notifications.'.length);
      if (rest.startsWith('group.')) {
        const groups = user.claims.groups;
        return Array.isArray(groups) && groups.includes(rest.slice('group.'.length));
      }
      return rest === user.id;
    }
    if (channel.startsWith('chat.') && channel.length > 'chat.'.length)
      return chatMembership(user, channel.slice('chat.'.length));
    return false;
  };
}
