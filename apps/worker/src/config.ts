import {
  checkRedisConnection,
  DEFAULT_REDIS_CONNECTION_SETTINGS,
  type Environment,
  type EnvVariable,
  integer,
  LOG_LEVEL_VARIABLE,
  pattern,
  REDIS_CONNECTION_VARIABLES,
  type RedisConnectionSettings,
  readEnvironment,
  redisUrl,
} from '@redpool/config';
import { redactUrl } from '@redpool/pool';
import {
  type ChannelRules,
  checkRealtimeSettings,
  DEFAULT_REALTIME_SETTINGS,
  REALTIME_VARIABLES,
  type RealtimeSettings,
  settingsChannelRules,
} from '@redpool/realtime';
import type { LevelWithSilent } from 'pino';
import { InvalidConfigError } from './errors.js';

/** The worker's configuration, read from the environment once at start-up by {@link loadConfig}. */
export interface WorkerConfig extends RedisConnectionSettings {
  /** Connection budget of the worker's pool (BullMQ's connections included). @defaultValue 20 */
  redisMaxConnections: number;
  /**
   * Interface of the operations HTTP server (/healthz, /readyz, /metrics): loopback unless set, so
   * the metrics are not exposed to the network by default. @defaultValue '127.0.0.1'
   */
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
  /**
   * The channel streams' settings (`REALTIME_*`), the same as the ws-server's: notifications are
   * published into them. @defaultValue DEFAULT_REALTIME_SETTINGS
   */
  realtime: RealtimeSettings;
}

export const DEFAULT_WORKER_CONFIG: Readonly<WorkerConfig> = Object.freeze({
  ...DEFAULT_REDIS_CONNECTION_SETTINGS,
  redisMaxConnections: 20,
  httpHost: '127.0.0.1',
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
  realtime: DEFAULT_REALTIME_SETTINGS,
});

/** One environment variable: where it goes, what it allows, what it means (used by docs tests too). */
export type ConfigVariable = EnvVariable<WorkerConfig>;

/**
 * Every variable of the worker's configuration: its own, in the order of docs/configuration.md
 * ("worker"), with the Redis connection variables both apps share ("both apps"). The `REALTIME_*`
 * variables, shared too, are read into `realtime` from `REALTIME_VARIABLES` of `@redpool/realtime`.
 */
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
    description:
      'interface of the operations server (/healthz, /readyz, /metrics); set 0.0.0.0 for a Prometheus or probes on another host',
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
  LOG_LEVEL_VARIABLE,
  ...REDIS_CONNECTION_VARIABLES,
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
  const realtime = readEnvironment(env, REALTIME_VARIABLES, {
    defaults: DEFAULT_REALTIME_SETTINGS,
    invalidValue: InvalidConfigError,
  });
  return validateConfig({ ...config, realtime });
}

/** The channel rules of a configuration (the ws-server's `REALTIME_CHANNELS`). */
export function channelRules(config: Pick<WorkerConfig, 'realtime'>): ChannelRules {
  return settingsChannelRules(config.realtime);
}

/**
 * Checks the relations between settings (also for configurations built in code).
 * @throws InvalidConfigError naming the variable to change.
 */
export function validateConfig(config: WorkerConfig): WorkerConfig {
  checkRedisConnection(config, InvalidConfigError);
  checkRealtimeSettings(config.realtime, InvalidConfigError);
  return config;
}

/** The configuration with defaults filled in, for tests and embedding. */
export function resolveConfig(overrides: Partial<WorkerConfig> = {}): WorkerConfig {
  return validateConfig({ ...DEFAULT_WORKER_CONFIG, ...overrides });
}
