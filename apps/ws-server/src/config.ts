import { hostname } from 'node:os';
import {
  checkRedisConnection,
  DEFAULT_REDIS_CONNECTION_SETTINGS,
  type Environment,
  formatDefault,
  type RedisConnectionSettings,
  readEnvironment,
} from '@redpool/config';
import {
  type ChannelRules,
  checkRealtimeSettings,
  DEFAULT_REALTIME_SETTINGS,
  type RealtimeSettings,
  settingsChannelRules,
} from '@redpool/realtime';
import type { LevelWithSilent } from 'pino';
import { CONFIG_VARIABLES, type ConfigVariable } from './config-variables.js';
import { InvalidConfigError } from './errors.js';

export { CONFIG_VARIABLES, type ConfigVariable } from './config-variables.js';

/** The ws-server's configuration, read from the environment once at start-up by {@link loadConfig}. */
export interface WsConfig extends RedisConnectionSettings, RealtimeSettings {
  /** Interface to listen on. @defaultValue '0.0.0.0' */
  host: string;
  /** Port of Socket.IO, the page and the operations endpoints; 0 picks a free one. @defaultValue 3000 */
  port: number;
  /** Connection budget of the server's pool (shared lane, adapter pub and sub included). @defaultValue 10 */
  redisMaxConnections: number;
  /** The backend's chat membership source (HTTP); empty: the token's `rooms` claim decides. @defaultValue '' */
  membershipUrl: string;
  /** How long a membership answer is cached on the cache Redis, s. @defaultValue 30 */
  membershipCacheTtlSeconds: number;
  /** Deadline of one membership lookup, ms. @defaultValue 2000 */
  membershipTimeoutMs: number;
  /** HMAC-SHA256 secret of client tokens. Required when NODE_ENV=production. @defaultValue a development secret */
  jwtSecret: string;
  /** Required `iss` claim, if set. @defaultValue '' */
  jwtIssuer: string;
  /** Required `aud` claim, if set. @defaultValue '' */
  jwtAudience: string;
  /** Clock skew tolerated on `exp`/`nbf`, in seconds. @defaultValue 5 */
  jwtClockToleranceSeconds: number;
  /** Serve `/dev/token` and `/dev/notify` (the demo page needs them). Never in production. @defaultValue NODE_ENV !== 'production' */
  devEndpoints: boolean;
  /** Largest message payload (`data`, as UTF-8 JSON). @defaultValue 65536 */
  maxPayloadBytes: number;
  /** Largest Engine.IO frame (`maxHttpBufferSize`); bigger frames close the connection. @defaultValue 1048576 */
  maxFrameBytes: number;
  /** Events per second a connection may send (token bucket refill). @defaultValue 20 */
  rateLimitPerSecond: number;
  /** Events a connection may send at once (token bucket size). @defaultValue 40 */
  rateLimitBurst: number;
  /** Channels one connection may subscribe to. @defaultValue 128 */
  maxSubscriptions: number;
  /** Bytes queued for one connection before it is disconnected as a slow consumer. @defaultValue 1048576 */
  outboundBufferBytes: number;
  /** Most messages one recovery returns; 0 means up to the channel's capacity. @defaultValue 0 */
  recoveryMaxMessages: number;
  /** Identifies this instance in logs, `/stats` and metrics. @defaultValue '<hostname>-<pid>' */
  instanceId: string;
  /** pino log level. @defaultValue 'info' */
  logLevel: LevelWithSilent;
  /** How long a drain (SIGTERM, SIGINT, a supervisor restart) may take before the rest are closed, s. @defaultValue 30 */
  drainGraceSeconds: number;
  /** Connections asked to reconnect elsewhere per drain batch (raised so that all are asked within half the grace period). @defaultValue 100 */
  drainBatchSize: number;
  /** Time between two drain batches, ms. @defaultValue 100 */
  drainBatchIntervalMs: number;
  /** Engine.IO heartbeat: the server pings every interval, ms. @defaultValue 25000 */
  pingIntervalMs: number;
  /** Engine.IO heartbeat: a client that has not answered a ping within this is closed, ms. @defaultValue 20000 */
  pingTimeoutMs: number;
  /** Idle time before the first TCP keepalive probe on accepted sockets, ms; 0 turns keepalive off. @defaultValue 30000 */
  tcpKeepAliveMs: number;
  /** Worker processes behind a supervisor that holds the port (SIGHUP restarts them); 0 runs one process. @defaultValue 0 */
  workers: number;
  /** How long a supervisor restart waits for the new workers to be ready before giving up, ms. @defaultValue 30000 */
  workerReadyTimeoutMs: number;
}

