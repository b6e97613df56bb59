import { InvalidChannelError } from './errors.js';

/** Longest channel name accepted. */
export const MAX_CHANNEL_LENGTH = 200;

/**
 * Letters, digits and `_ - . : @ =`. Braces are excluded because the name becomes a Redis Cluster
 * hash tag (`{channel}`), `#` because it separates the parts of a Socket.IO adapter channel, and
 * glob characters because the classic adapter subscribes with a pattern.
 */
const CHANNEL_RE = /^[A-Za-z0-9_.:@=-]+$/;

/** Whether `channel` is a usable channel name (see {@link assertChannel}). */
export function isValidChannel(channel: unknown): channel is string {
  return (
    typeof channel === 'string' &&
    channel.length > 0 &&
    channel.length <= MAX_CHANNEL_LENGTH &&
    CHANNEL_RE.test(channel)
  );
}

/** Throws {@link InvalidChannelError} unless `channel` is a usable channel name. */
export function assertChannel(channel: unknown): asserts channel is string {
  if (typeof channel !== 'string') throw new InvalidChannelError(channel, 'not a string');
  if (channel.length === 0) throw new InvalidChannelError(channel, 'empty');
  if (channel.length > MAX_CHANNEL_LENGTH)
    throw new InvalidChannelError(channel, `longer than ${MAX_CHANNEL_LENGTH} characters`);
  if (!CHANNEL_RE.test(channel))
    throw new InvalidChannelError(channel, 'allowed characters are letters, digits and _ - . : @ =');
}
