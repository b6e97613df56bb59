import { randomUUID } from 'node:crypto';
import { ChannelInvalidNameError } from './errors.js';

/** Names must be shorter than this (Django Channels' `MAX_NAME_LENGTH`). */
export const MAX_NAME_LENGTH = 100;

/** Longest `newChannel` prefix: `${prefix}.${32 hex}!${32 hex}` must stay under 100 characters. */
export const MAX_NEW_CHANNEL_PREFIX_LENGTH = 33;

// Django Channels' rules, restricted to ASCII (Python's \w and \d also match other scripts).
const CHANNEL_NAME = /^[a-zA-Z0-9\-_.]+(![a-zA-Z0-9\-_.]*)?$/;
const GROUP_NAME = /^[a-zA-Z0-9\-_.]+$/;

/** Throws {@link ChannelInvalidNameError} unless `name` is a valid channel name. */
export function assertChannelName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || name.length >= MAX_NAME_LENGTH || !CHANNEL_NAME.test(name)) {
    throw new ChannelInvalidNameError('channel', name);
  }
}

/** Throws {@link ChannelInvalidNameError} unless `name` is a valid group name. */
export function assertGroupName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || name.length >= MAX_NAME_LENGTH || !GROUP_NAME.test(name)) {
    throw new ChannelInvalidNameError('group', name);
  }
}

/** Whether a (valid) channel name is process-specific: it has a `!` part. */
export function isSpecific(channel: string): boolean {
  return channel.includes('!');
}

/**
 * Everything up to and including the `!` of a process-specific channel (`a.b!c` → `a.b!`), or the
 * whole name of a general channel: Django Channels' `non_local_name`.
 */
export function nonLocalName(channel: string): string {
  const bang = channel.indexOf('!');
  return bang < 0 ? channel : channel.slice(0, bang + 1);
}

/** A random 32-hex-digit client prefix, unique per layer. */
export function newClientPrefix(): string {
  return randomUUID().replace(/-/g, '');
}

/**
 * A new process-specific channel name, `${prefix}.${clientPrefix}!${32 hex}`, as Django Channels
 * makes it. Throws {@link ChannelInvalidNameError} for a bad prefix.
 */
export function makeChannelName(prefix: unknown, clientPrefix: string): string {
  if (
    typeof prefix !== 'string' ||
    prefix.length > MAX_NEW_CHANNEL_PREFIX_LENGTH ||
    !GROUP_NAME.test(prefix)
  ) {
    throw new ChannelInvalidNameError('prefix', prefix);
  }
  return `${prefix}.${clientPrefix}!${randomUUID().replace(/-/g, '')}`;
}

/** Whether `channel` (a process-specific name) was made by the layer with `clientPrefix`. */
export function isOwnChannel(channel: string, clientPrefix: string): boolean {
  return nonLocalName(channel).endsWith(`${clientPrefix}!`);
}
