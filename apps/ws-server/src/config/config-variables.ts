import {
  boolean,
  type EnvVariable,
  integer,
  LOG_LEVEL_VARIABLE,
  pattern,
  REDIS_CONNECTION_VARIABLES,
  redisUrl,
} from '@redpool/config';
import { redactUrl } from '@redpool/pool';
import { REALTIME_VARIABLES } from '@redpool/realtime';
import { JWT_ALGORITHMS, type JwtAlgorithm } from '../auth/token-key.js';
import type { WsConfig } from './config.js';

/** One environment variable the ws-server reads: its name, field, allowed values, parser and docs. */
export type ConfigVariable = EnvVariable<WsConfig>;

const HOST = /^[A-Za-z0-9.:[\]-]{1,255}$/;

/**
 * Every variable the ws-server reads: its own, in the order of docs/configuration.md ("ws-server"),
 * with the Redis connection and `REALTIME_*` variables both apps share ("both apps").
 */
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
  ...REDIS_CONNECTION_VARIABLES,
  {
    name: 'WS_REDIS_MAX_CONNECTIONS',
    field: 'redisMaxConnections',
    allowed: 'an integer from 4 to 10000',
    description:
      "connection budget of the server's pool: the shared lane plus the adapter's publish and subscribe connections",
    parse: integer(4, 10_000),
  },
  {
    name: 'WS_MEMBERSHIP_URL',
    field: 'membershipUrl',
    allowed: 'an http:// or https:// URL, or empty',
    description:
      'chat membership source of the backend: GET <url>?user=<id>&room=<room> answers {"member": true} or {"member": false}; answers are cached on REDIS_CACHE_URL (empty: the token\'s `rooms` claim decides)',
    defaultText: '(empty)',
    parse: (raw) => {
      const { protocol } = new URL(raw);
      return protocol === 'http:' || protocol === 'https:' ? raw : undefined;
    },
  },
  {
    name: 'WS_MEMBERSHIP_CACHE_TTL_SECONDS',
    field: 'membershipCacheTtlSeconds',
    allowed: 'an integer from 1 to 86400',
    description: 'how long a membership answer is cached; a removed member may keep access this long',
    parse: integer(1, 86_400),
  },
  {
    name: 'WS_MEMBERSHIP_TIMEOUT_MS',
    field: 'membershipTimeoutMs',
    allowed: 'an integer from 100 to 4000',
    description:
      'deadline of one membership lookup; past it the request fails with WS_ERR_INTERNAL (try again), never admitted',
    parse: integer(100, 4_000),
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
  LOG_LEVEL_VARIABLE,
  ...REALTIME_VARIABLES,
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
