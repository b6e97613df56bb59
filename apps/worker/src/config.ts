import {
  type Environment,
  type EnvVariable,
  integer,
  LOG_LEVELS,
  oneOf,
  pattern,
  readEnvironment,
  redisUrl,
} from '@redpool/config';
import { redactUrl } from '@redpool/pool';
import {
  ChannelRules,
  DEFAULT_CHANNEL_FALLBACK_SPEC,
  DEFAULT_CHANNEL_RULES_SPEC,
  DEFAULT_PUBLISHER_OPTIONS,
  type FanoutMode,
  MAX_META_TTL_MS,
  parseDuration,
} from '@redpool/realtime';
import type { LevelWithSilent } from 'pino';
import { InvalidConfigError } from './errors.js';

/** The worker's configuration, read from the environment once at start-up by {@link loadConfig}. */
export interface WorkerConfig {
  /** Redis for queues, heartbeats and reports (must be `noeviction`). @defaultValue 'redis://127.0.0.1:6379' */
  redisUrl: string;
  /** Connection budget of the worker's pool (BullMQ's connections included). @defaultValue 20 */
  redisMaxConnections: number;
  /** Interface of the operations HTTP server (/healthz, /readyz, /metrics). @defaultValue '0.0.0.0' */
  httpHost: string;
  /** Port of the operations HTTP server; 0 picks a free one. @defaultValue 9400 */
  httpPort: number;
  /** How often the pool-usage report runs (Job Scheduler `every`). @defaultValue 300000 */
  reportIntervalMs: number;
  /** A pool whose in-use ÷ max is at or above this percentage is logged as a warning. @defaultValue 90 */
  usageWarnPercent: number;
  /** Reports kept in the capped stream (288 × 5 min = 24 h). @defaultValue 288 */
  reportStreamMaxLen: number;
  /** How often this process publishes its own pool heartbeat. @defaultValue 15000 */
  heartbeatIntervalMs: number;
  /** Notification jobs processed at the same time by this process. @defaultValue 10 */
  notificationConcurrency: number;
  /** Time running jobs get to finish after SIGTERM before they are cancelled. @defaultValue 10000 */
  shutdownTimeoutMs: number;
  /** Prefix of the worker's own keys and of the heartbeats it reads. @defaultValue 'redpool' */
  keyPrefix: string;
  /** BullMQ key prefix; producers must use the same one. @defaultValue 'bull' */
  bullmqPrefix: string;
  /** pino log level. @defaultValue 'info' */
  logLevel: LevelWithSilent;
  /** The ws-server's key prefix (publish API). @defaultValue 'redpool:ws' */
  realtimeKeyPrefix: string;
  /** The ws-server's redis-adapter channel prefix. @defaultValue 'socket.io' */
  realtimeAdapterPrefix: string;
  /** The Socket.IO namespace clients connect to. @defaultValue '/' */
  realtimeNamespace: string;
  /** The ws-server's channel rules (history capacity and expiry per pattern). @defaultValue DEFAULT_CHANNEL_RULES_SPEC */
  realtimeChannels: string;
  /** History bounds of channels no rule matches. @defaultValue DEFAULT_CHANNEL_FALLBACK_SPEC */
  realtimeChannelFallback: string;
  /** Which redis-adapter carries messages (`auto`: sharded on Redis 7+). @defaultValue 'auto' */
  realtimeFanout: 'auto' | FanoutMode;
  /** How long a channel's epoch and offset outlive its last message. @defaultValue 604800000 (7 days) */
  realtimeMetaTtlMs: number;
}

export const DEFAULT_WORKER_CONFIG: Readonly<WorkerConfig> = Object.freeze({
  redisUrl: 'redis://127.0.0.1:6379',
  redisMaxConnections: 20,
  httpHost: '0.0.0.0',
  httpPort: 9400,
  reportIntervalMs: 300_000,
  usageWarnPercent: 90,
  reportStreamMaxLen: 288,
  heartbeatIntervalMs: 15_000,
  notificationConcurrency: 10,
  shutdownTimeoutMs: 10_000,
  keyPrefix: 'redpool',
  bullmqPrefix: 'bull',
  logLevel: 'info',
  realtimeKeyPrefix: DEFAULT_PUBLISHER_OPTIONS.keyPrefix,
  realtimeAdapterPrefix: DEFAULT_PUBLISHER_OPTIONS.adapterPrefix,
  realtimeNamespace: DEFAULT_PUBLISHER_OPTIONS.namespace,
  realtimeChannels: DEFAULT_CHANNEL_RULES_SPEC,
  realtimeChannelFallback: DEFAULT_CHANNEL_FALLBACK_SPEC,
  realtimeFanout: 'auto',
  realtimeMetaTtlMs: DEFAULT_PUBLISHER_OPTIONS.metaTtlMs,
});

