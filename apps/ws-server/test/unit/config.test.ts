import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { REDIS_CONNECTION_VARIABLES } from '@redpool/config';
import { REALTIME_VARIABLES } from '@redpool/realtime';
import { DEFAULT_WS_CONFIG, DEV_JWT_SECRET, resolveConfig } from '../../src/config/config.js';
import { CONFIG_VARIABLES } from '../../src/config/config-variables.js';
import { defaultText, loadConfig } from '../../src/config/load-config.js';
import { InvalidConfigError } from '../../src/errors.js';

const docs = readFileSync(new URL('../../../../docs/configuration.md', import.meta.url), 'utf8');
/** The "## ws-server" section of docs/configuration.md (up to the next "## "). */
const section = docs.slice(docs.indexOf('## ws-server')).split(/\n## (?!ws-server)/)[0] ?? '';
const rows = section
  .split('\n')
  .filter((line) => line.startsWith('|'))
  .map((line) => line.split(/(?<!\\)\|/).map((cell) => cell.trim()));

const SECRET = 'a-production-secret-of-at-least-32-chars';
const ADMIN_TOKEN = 'an-operations-token-of-at-least-32-chars';

describe('loadConfig', () => {
  test('an empty environment gives the documented defaults (development)', () => {
    expect(loadConfig({})).toEqual(DEFAULT_WS_CONFIG);
    expect(DEFAULT_WS_CONFIG).toMatchObject({ port: 3000, jwtSecret: DEV_JWT_SECRET, devEndpoints: true });
  });

  test('reads every variable', () => {
    const config = loadConfig({
      WS_HOST: '127.0.0.1',
      WS_PORT: ' 4000 ',
      REDIS_URL: 'rediss://user:pw@redis.internal:6380/2',
      REDIS_CLUSTER_NODES: '10.0.0.1:7000, 10.0.0.2:7000',
      REDIS_SENTINEL_NAME: 'core',
      REDIS_CACHE_URL: 'redis://cache.internal:6379',
      WS_REDIS_MAX_CONNECTIONS: '32',
      WS_MEMBERSHIP_URL: 'http://backend.internal/membership',
      WS_MEMBERSHIP_CACHE_TTL_SECONDS: '60',
      WS_MEMBERSHIP_TIMEOUT_MS: '500',
      WS_JWT_SECRET: SECRET,
      WS_JWT_ISSUER: 'https://auth',
      WS_JWT_AUDIENCE: 'chat',
      WS_JWT_CLOCK_TOLERANCE_SECONDS: '0',
      WS_JWT_MAX_AGE_SECONDS: '3600',
      WS_JWT_ALGORITHMS: 'HS256,HS512',
      WS_DEV_ENDPOINTS: 'false',
      WS_ADMIN_PORT: '9464',
      WS_ADMIN_HOST: '0.0.0.0',
      WS_ADMIN_TOKEN: ADMIN_TOKEN,
      WS_MAX_PAYLOAD_BYTES: '1000',
      WS_MAX_FRAME_BYTES: '2000',
      WS_RATE_LIMIT_PER_SECOND: '5',
      WS_RATE_LIMIT_BURST: '6',
      WS_MAX_SUBSCRIPTIONS: '7',
      WS_OUTBOUND_BUFFER_BYTES: '4096',
      WS_RECOVERY_MAX_MESSAGES: '300',
      WS_INSTANCE_ID: 'ws-a',
      LOG_LEVEL: 'debug',
      REALTIME_CHANNELS: 'chat.*=10:1s',
      REALTIME_CHANNEL_FALLBACK: '5:2s',
      REALTIME_KEY_PREFIX: 'app:ws',
      REALTIME_ADAPTER_PREFIX: 'app-sio',
      REALTIME_NAMESPACE: '/chat',
      REALTIME_FANOUT: 'classic',
      REALTIME_META_TTL: '1d',
      WS_DRAIN_GRACE_SECONDS: '12',
      WS_DRAIN_BATCH_SIZE: '25',
      WS_DRAIN_BATCH_INTERVAL_MS: '200',
      WS_PING_INTERVAL_MS: '1000',
      WS_PING_TIMEOUT_MS: '500',
      WS_TCP_KEEPALIVE_MS: '0',
      WS_WORKERS: '2',
      WS_WORKER_READY_TIMEOUT_MS: '5000',
      WS_UNKNOWN: 'ignored',
    });
    expect(config).toEqual({
      host: '127.0.0.1',
      port: 4000,
      redisUrl: 'rediss://user:pw@redis.internal:6380/2',
      redisClusterNodes: ['10.0.0.1:7000', '10.0.0.2:7000'],
      redisSentinels: [],
      redisSentinelName: 'core',
      redisCacheUrl: 'redis://cache.internal:6379',
      redisMaxConnections: 32,
      membershipUrl: 'http://backend.internal/membership',
      membershipCacheTtlSeconds: 60,
      membershipTimeoutMs: 500,
      jwtSecret: SECRET,
      jwtIssuer: 'https://auth',
      jwtAudience: 'chat',
      jwtClockToleranceSeconds: 0,
      jwtMaxAgeSeconds: 3600,
      jwtAlgorithms: ['HS256', 'HS512'],
      jwtPublicKey: '',
      jwtPublicKeyFile: '',
      jwtJwksUrl: '',
      devEndpoints: false,
      adminPort: 9464,
      adminHost: '0.0.0.0',
      adminToken: ADMIN_TOKEN,
      maxPayloadBytes: 1000,
      maxFrameBytes: 2000,
      rateLimitPerSecond: 5,
      rateLimitBurst: 6,
      maxSubscriptions: 7,
      outboundBufferBytes: 4096,
      recoveryMaxMessages: 300,
      instanceId: 'ws-a',
      logLevel: 'debug',
      channels: 'chat.*=10:1s',
      channelFallback: '5:2s',
      keyPrefix: 'app:ws',
      adapterPrefix: 'app-sio',
      namespace: '/chat',
      fanout: 'classic',
      metaTtlMs: 86_400_000,
      drainGraceSeconds: 12,
      drainBatchSize: 25,
      drainBatchIntervalMs: 200,
      pingIntervalMs: 1000,
      pingTimeoutMs: 500,
      tcpKeepAliveMs: 0,
      workers: 2,
      workerReadyTimeoutMs: 5000,
    });
  });

  test.each([
    {
      variable: 'WS_PORT',
      value: '70000',
      allowed: 'an integer from 0 to 65535 (0 picks a free port) (default 3000)',
    },
    { variable: 'WS_MAX_SUBSCRIPTIONS', value: '0', allowed: 'an integer from 1 to 100000 (default 128)' },
    { variable: 'WS_RATE_LIMIT_BURST', value: '1.5', allowed: 'an integer from 1 to 100000 (default 40)' },
    {
      variable: 'WS_DEV_ENDPOINTS',
      value: 'maybe',
      allowed: 'true or false (default true (false in production or with a public key))',
    },
    {
      variable: 'WS_MEMBERSHIP_URL',
      value: 'ftp://backend/members',
      allowed: 'an http:// or https:// URL, or empty (default (empty))',
    },
    {
      variable: 'WS_MEMBERSHIP_TIMEOUT_MS',
      value: '5000',
      allowed: 'an integer from 100 to 4000 (default 2000)',
    },
    // Shared variables (each package tests its own): one of each set shows they are read here too.
    { variable: 'REALTIME_FANOUT', value: 'redis', allowed: 'auto, classic or sharded (default auto)' },
    {
      variable: 'REDIS_CLUSTER_NODES',
      value: 'host-without-port',
      allowed: 'comma-separated host:port seed nodes (default (empty))',
    },
    {
      variable: 'LOG_LEVEL',
      value: 'loud',
      allowed: 'one of fatal, error, warn, info, debug, trace, silent (default info)',
    },
  ])(
    '$variable=$value is refused naming the variable and the allowed range',
    ({ variable, value, allowed }) => {
      expect(() => loadConfig({ [variable]: value })).toThrow(
        new InvalidConfigError(variable, value, allowed),
      );
      try {
        loadConfig({ [variable]: value });
      } catch (err) {
        expect(err).toBeInstanceOf(InvalidConfigError);
        expect(err).toMatchObject({ code: 'WS_ERR_INVALID_CONFIG', variable, value, allowed });
      }
    },
  );

  test('secrets are not echoed in errors', () => {
    expect(() => loadConfig({ REDIS_URL: 'http://user:hunter2@host' })).toThrow(
      'Invalid REDIS_URL="http://user:***@host"',
    );
    expect(() => loadConfig({ WS_JWT_SECRET: 'short-secret' })).toThrow('Invalid WS_JWT_SECRET="***"');
  });

  test('relations between settings are checked', () => {
    expect(() => loadConfig({ WS_MAX_PAYLOAD_BYTES: '5000', WS_MAX_FRAME_BYTES: '4096' })).toThrow(
      'Invalid WS_MAX_FRAME_BYTES="4096"; allowed: more than WS_MAX_PAYLOAD_BYTES=5000',
    );
    expect(() => loadConfig({ REALTIME_CHANNELS: 'chat.*=10:2d', REALTIME_META_TTL: '1d' })).toThrow(
      /REALTIME_META_TTL.*at least the longest channel ttl/,
    );
    expect(() => resolveConfig({ channels: 'nonsense' })).toThrow(/REALTIME_CHANNELS/);
  });

  test('Cluster and Sentinel exclude each other', () => {
    expect(() => loadConfig({ REDIS_CLUSTER_NODES: 'a:7000', REDIS_SENTINELS: 'b:26379' })).toThrow(
      'Invalid REDIS_SENTINELS="b:26379"; allowed: empty when REDIS_CLUSTER_NODES is set',
    );
  });

  test('token keys: exactly one source, algorithms that fit it, a key that parses', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({
      type: 'spki',
      format: 'pem',
    });
    const pem = rsa.toString();
    const dir = mkdtempSync(join(tmpdir(), 'ws-config-'));
    const file = join(dir, 'key.pem');
    writeFileSync(file, pem);
    const jwks = 'https://id.example/.well-known/jwks.json';
    // A public key turns the development endpoints off by default (they sign with the secret).
    expect(loadConfig({ WS_JWT_PUBLIC_KEY: pem })).toMatchObject({
      jwtPublicKey: pem.trim(),
      devEndpoints: false,
    });
    expect(loadConfig({ WS_JWT_PUBLIC_KEY_FILE: file }).jwtPublicKeyFile).toBe(file);
    expect(loadConfig({ NODE_ENV: 'production', WS_JWT_JWKS_URL: jwks }).jwtJwksUrl).toBe(jwks);
    expect(() => loadConfig({ WS_JWT_PUBLIC_KEY: pem, WS_JWT_JWKS_URL: jwks })).toThrow(
      /Invalid WS_JWT_JWKS_URL.*exactly one of WS_JWT_PUBLIC_KEY, WS_JWT_PUBLIC_KEY_FILE, WS_JWT_JWKS_URL/,
    );
    expect(() => loadConfig({ WS_JWT_SECRET: SECRET, WS_JWT_JWKS_URL: jwks })).toThrow(
      /Invalid WS_JWT_SECRET="\*\*\*".*exactly one key source/,
    );
    expect(() => loadConfig({ WS_JWT_ALGORITHMS: 'RS256' })).toThrow(/Invalid WS_JWT_ALGORITHMS="RS256"/);
    expect(() => loadConfig({ WS_JWT_JWKS_URL: jwks, WS_JWT_ALGORITHMS: 'HS256' })).toThrow(
      /Invalid WS_JWT_ALGORITHMS="HS256"/,
    );
    expect(() => loadConfig({ WS_JWT_PUBLIC_KEY: pem, WS_JWT_ALGORITHMS: 'ES256' })).toThrow(
      /Invalid WS_JWT_ALGORITHMS="ES256"; allowed: one that a rsa key/,
    );
    expect(() => loadConfig({ WS_JWT_ALGORITHMS: 'none' })).toThrow(/Invalid WS_JWT_ALGORITHMS="none"/);
    expect(() => loadConfig({ WS_JWT_PUBLIC_KEY: '-----BEGIN PUBLIC KEY-----\nnope' })).toThrow(
      /Invalid WS_JWT_PUBLIC_KEY.*a PEM public key/,
    );
    expect(() => loadConfig({ WS_JWT_PUBLIC_KEY_FILE: join(dir, 'missing.pem') })).toThrow(
      /Invalid WS_JWT_PUBLIC_KEY_FILE=.*readable file.*ENOENT/,
    );
    expect(() => loadConfig({ WS_JWT_JWKS_URL: 'ftp://id.example/jwks' })).toThrow(/Invalid WS_JWT_JWKS_URL/);
    expect(() => loadConfig({ WS_JWT_PUBLIC_KEY: pem, WS_DEV_ENDPOINTS: 'true' })).toThrow(
      /Invalid WS_DEV_ENDPOINTS="true".*WS_JWT_PUBLIC_KEY/,
    );
    expect(() => loadConfig({ WS_JWT_MAX_AGE_SECONDS: '0' })).toThrow(/Invalid WS_JWT_MAX_AGE_SECONDS/);
  });

  test('operations settings: a token of 32+ characters, never echoed; a port other than WS_PORT', () => {
    expect(() => loadConfig({ WS_ADMIN_TOKEN: 'short' })).toThrow('Invalid WS_ADMIN_TOKEN="***"');
    expect(() => loadConfig({ WS_ADMIN_PORT: '3000' })).toThrow(
      /Invalid WS_ADMIN_PORT="3000".*other than WS_PORT/,
    );
    expect(loadConfig({})).toMatchObject({ host: '127.0.0.1', adminPort: null, adminHost: '127.0.0.1' });
  });

  test('production requires a real secret and no development endpoints', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(
      /WS_JWT_SECRET.*required when NODE_ENV=production/,
    );
    expect(loadConfig({ NODE_ENV: 'production', WS_JWT_SECRET: SECRET })).toMatchObject({
      devEndpoints: false,
    });
    expect(() =>
      loadConfig({ NODE_ENV: 'production', WS_JWT_SECRET: SECRET, WS_DEV_ENDPOINTS: 'true' }),
    ).toThrow(/WS_DEV_ENDPOINTS/);
  });
});