/** The secret used when WS_JWT_SECRET is unset outside production; never use it in production. */
export const DEV_JWT_SECRET = 'redpool-development-secret-do-not-use-in-production';

export const DEFAULT_WS_CONFIG: Readonly<WsConfig> = Object.freeze({
  host: '0.0.0.0',
  port: 3000,
  ...DEFAULT_REDIS_CONNECTION_SETTINGS,
  redisMaxConnections: 10,
  membershipUrl: '',
  membershipCacheTtlSeconds: 30,
  membershipTimeoutMs: 2_000,
  jwtSecret: DEV_JWT_SECRET,
  jwtIssuer: '',
  jwtAudience: '',
  jwtClockToleranceSeconds: 5,
  devEndpoints: true,
  maxPayloadBytes: 65_536,
  maxFrameBytes: 1_048_576,
  rateLimitPerSecond: 20,
  rateLimitBurst: 40,
  maxSubscriptions: 128,
  outboundBufferBytes: 1_048_576,
  recoveryMaxMessages: 0,
  instanceId: `${hostname()}-${process.pid}`,
  logLevel: 'info',
  ...DEFAULT_REALTIME_SETTINGS,
  drainGraceSeconds: 30,
  drainBatchSize: 100,
  drainBatchIntervalMs: 100,
  pingIntervalMs: 25_000,
  pingTimeoutMs: 20_000,
  tcpKeepAliveMs: 30_000,
  workers: 0,
  workerReadyTimeoutMs: 30_000,
});

/**
 * Reads and validates the configuration, in one place. Unset or empty variables take their
 * default; a bad value throws {@link InvalidConfigError} naming the variable and the allowed range.
 * @example
 * const config = loadConfig(process.env);
 */
export function loadConfig(env: Environment = process.env): WsConfig {
  const production = env.NODE_ENV === 'production';
  const config = readEnvironment(env, CONFIG_VARIABLES, {
    // Development endpoints are off by default in production; WS_DEV_ENDPOINTS's defaultText says both.
    defaults: { ...DEFAULT_WS_CONFIG, devEndpoints: !production },
    invalidValue: InvalidConfigError,
  });
  if (production && config.jwtSecret === DEV_JWT_SECRET)
    throw new InvalidConfigError(
      'WS_JWT_SECRET',
      '',
      'at least 32 characters; required when NODE_ENV=production',
    );
  if (production && config.devEndpoints)
    throw new InvalidConfigError('WS_DEV_ENDPOINTS', 'true', 'false when NODE_ENV=production');
  return validateConfig(config);
}

/**
 * Checks the relations between settings (also for configurations built in code).
 * @throws InvalidConfigError naming the variable to change.
 */
export function validateConfig(config: WsConfig): WsConfig {
  checkRedisConnection(config, InvalidConfigError);
  checkRealtimeSettings(config, InvalidConfigError);
  if (config.maxFrameBytes <= config.maxPayloadBytes)
    throw new InvalidConfigError(
      'WS_MAX_FRAME_BYTES',
      String(config.maxFrameBytes),
      `more than WS_MAX_PAYLOAD_BYTES=${config.maxPayloadBytes}`,
    );
  return config;
}

/** The parsed channel rules of a configuration. */
export function channelRules(config: Pick<WsConfig, 'channels' | 'channelFallback'>): ChannelRules {
  return settingsChannelRules(config);
}

/** The configuration with defaults filled in, for tests and embedding. */
export function resolveConfig(overrides: Partial<WsConfig> = {}): WsConfig {
  return validateConfig({ ...DEFAULT_WS_CONFIG, ...overrides });
}

/** How a variable's default is shown in errors and docs. */
export function defaultText(variable: ConfigVariable): string {
  return formatDefault(variable, DEFAULT_WS_CONFIG);
}
