import { hostname } from 'node:os';
import {
  checkRedisConnection,
  DEFAULT_REDIS_CONNECTION_SETTINGS,
  type RedisConnectionSettings,
} from '@redpool/config';
import {
  type ChannelRules,
  checkRealtimeSettings,
  DEFAULT_REALTIME_SETTINGS,
  type RealtimeSettings,
  settingsChannelRules,
} from '@redpool/realtime';
import type { LevelWithSilent } from 'pino';
import { type JwtAlgorithm, publicKeySource, tokenKeyOf } from '../auth/token-key.js';
import { InvalidConfigError } from '../errors.js';

export type { JwtAlgorithm } from '../auth/token-key.js';

/** The ws-server's configuration, read from the environment once at start-up by {@link loadConfig}. */
export interface WsConfig extends RedisConnectionSettings, RealtimeSettings {
  /** Interface to listen on; set `0.0.0.0` (or `::`) to accept clients from the network. @defaultValue '127.0.0.1' */
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
  /** Lifetime of a token without `exp`, counted from its `iat`, in seconds. @defaultValue 86400 */
  jwtMaxAgeSeconds: number;
  /** Accepted `alg`s; empty: HS256 with the secret, RS256 and ES256 with a public key or JWKS. @defaultValue [] */
  jwtAlgorithms: JwtAlgorithm[];
  /** PEM public key (SPKI or certificate) that verifies tokens instead of the secret. @defaultValue '' */
  jwtPublicKey: string;
  /** File holding that PEM public key. @defaultValue '' */
  jwtPublicKeyFile: string;
  /** JSON Web Key Set URL whose keys verify tokens instead of the secret. @defaultValue '' */
  jwtJwksUrl: string;
  /** Serve `/dev/token` and `/dev/notify` (the demo page needs them). Never in production. @defaultValue NODE_ENV !== 'production' */
  devEndpoints: boolean;
  /** Port of the operations listener (`/metrics`, `/stats`, `/drain`, probes); null: none. @defaultValue null */
  adminPort: number | null;
  /** Interface of the operations listener. @defaultValue '127.0.0.1' */
  adminHost: string;
  /** Bearer token the operations endpoints require; empty: none (loopback only, or the operations listener). @defaultValue '' */
  adminToken: string;
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
  host: '127.0.0.1',
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
  jwtMaxAgeSeconds: 86_400,
  jwtAlgorithms: [],
  jwtPublicKey: '',
  jwtPublicKeyFile: '',
  jwtJwksUrl: '',
  devEndpoints: true,
  adminPort: null,
  adminHost: '127.0.0.1',
  adminToken: '',
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
  // Exactly one key source, algorithms that fit it, a readable public key: checked now, not at the first client.
  tokenKeyOf(config, DEV_JWT_SECRET);
  if (config.devEndpoints && publicKeySource(config))
    throw new InvalidConfigError(
      'WS_DEV_ENDPOINTS',
      'true',
      `false when tokens are verified with ${publicKeySource(config)} (/dev/token signs with WS_JWT_SECRET)`,
    );
  if (config.adminPort !== null && config.adminPort !== 0 && config.adminPort === config.port)
    throw new InvalidConfigError('WS_ADMIN_PORT', String(config.adminPort), `a port other than WS_PORT`);
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
