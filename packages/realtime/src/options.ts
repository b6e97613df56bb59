import type { Codec } from '@redpool/codec';
import { withDefaults } from '@redpool/config';
import { ChannelRules } from './channel-rules.js';
import { InvalidOptionError } from './errors.js';
import type { FanoutMode } from './frames.js';

/** Options of {@link createPublisher}; the ws-server passes the same values. */
export interface PublisherOptions {
  /** Capacity and expiry per channel pattern. @defaultValue `ChannelRules.parse()` (chat.* 2000/10s, notifications.* 500/24h, else 100/60s) */
  channels?: ChannelRules;
  /** Prefix of every Redis key. @defaultValue `'redpool:ws'` */
  keyPrefix?: string;
  /** The redis-adapter's channel prefix (its `key` / `channelPrefix` option). @defaultValue `'socket.io'` */
  adapterPrefix?: string;
  /** The Socket.IO namespace clients connect to. @defaultValue `'/'` */
  namespace?: string;
  /**
   * Which adapter the ws-server instances run: `auto` uses the mode they announced in Redis, else
   * picks like they do (sharded on Redis 7+, classic before); `none` stores history without
   * fanning out (tests, backfills). @defaultValue `'auto'`
   */
  fanout?: 'auto' | 'none' | FanoutMode;
  /** How long a channel's epoch and top offset outlive its last activity (>= every ttl). @defaultValue 7 days */
  metaTtlMs?: number;
  /** Largest payload, as UTF-8 JSON. @defaultValue 65536 */
  maxPayloadBytes?: number;
  /** Encodes history entries. @defaultValue `createCodec()` (JSON, lz4 from 100 bytes) */
  codec?: Codec;
}

export interface ResolvedPublisherOptions {
  readonly channels: ChannelRules;
  readonly keyPrefix: string;
  readonly adapterPrefix: string;
  readonly namespace: string;
  readonly fanout: 'auto' | 'none' | FanoutMode;
  readonly metaTtlMs: number;
  readonly maxPayloadBytes: number;
}

/** Defaults of {@link PublisherOptions} (the channel rules and codec are built on demand). */
export const DEFAULT_PUBLISHER_OPTIONS = {
  keyPrefix: 'redpool:ws',
  adapterPrefix: 'socket.io',
  namespace: '/',
  fanout: 'auto',
  metaTtlMs: 7 * 86_400_000,
  maxPayloadBytes: 65_536,
} as const;

/** Longest `metaTtlMs` accepted: 365 days. */
export const MAX_META_TTL_MS = 365 * 86_400_000;

const PREFIX_RE = /^[A-Za-z0-9_.:-]{1,64}$/;

export function resolveOptions(options: PublisherOptions): ResolvedPublisherOptions {
  const o = {
    channels: options.channels ?? ChannelRules.parse(),
    ...withDefaults(options, DEFAULT_PUBLISHER_OPTIONS),
  };
  // Braces would become the Cluster hash tag instead of the channel name.
  if (!PREFIX_RE.test(o.keyPrefix))
    throw new InvalidOptionError('keyPrefix', o.keyPrefix, '1-64 letters, digits and _ . : -');
  if (!PREFIX_RE.test(o.adapterPrefix))
    throw new InvalidOptionError('adapterPrefix', o.adapterPrefix, '1-64 letters, digits and _ . : -');
  if (!/^\/[A-Za-z0-9_-]*$/.test(o.namespace))
    throw new InvalidOptionError('namespace', o.namespace, '"/" or "/name" with letters, digits, _ and -');
  if (!['auto', 'none', 'classic', 'sharded'].includes(o.fanout))
    throw new InvalidOptionError('fanout', o.fanout, "'auto', 'classic', 'sharded' or 'none'");
  if (!Number.isInteger(o.maxPayloadBytes) || o.maxPayloadBytes < 1 || o.maxPayloadBytes > 16 * 1024 * 1024)
    throw new InvalidOptionError('maxPayloadBytes', o.maxPayloadBytes, 'an integer from 1 to 16777216');
  const minMeta = o.channels.maxTtlMs;
  if (!Number.isInteger(o.metaTtlMs) || o.metaTtlMs < minMeta || o.metaTtlMs > MAX_META_TTL_MS)
    throw new InvalidOptionError(
      'metaTtlMs',
      o.metaTtlMs,
      `an integer of milliseconds from the longest channel ttl (${minMeta}) to 365 days`,
    );
  return o;
}
