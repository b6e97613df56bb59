import { boolean, type EnvVariable, integer, LOG_LEVELS, oneOf, pattern, redisUrl } from '@redpool/config';
import { redactUrl } from '@redpool/pool';
import {
  ChannelRules,
  DEFAULT_CHANNEL_FALLBACK_SPEC,
  MAX_META_TTL_MS,
  parseDuration,
} from '@redpool/realtime';
import { JWT_ALGORITHMS, type JwtAlgorithm } from '../auth/token-key.js';
import type { WsConfig } from './config.js';

/** One environment variable the ws-server reads: its name, field, allowed values, parser and docs. */
export type ConfigVariable = EnvVariable<WsConfig> & {
  /** Shared with the worker and every other publisher: must have the same value everywhere. */
  readonly shared?: boolean;
};

const PREFIX = /^[A-Za-z0-9_.:-]{1,64}$/;
const HOST = /^[A-Za-z0-9.:[\]-]{1,255}$/;

/** Every variable the ws-server reads, in the order of docs/configuration.md. */
export const CONFIG_VARIABLES: readonly ConfigVariable[] = [
  {
    name: 'WS_HOST',
    field: 'host',
    allowed: 'an IPv4/IPv6 address or host name',
    description:
      'interface to listen on; the default accepts only this machine: set 0.0.0.0 (or ::) to accept clients from the network',
    parse: pattern(HOST),
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
    name: 'WS_JWT_MAX_AGE_SECONDS',
    field: 'jwtMaxAgeSeconds',
    allowed: 'an integer from 60 to 31536000',
    description:
      'lifetime of a token without `exp`, counted from its `iat` (a token with neither is refused); its connection is closed when it runs out',
    parse: integer(60, 31_536_000),
  },
  {
    name: 'WS_JWT_ALGORITHMS',
    field: 'jwtAlgorithms',
    allowed: `comma-separated, of ${JWT_ALGORITHMS.join(', ')}; HMAC ones only with WS_JWT_SECRET, the others only with a public key or JWKS`,
    description: 'the `alg`s a token may be signed with',
    defaultText: 'HS256 with WS_JWT_SECRET; RS256,ES256 with a public key or JWKS',
    parse: (raw) => {
      const list = raw.split(',').map((s) => s.trim());
      return list.every((alg) => (JWT_ALGORITHMS as readonly string[]).includes(alg))
        ? (list as JwtAlgorithm[])
        : undefined;
    },
  },
  {
    name: 'WS_JWT_PUBLIC_KEY',
    field: 'jwtPublicKey',
    allowed: 'a PEM public key or certificate (RSA, EC or Ed25519); `\\n` stands for a line break',
    description:
      'verify tokens with this public key instead of WS_JWT_SECRET (at most one of WS_JWT_PUBLIC_KEY, WS_JWT_PUBLIC_KEY_FILE, WS_JWT_JWKS_URL)',
    defaultText: '(empty)',
    parse: (raw) => (raw.includes('-----BEGIN') ? raw : undefined),
  },
  {
    name: 'WS_JWT_PUBLIC_KEY_FILE',
    field: 'jwtPublicKeyFile',
    allowed: 'a path to a readable PEM file',
    description: 'verify tokens with the public key in this file (read once at start-up)',
    defaultText: '(empty)',
    parse: (raw) => raw,
  },
  {
    name: 'WS_JWT_JWKS_URL',
    field: 'jwtJwksUrl',
    allowed: 'an https:// (or http://) URL of a JSON Web Key Set',
    description:
      "verify tokens with the identity provider's keys, picked by the token's `kid` (fetched on demand with a 5 s deadline, cached 10 min, refetched for an unknown `kid` at most every 30 s)",
    defaultText: '(empty)',
    parse: (raw) => (/^https?:\/\//.test(raw) && URL.canParse(raw) ? raw : undefined),
  },
  {
    name: 'WS_DEV_ENDPOINTS',
    field: 'devEndpoints',
    allowed: 'true or false',
    description:
      'serve /dev/token (mints tokens for any user) and /dev/notify, which the demo page uses, to loopback callers only; refused when NODE_ENV=production or with a public key',
    defaultText: 'true (false in production or with a public key)',
    parse: boolean,
  },
  {
    name: 'WS_ADMIN_PORT',
    field: 'adminPort',
    allowed: 'an integer from 0 to 65535 (0 picks a free port), other than WS_PORT',
    description:
      'serve the operations endpoints (/metrics, /stats, /drain, and /healthz, /readyz) on this separate port; WS_PORT then answers 404 for /metrics, /stats and /drain',
    defaultText: '(empty: no operations listener)',
    parse: integer(0, 65_535),
  },
  {
    name: 'WS_ADMIN_HOST',
    field: 'adminHost',
    allowed: 'an IPv4/IPv6 address or host name',
    description:
      'interface of the operations listener; set 0.0.0.0 for a Prometheus on another host (and WS_ADMIN_TOKEN, or a network policy)',
    parse: pattern(HOST),
  },
  {
    name: 'WS_ADMIN_TOKEN',
    field: 'adminToken',
    allowed: 'at least 32 characters',
    description:
      'require `Authorization: Bearer <token>` on /metrics, /stats and /drain (compared in constant time); without it and without WS_ADMIN_PORT they answer loopback callers only',
    defaultText: '(empty)',
    redact: () => '***',
    parse: (raw) => (raw.length >= 32 ? raw : undefined),
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