/** The variables both apps read, documented once in "## both apps". */
const SHARED = new Set([...REDIS_CONNECTION_VARIABLES, ...REALTIME_VARIABLES].map((v) => v.name));
const OWN = CONFIG_VARIABLES.filter((v) => !SHARED.has(v.name));
const bothApps = docs.slice(docs.indexOf('## both apps')).split(/\n## (?!both apps)/)[0] ?? '';
const sharedRows = bothApps
  .split('\n')
  .filter((line) => line.startsWith('|'))
  .map((line) => line.split(/(?<!\\)\|/).map((cell) => cell.trim()));

describe('docs/configuration.md, ## both apps', () => {
  test.each(CONFIG_VARIABLES.filter((v) => SHARED.has(v.name)).map((v) => [v.name, v] as const))(
    'documents %s with its default and range',
    (name, variable) => {
      const row = sharedRows.find((cells) => cells[1] === `\`${name}\``);
      expect(row?.[2]).toBe(`\`${defaultText(variable)}\``);
      expect(row?.[3]).toBe(variable.allowed);
    },
  );

  test('the ws-server reads every variable of both apps', () => {
    expect(
      CONFIG_VARIABLES.filter((v) => SHARED.has(v.name))
        .map((v) => v.name)
        .sort(),
    ).toEqual([...SHARED].sort());
  });
});

describe('docs/configuration.md, ## ws-server', () => {
  test.each(OWN.map((v) => [v.name, v] as const))('documents %s with its default', (name, variable) => {
    const row = rows.find((cells) => cells[1] === `\`${name}\``);
    expect(row).toBeDefined();
    expect(row?.[2]).toBe(`\`${defaultText(variable)}\``);
    expect(row?.[3]).toBe(variable.allowed);
  });

  test('documents no variable the ws-server does not read', () => {
    const documented = rows.map((cells) => /^`([A-Z_]+)`$/.exec(cells[1] ?? '')?.[1]).filter(Boolean);
    expect(documented.sort()).toEqual(OWN.map((v) => v.name).sort());
  });

  test('mentions REDIS_CACHE_URL', () => {
    expect(section).toContain('REDIS_CACHE_URL');
  });
});
