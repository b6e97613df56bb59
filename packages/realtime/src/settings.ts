import { type EnvVariable, type InvalidValueErrorClass, oneOf, pattern } from '@redpool/config';
import { ChannelRules, DEFAULT_CHANNEL_FALLBACK_SPEC, DEFAULT_CHANNEL_RULES_SPEC } from './channel-rules.js';
import { parseDuration } from './duration.js';
import type { FanoutMode } from './frames.js';
import { DEFAULT_PUBLISHER_OPTIONS, MAX_META_TTL_MS, type PublisherOptions } from './options.js';

/**
 * What every process that touches the channel streams must agree on — the ws-server instances and
 * every publisher (the worker) — as read from the `REALTIME_*` environment variables.
 */
export interface RealtimeSettings {
  /** Channel rules `pattern=capacity:ttl,…`. @defaultValue DEFAULT_CHANNEL_RULES_SPEC */
  channels: string;
  /** History bounds `capacity:ttl` of channels no rule matches. @defaultValue DEFAULT_CHANNEL_FALLBACK_SPEC */
  channelFallback: string;
  /** Prefix of the history keys. @defaultValue 'redpool:ws' */
  keyPrefix: string;
  /** The redis-adapter's channel prefix. @defaultValue 'socket.io' */
  adapterPrefix: string;
  /** The Socket.IO namespace clients connect to. @defaultValue '/' */
  namespace: string;
  /** `auto` (sharded pub/sub on Redis 7+, classic before), `classic` or `sharded`. @defaultValue 'auto' */
  fanout: 'auto' | FanoutMode;
  /** How long a channel's epoch and offset outlive its last activity, ms. @defaultValue 604800000 (7 days) */
  metaTtlMs: number;
}

/** The settings when no `REALTIME_*` variable is set. */
export const DEFAULT_REALTIME_SETTINGS: Readonly<RealtimeSettings> = Object.freeze({
  channels: DEFAULT_CHANNEL_RULES_SPEC,
  channelFallback: DEFAULT_CHANNEL_FALLBACK_SPEC,
  keyPrefix: DEFAULT_PUBLISHER_OPTIONS.keyPrefix,
  adapterPrefix: DEFAULT_PUBLISHER_OPTIONS.adapterPrefix,
  namespace: DEFAULT_PUBLISHER_OPTIONS.namespace,
  fanout: DEFAULT_PUBLISHER_OPTIONS.fanout,
  metaTtlMs: DEFAULT_PUBLISHER_OPTIONS.metaTtlMs,
});

const PREFIX = /^[A-Za-z0-9_.:-]{1,64}$/;

/**
 * The seven `REALTIME_*` variables, read by the ws-server and the worker alike (docs/configuration.md,
 * "Channels"). Give them the same values in every process.
 */
export const REALTIME_VARIABLES: readonly EnvVariable<RealtimeSettings>[] = [
  {
    name: 'REALTIME_CHANNELS',
    field: 'channels',
    allowed: 'comma-separated pattern=capacity:ttl (capacity 1-1000000, ttl 100ms-30d), first match wins',
    description: 'history capacity and expiry per channel pattern',
    parse: (raw) => (ChannelRules.parse(raw, DEFAULT_CHANNEL_FALLBACK_SPEC) ? raw : undefined),
  },
  {
    name: 'REALTIME_CHANNEL_FALLBACK',
    field: 'channelFallback',
    allowed: 'capacity:ttl, e.g. 100:60s',
    description: 'history bounds of channels no pattern matches',
    parse: (raw) => (ChannelRules.parse('', raw) ? raw : undefined),
  },
  {
    name: 'REALTIME_KEY_PREFIX',
    field: 'keyPrefix',
    allowed: '1-64 characters of A-Z a-z 0-9 _ . : -',
    description: 'prefix of the history keys (`<prefix>:{<channel>}:history`, `…:meta`)',
    parse: pattern(PREFIX),
  },
  {
    name: 'REALTIME_ADAPTER_PREFIX',
    field: 'adapterPrefix',
    allowed: '1-64 characters of A-Z a-z 0-9 _ . : -',
    description: "the Socket.IO redis-adapter's channel prefix",
    parse: pattern(PREFIX),
  },
  {
    name: 'REALTIME_NAMESPACE',
    field: 'namespace',
    allowed: '"/" or "/name" with letters, digits, _ and -',
    description: 'the Socket.IO namespace clients connect to',
    parse: pattern(/^\/[A-Za-z0-9_-]*$/),
  },
  {
    name: 'REALTIME_FANOUT',
    field: 'fanout',
    allowed: 'auto, classic or sharded',
    description:
      'which redis-adapter carries messages: auto picks sharded pub/sub on Redis 7+ (standalone or Cluster), classic before',
    parse: oneOf(['auto', 'classic', 'sharded']),
  },
  {
    name: 'REALTIME_META_TTL',
    field: 'metaTtlMs',
    allowed: 'a duration (10s, 24h, 7d) from the longest channel ttl to 365d',
    description:
      "how long a channel's epoch and offset outlive its last message (then offsets restart in a new epoch)",
    defaultText: '7d',
    parse: (raw) => {
      const ms = parseDuration(raw, 'REALTIME_META_TTL');
      return ms <= MAX_META_TTL_MS ? ms : undefined;
    },
  },
];

/** The parsed channel rules of the settings; errors name the `REALTIME_*` variable. */
export function settingsChannelRules(
  settings: Pick<RealtimeSettings, 'channels' | 'channelFallback'>,
): ChannelRules {
  return ChannelRules.parse(
    settings.channels,
    settings.channelFallback,
    'REALTIME_CHANNELS',
    'REALTIME_CHANNEL_FALLBACK',
  );
}

/**
 * Checks what no single variable can: `REALTIME_META_TTL` must cover the longest channel ttl.
 * @throws `invalidValue` (the app's configuration error) naming the variable and the allowed range.
 */
export function checkRealtimeSettings(
  settings: RealtimeSettings,
  invalidValue: InvalidValueErrorClass,
): void {
  const longest = settingsChannelRules(settings).maxTtlMs;
  if (settings.metaTtlMs < longest)
    throw new invalidValue(
      'REALTIME_META_TTL',
      `${settings.metaTtlMs}ms`,
      `at least the longest channel ttl (${longest}ms)`,
    );
}

/** The publisher options of the settings, as every publisher and the ws-server pass them. */
export function settingsPublisherOptions(settings: RealtimeSettings): PublisherOptions {
  return {
    channels: settingsChannelRules(settings),
    keyPrefix: settings.keyPrefix,
    adapterPrefix: settings.adapterPrefix,
    namespace: settings.namespace,
    fanout: settings.fanout,
    metaTtlMs: settings.metaTtlMs,
  };
}
