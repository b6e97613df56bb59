import { hostname } from 'node:os';
import {
  boolean,
  type Environment,
  type EnvVariable,
  formatDefault,
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

/** The ws-server's configuration, read from the environment once at start-up by {@link loadConfig}. */
export interface WsConfig {
  /** Interface to listen on. @defaultValue '0.0.0.0' */
  host: string;
  /** Port of Socket.IO, the page and the operations endpoints; 0 picks a free one. @defaultValue 3000 */
  port: number;
  /** Redis for history, fan-out and the adapter (noeviction). @defaultValue 'redis://127.0.0.1:6379' */
  redisUrl: string;
  /** Redis Cluster seed nodes (`host:port,…`); when set, `redisUrl` only supplies credentials/TLS. @defaultValue [] */
  redisClusterNodes: string[];
  /** Connection budget of the server's pool (shared lane, adapter pub and sub included). @defaultValue 10 */
  redisMaxConnections: number;
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
  /** Channel rules `pattern=capacity:ttl,…`, shared with every publisher. @defaultValue DEFAULT_CHANNEL_RULES_SPEC */
  channels: string;
  /** History bounds `capacity:ttl` of channels no rule matches. @defaultValue DEFAULT_CHANNEL_FALLBACK_SPEC */
  channelFallback: string;
  /** Prefix of every Redis key. @defaultValue 'redpool:ws' */
  keyPrefix: string;
  /** The redis-adapter's channel prefix. @defaultValue 'socket.io' */
  adapterPrefix: string;
  /** The Socket.IO namespace clients connect to. @defaultValue '/' */
  namespace: string;
  /** `auto` (sharded adapter on Redis 7+ and Cluster 7+, classic before), `classic` or `sharded`. @defaultValue 'auto' */
  fanout: 'auto' | FanoutMode;
  /** How long a channel's epoch and offset outlive its last activity, ms. @defaultValue 604800000 (7 days) */
  metaTtlMs: number;
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
  redisUrl: 'redis://127.0.0.1:6379',
  redisClusterNodes: [],
  redisMaxConnections: 10,
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
  channels: DEFAULT_CHANNEL_RULES_SPEC,
  channelFallback: DEFAULT_CHANNEL_FALLBACK_SPEC,
  keyPrefix: DEFAULT_PUBLISHER_OPTIONS.keyPrefix,
  adapterPrefix: DEFAULT_PUBLISHER_OPTIONS.adapterPrefix,
  namespace: DEFAULT_PUBLISHER_OPTIONS.namespace,
  fanout: 'auto',
  metaTtlMs: DEFAULT_PUBLISHER_OPTIONS.metaTtlMs,
  drainGraceSeconds: 30,
  drainBatchSize: 100,
  drainBatchIntervalMs: 100,
  pingIntervalMs: 25_000,
  pingTimeoutMs: 20_000,
  tcpKeepAliveMs: 30_000,
  workers: 0,
  workerReadyTimeoutMs: 30_000,
});

/** One environment variable: where it goes, what it allows, what it means (docs/configuration.md lists them all). */
export type ConfigVariable = EnvVariable<WsConfig> & {
  /** Shared with the worker and every other publisher: must have the same value everywhere. */
  readonly shared?: boolean;
};

const PREFIX = /^[A-Za-z0-9_.:-]{1,64}$/;