/** One environment variable: where it goes, what it allows, what it means (used by docs tests too). */
export type ConfigVariable = EnvVariable<WorkerConfig>;

/** Every variable the worker reads, in the order of docs/configuration.md. */
export const CONFIG_VARIABLES: readonly ConfigVariable[] = [
  {
    name: 'REDIS_URL',
    field: 'redisUrl',
    allowed: 'a redis:// or rediss:// URL',
    description: 'Redis for queues, heartbeats and reports; its maxmemory-policy must be noeviction',
    redact: redactUrl,
    parse: redisUrl,
  },
  {
    name: 'WORKER_REDIS_MAX_CONNECTIONS',
    field: 'redisMaxConnections',
    allowed: 'an integer from 8 to 10000',
    description: "connection budget of the worker's pool, BullMQ's connections included",
    parse: integer(8, 10_000),
  },
  {
    name: 'WORKER_HTTP_HOST',
    field: 'httpHost',
    allowed: 'an IPv4/IPv6 address or host name',
    description: 'interface of the operations server (/healthz, /readyz, /metrics)',
    parse: pattern(/^[A-Za-z0-9.:[\]-]{1,255}$/),
  },
  {
    name: 'WORKER_HTTP_PORT',
    field: 'httpPort',
    allowed: 'an integer from 0 to 65535 (0 picks a free port)',
    description: 'port of the operations server',
    parse: integer(0, 65_535),
  },
  {
    name: 'REPORT_INTERVAL_MS',
    field: 'reportIntervalMs',
    allowed: 'an integer from 250 to 86400000',
    description: 'how often pool-usage-report runs, once per interval fleet-wide (Job Scheduler `every`)',
    parse: integer(250, 86_400_000),
  },
  {
    name: 'USAGE_WARN_PERCENT',
    field: 'usageWarnPercent',
    allowed: 'an integer from 1 to 100',
    description: 'a pool with in use ÷ max at or above this percentage is logged as a warning',
    parse: integer(1, 100),
  },
  {
    name: 'REPORT_STREAM_MAXLEN',
    field: 'reportStreamMaxLen',
    allowed: 'an integer from 1 to 100000',
    description: 'reports kept in the capped stream (288 × 5 min = 24 h)',
    parse: integer(1, 100_000),
  },
  {
    name: 'HEARTBEAT_INTERVAL_MS',
    field: 'heartbeatIntervalMs',
    allowed: 'an integer from 100 to 3600000',
    description: "how often the worker publishes its own pools' heartbeat",
    parse: integer(100, 3_600_000),
  },
  {
    name: 'NOTIFICATION_CONCURRENCY',
    field: 'notificationConcurrency',
    allowed: 'an integer from 1 to 1000',
    description: 'notification jobs delivered at the same time by one worker process',
    parse: integer(1, 1_000),
  },
  {
    name: 'SHUTDOWN_TIMEOUT_MS',
    field: 'shutdownTimeoutMs',
    allowed: 'an integer from 0 to 600000',
    description: 'after SIGTERM/SIGINT, time running jobs get to finish before they are cancelled',
    parse: integer(0, 600_000),
  },
  {
    name: 'KEY_PREFIX',
    field: 'keyPrefix',
    allowed: '1-64 characters of A-Z a-z 0-9 _ . : { } -',
    description:
      'prefix of the report stream and counters, and of the heartbeats read (`<prefix>:heartbeat`, as @redpool/pool writes them)',
    parse: pattern(/^[A-Za-z0-9_.:{}-]{1,64}$/),
  },
  {
    name: 'BULLMQ_PREFIX',
    field: 'bullmqPrefix',
    allowed: '1-64 characters of A-Z a-z 0-9 _ . : { } - (use a {hash tag} on Redis Cluster)',
    description: 'BullMQ key prefix; every producer must use the same one',
    parse: pattern(/^[A-Za-z0-9_.:{}-]{1,64}$/),
  },
  {
    name: 'LOG_LEVEL',
    field: 'logLevel',
    allowed: `one of ${LOG_LEVELS.join(', ')}`,
    description: 'pino log level',
    parse: oneOf(LOG_LEVELS),
  },
  {
    name: 'REALTIME_KEY_PREFIX',
    field: 'realtimeKeyPrefix',
    allowed: '1-64 characters of A-Z a-z 0-9 _ . : -',
    description:
      "the ws-server's key prefix: notifications are published through its publish API (@redpool/realtime)",
    parse: pattern(/^[A-Za-z0-9_.:-]{1,64}$/),
  },
  {
    name: 'REALTIME_ADAPTER_PREFIX',
    field: 'realtimeAdapterPrefix',
    allowed: '1-64 characters of A-Z a-z 0-9 _ . : -',
    description: "the ws-server's Socket.IO redis-adapter channel prefix",
    parse: pattern(/^[A-Za-z0-9_.:-]{1,64}$/),
  },
  {
    name: 'REALTIME_NAMESPACE',
    field: 'realtimeNamespace',
    allowed: '"/" or "/name" with letters, digits, _ and -',
    description: 'the Socket.IO namespace clients connect to',
    parse: pattern(/^\/[A-Za-z0-9_-]*$/),
  },
  {
    name: 'REALTIME_CHANNELS',
    field: 'realtimeChannels',
    allowed: 'comma-separated pattern=capacity:ttl, e.g. chat.*=2000:10s,notifications.*=500:24h',
    description:
      "the ws-server's channel rules (history capacity and expiry per channel pattern); must match the ws-server's",
    parse: (raw) => (ChannelRules.parse(raw, DEFAULT_CHANNEL_FALLBACK_SPEC) ? raw : undefined),
  },
  {
    name: 'REALTIME_CHANNEL_FALLBACK',
    field: 'realtimeChannelFallback',
    allowed: 'capacity:ttl, e.g. 100:60s',
    description: "history bounds of channels no rule matches; must match the ws-server's",
    parse: (raw) => (ChannelRules.parse('', raw) ? raw : undefined),
  },
  {
    name: 'REALTIME_FANOUT',
    field: 'realtimeFanout',
    allowed: 'auto, classic or sharded',
    description:
      "which redis-adapter carries messages (auto: sharded pub/sub on Redis 7+, classic before); must match the ws-server's",
    parse: oneOf(['auto', 'classic', 'sharded']),
  },
  {
    name: 'REALTIME_META_TTL',
    field: 'realtimeMetaTtlMs',
    allowed: 'a duration (10s, 24h, 7d) from the longest channel ttl to 365d',
    description: "how long a channel's epoch and offset outlive its last message; must match the ws-server's",
    defaultText: '7d',
    parse: (raw) => {
      const ms = parseDuration(raw, 'REALTIME_META_TTL');
      return ms <= MAX_META_TTL_MS ? ms : undefined;
    },
  },
];