/** Every variable the ws-server reads, in the order of docs/configuration.md. */
export const CONFIG_VARIABLES: readonly ConfigVariable[] = [
  {
    name: 'WS_HOST',
    field: 'host',
    allowed: 'an IPv4/IPv6 address or host name',
    description: 'interface to listen on (Socket.IO, the page and the operations endpoints share one port)',
    parse: pattern(/^[A-Za-z0-9.:[\]-]{1,255}$/),
  },
  {
    name: 'WS_PORT',
    field: 'port',
    allowed: 'an integer from 0 to 65535 (0 picks a free port)',
    description: 'port to listen on',
    parse: integer(0, 65_535),
  },
  {
    name: 'REDIS_URL',
    field: 'redisUrl',
    allowed: 'a redis:// or rediss:// URL',
    description: 'Redis for channel history, fan-out and the Socket.IO adapter (maxmemory-policy noeviction)',
    redact: redactUrl,
    parse: redisUrl,
  },
  {
    name: 'WS_REDIS_CLUSTER_NODES',
    field: 'redisClusterNodes',
    allowed: 'comma-separated host:port seed nodes',
    description:
      'use Redis Cluster with these seed nodes; REDIS_URL then only supplies user, password and TLS (empty: one Redis at REDIS_URL)',
    defaultText: '(empty)',
    parse: (raw) => {
      const nodes = raw.split(',').map((s) => s.trim());
      return nodes.every((n) => /^[A-Za-z0-9.[\]:-]+:\d{1,5}$/.test(n)) ? nodes : undefined;
    },
  },
  {
    name: 'WS_REDIS_MAX_CONNECTIONS',
    field: 'redisMaxConnections',
    allowed: 'an integer from 4 to 10000',
    description:
      "connection budget of the server's pool: the shared lane plus the adapter's publish and subscribe connections",
    parse: integer(4, 10_000),
  },
  {
    name: 'WS_JWT_SECRET',
    field: 'jwtSecret',
    allowed: 'at least 32 characters',
    description:
      'HMAC-SHA256 secret that signs client tokens (`auth.token` in the handshake); required when NODE_ENV=production (the development default is refused there)',
    defaultText: '(development secret)',
    redact: () => '***',
    parse: (raw) => (raw.length >= 32 ? raw : undefined),
  },
  {
    name: 'WS_JWT_ISSUER',
    field: 'jwtIssuer',
    allowed: 'any text',
    description: 'if set, tokens must carry this `iss` (empty: not checked)',
    defaultText: '(empty)',
    parse: (raw) => raw,
  },
  {
    name: 'WS_JWT_AUDIENCE',
    field: 'jwtAudience',
    allowed: 'any text',
    description: 'if set, tokens must carry this `aud` or list it (empty: not checked)',
    defaultText: '(empty)',
    parse: (raw) => raw,
  },
  {
    name: 'WS_JWT_CLOCK_TOLERANCE_SECONDS',
    field: 'jwtClockToleranceSeconds',
    allowed: 'an integer from 0 to 300',
    description: 'clock skew tolerated when checking `exp` and `nbf`',
    parse: integer(0, 300),
  },
  {
    name: 'WS_DEV_ENDPOINTS',
    field: 'devEndpoints',
    allowed: 'true or false',
    description:
      'serve /dev/token (mints tokens for any user) and /dev/notify, which the demo page uses; refused when NODE_ENV=production',
    defaultText: 'true (false in production)',
    parse: boolean,
  },
  {
    name: 'WS_MAX_PAYLOAD_BYTES',
    field: 'maxPayloadBytes',
    allowed: 'an integer from 1 to 16777216',
    description: 'largest message payload (`data` as UTF-8 JSON); larger ones get WS_ERR_PAYLOAD_TOO_LARGE',
    parse: integer(1, 16_777_216),
  },
  {
    name: 'WS_MAX_FRAME_BYTES',
    field: 'maxFrameBytes',
    allowed: 'an integer from 1024 to 104857600, larger than WS_MAX_PAYLOAD_BYTES',
    description:
      'largest Engine.IO frame (maxHttpBufferSize): a bigger frame closes the connection instead of reaching the server',
    parse: integer(1024, 104_857_600),
  },
  {
    name: 'WS_RATE_LIMIT_PER_SECOND',
    field: 'rateLimitPerSecond',
    allowed: 'an integer from 1 to 100000',
    description: 'events per second one connection may send (token bucket refill rate)',
    parse: integer(1, 100_000),
  },
  {
    name: 'WS_RATE_LIMIT_BURST',
    field: 'rateLimitBurst',
    allowed: 'an integer from 1 to 100000',
    description: 'events one connection may send at once (token bucket size)',
    parse: integer(1, 100_000),
  },
  {
    name: 'WS_MAX_SUBSCRIPTIONS',
    field: 'maxSubscriptions',
    allowed: 'an integer from 1 to 100000',
    description: 'channels one connection may be subscribed to',
    parse: integer(1, 100_000),
  },
  {
    name: 'WS_OUTBOUND_BUFFER_BYTES',
    field: 'outboundBufferBytes',
    allowed: 'an integer from 1024 to 1073741824',
    description:
      'bytes waiting to be sent to one connection before it is disconnected as a slow consumer (it recovers on reconnect)',
    parse: integer(1024, 1_073_741_824),
  },
  {
    name: 'WS_RECOVERY_MAX_MESSAGES',
    field: 'recoveryMaxMessages',
    allowed: 'an integer from 0 to 1000000 (0: up to the channel capacity)',
    description: 'most messages one recovery returns; a client that missed more gets recovered: false',
    parse: integer(0, 1_000_000),
  },
  {
    name: 'WS_INSTANCE_ID',
    field: 'instanceId',
    allowed: '1-128 characters of A-Z a-z 0-9 _ . : -',
    description: 'name of this instance in logs, /stats and metrics',
    defaultText: '<hostname>-<pid>',
    parse: pattern(/^[A-Za-z0-9_.:-]{1,128}$/),
  },
  {
    name: 'LOG_LEVEL',
    field: 'logLevel',
    allowed: `one of ${LOG_LEVELS.join(', ')}`,
    description: 'pino log level',
    parse: oneOf(LOG_LEVELS),
  },
  {
    name: 'REALTIME_CHANNELS',
    field: 'channels',
    allowed: 'comma-separated pattern=capacity:ttl (capacity 1-1000000, ttl 100ms-30d), first match wins',
    description:
      'history capacity and expiry per channel pattern; every publisher (the worker) must use the same',
    shared: true,
    parse: (raw) => (ChannelRules.parse(raw, DEFAULT_CHANNEL_FALLBACK_SPEC) ? raw : undefined),
  },
  {
    name: 'REALTIME_CHANNEL_FALLBACK',
    field: 'channelFallback',
    allowed: 'capacity:ttl, e.g. 100:60s',
    description: 'history bounds of channels no pattern matches',
    shared: true,
    parse: (raw) => (ChannelRules.parse('', raw) ? raw : undefined),
  },
  {
    name: 'REALTIME_KEY_PREFIX',
    field: 'keyPrefix',
    allowed: '1-64 characters of A-Z a-z 0-9 _ . : -',
    description: 'prefix of the history keys (`<prefix>:{<channel>}:history`, `…:meta`)',
    shared: true,
    parse: pattern(PREFIX),
  },
  {
    name: 'REALTIME_ADAPTER_PREFIX',
    field: 'adapterPrefix',
    allowed: '1-64 characters of A-Z a-z 0-9 _ . : -',
    description: "the Socket.IO redis-adapter's channel prefix",
    shared: true,
    parse: pattern(PREFIX),
  },
  {
    name: 'REALTIME_NAMESPACE',
    field: 'namespace',
    allowed: '"/" or "/name" with letters, digits, _ and -',
    description: 'the Socket.IO namespace clients connect to',
    shared: true,
    parse: pattern(/^\/[A-Za-z0-9_-]*$/),
  },
  {
    name: 'REALTIME_FANOUT',
    field: 'fanout',
    allowed: 'auto, classic or sharded',
    description:
      'which redis-adapter carries messages: auto picks sharded pub/sub on Redis 7+ (standalone or Cluster), classic before',
    shared: true,
    parse: oneOf(['auto', 'classic', 'sharded']),
  },
  {
    name: 'REALTIME_META_TTL',
    field: 'metaTtlMs',
    allowed: 'a duration (10s, 24h, 7d) from the longest channel ttl to 365d',
    description:
      "how long a channel's epoch and offset outlive its last message (then offsets restart in a new epoch)",
    defaultText: '7d',
    shared: true,
    parse: (raw) => {
      const ms = parseDuration(raw, 'REALTIME_META_TTL');
      return ms <= MAX_META_TTL_MS ? ms : undefined;
    },
  },
  {
    name: 'WS_DRAIN_GRACE_SECONDS',
    field: 'drainGraceSeconds',
    allowed: 'an integer from 1 to 3600',
    description:
      'on SIGTERM/SIGINT (or a supervisor restart) clients are asked to reconnect elsewhere; whoever is still connected after this many seconds is closed, then the process exits 0. Keep terminationGracePeriodSeconds above it plus the preStop sleep',
    parse: integer(1, 3600),
  },
  {
    name: 'WS_DRAIN_BATCH_SIZE',
    field: 'drainBatchSize',
    allowed: 'an integer from 1 to 100000',
    description:
      'connections asked to reconnect per drain batch; raised as needed so that every connection is asked within half of WS_DRAIN_GRACE_SECONDS',
    parse: integer(1, 100_000),
  },
  {
    name: 'WS_DRAIN_BATCH_INTERVAL_MS',
    field: 'drainBatchIntervalMs',
    allowed: 'an integer from 10 to 60000',
    description: 'time between two drain batches, so reconnecting clients do not all arrive at once',
    parse: integer(10, 60_000),
  },
  {
    name: 'WS_PING_INTERVAL_MS',
    field: 'pingIntervalMs',
    allowed: 'an integer from 100 to 300000',
    description:
      'Engine.IO heartbeat: the server pings every client this often; a client that vanished without a FIN is closed within WS_PING_INTERVAL_MS + WS_PING_TIMEOUT_MS; proxy idle timeouts must be longer than the sum',
    parse: integer(100, 300_000),
  },
  {
    name: 'WS_PING_TIMEOUT_MS',
    field: 'pingTimeoutMs',
    allowed: 'an integer from 100 to 300000',
    description: 'Engine.IO heartbeat: how long the server waits for the pong before closing the connection',
    parse: integer(100, 300_000),
  },
  {
    name: 'WS_TCP_KEEPALIVE_MS',
    field: 'tcpKeepAliveMs',
    allowed: 'an integer from 0 to 7200000 (0: off)',
    description:
      'idle time before the kernel sends the first TCP keepalive probe on an accepted socket (then every second, 10 probes); catches dead peers below the heartbeat, e.g. idle HTTP keep-alive sockets',
    parse: integer(0, 7_200_000),
  },
  {
    name: 'WS_WORKERS',
    field: 'workers',
    allowed: 'an integer from 0 to 256',
    description:
      'run a supervisor (node:cluster primary) holding the port with this many worker processes; SIGHUP starts new workers, waits until they are ready, then drains the old ones (0: one process, no supervisor)',
    parse: integer(0, 256),
  },
  {
    name: 'WS_WORKER_READY_TIMEOUT_MS',
    field: 'workerReadyTimeoutMs',
    allowed: 'an integer from 1000 to 600000',
    description:
      'how long a supervisor restart waits for the new workers to be ready; past it the new workers are stopped and the old ones keep serving',
    parse: integer(1000, 600_000),
  },
];

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
  const rules = channelRules(config);
  if (config.maxFrameBytes <= config.maxPayloadBytes)
    throw new InvalidConfigError(
      'WS_MAX_FRAME_BYTES',
      String(config.maxFrameBytes),
      `more than WS_MAX_PAYLOAD_BYTES=${config.maxPayloadBytes}`,
    );
  if (config.metaTtlMs < rules.maxTtlMs)
    throw new InvalidConfigError(
      'REALTIME_META_TTL',
      `${config.metaTtlMs}ms`,
      `at least the longest channel ttl (${rules.maxTtlMs}ms)`,
    );
  return config;
}

/** The parsed channel rules of a configuration. */
export function channelRules(config: Pick<WsConfig, 'channels' | 'channelFallback'>): ChannelRules {
  return ChannelRules.parse(
    config.channels,
    config.channelFallback,
    'REALTIME_CHANNELS',
    'REALTIME_CHANNEL_FALLBACK',
  );
}

/** The configuration with defaults filled in, for tests and embedding. */
export function resolveConfig(overrides: Partial<WsConfig> = {}): WsConfig {
  return validateConfig({ ...DEFAULT_WS_CONFIG, ...overrides });
}

/** How a variable's default is shown in errors and docs. */
export function defaultText(variable: ConfigVariable): string {
  return formatDefault(variable, DEFAULT_WS_CONFIG);
}