/**
 * Reads and validates the worker's configuration. Unset or empty variables take their default;
 * a bad value throws {@link InvalidConfigError} naming the variable and the allowed range.
 * @example
 * const config = loadConfig(process.env);
 */
export function loadConfig(env: Environment = process.env): WorkerConfig {
  const config = readEnvironment(env, CONFIG_VARIABLES, {
    defaults: DEFAULT_WORKER_CONFIG,
    invalidValue: InvalidConfigError,
  });
  return validateConfig(config);
}

/** The channel rules of a configuration (the ws-server's `REALTIME_CHANNELS`). */
export function channelRules(
  config: Pick<WorkerConfig, 'realtimeChannels' | 'realtimeChannelFallback'>,
): ChannelRules {
  return ChannelRules.parse(
    config.realtimeChannels,
    config.realtimeChannelFallback,
    'REALTIME_CHANNELS',
    'REALTIME_CHANNEL_FALLBACK',
  );
}

/**
 * Checks the relations between settings (also for configurations built in code).
 * @throws InvalidConfigError naming the variable to change.
 */
export function validateConfig(config: WorkerConfig): WorkerConfig {
  const longest = channelRules(config).maxTtlMs;
  if (config.realtimeMetaTtlMs < longest) {
    throw new InvalidConfigError(
      'REALTIME_META_TTL',
      `${config.realtimeMetaTtlMs}ms`,
      `at least the longest channel ttl (${longest}ms)`,
    );
  }
  return config;
}

/** The configuration with defaults filled in, for tests and embedding. */
export function resolveConfig(overrides: Partial<WorkerConfig> = {}): WorkerConfig {
  return validateConfig({ ...DEFAULT_WORKER_CONFIG, ...overrides });
}
