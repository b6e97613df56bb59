import { readFileSync } from 'node:fs';
import { describe, expect, test } from '@jest/globals';
import { REDIS_CONNECTION_VARIABLES } from '@redpool/config';
import { REALTIME_VARIABLES } from '@redpool/realtime';
import { CONFIG_VARIABLES, DEFAULT_WORKER_CONFIG, loadConfig } from '../../src/config.js';
import { InvalidConfigError } from '../../src/errors.js';

const docs = readFileSync(new URL('../../../../docs/configuration.md', import.meta.url), 'utf8');
/** The "## worker" section of docs/configuration.md (up to the next "## "). */
const workerSection = docs.slice(docs.indexOf('## worker')).split(/\n## (?!worker)/)[0] ?? '';
/** The table rows of the section as trimmed cells (formatters may pad the columns). */
const rows = workerSection
  .split('\n')
  .filter((line) => line.startsWith('|'))
  .map((line) => line.split('|').map((cell) => cell.trim()));

describe('loadConfig', () => {
  test('an empty environment gives the documented defaults', () => {
    expect(loadConfig({})).toEqual(DEFAULT_WORKER_CONFIG);
    expect(DEFAULT_WORKER_CONFIG).toMatchObject({
      reportIntervalMs: 300_000,
      usageWarnPercent: 90,
      reportStreamMaxLen: 288,
      heartbeatIntervalMs: 15_000,
      // Safe by default: the operations server answers only this machine unless told otherwise.
      httpHost: '127.0.0.1',
    });
  });

  test('reads every variable', () => {
    const config = loadConfig({
      REDIS_URL: 'rediss://user:pw@redis.internal:6380/2',
      REPORT_INTERVAL_MS: '60000',
      USAGE_WARN_PERCENT: '75',
      REPORT_STREAM_MAXLEN: '1440',
      WORKER_HTTP_PORT: '0',
      LOG_LEVEL: 'debug',
      BULLMQ_PREFIX: '{bull}',
      REALTIME_CHANNELS: 'notifications.*=100:1h',
      NOTIFICATION_CONCURRENCY: ' 4 ',
      SHUTDOWN_TIMEOUT_MS: '',
    });
    expect(config).toMatchObject({
      redisUrl: 'rediss://user:pw@redis.internal:6380/2',
      reportIntervalMs: 60_000,
      usageWarnPercent: 75,
      reportStreamMaxLen: 1_440,
      httpPort: 0,
      logLevel: 'debug',
      bullmqPrefix: '{bull}',
      realtime: { channels: 'notifications.*=100:1h' },
      notificationConcurrency: 4,
      shutdownTimeoutMs: 10_000,
    });
  });

  test.each([
    ['REPORT_INTERVAL_MS', 'abc', 'an integer from 250 to 86400000 (default 300000)'],
    ['REPORT_INTERVAL_MS', '100', 'an integer from 250 to 86400000'],
    ['USAGE_WARN_PERCENT', '0', 'an integer from 1 to 100 (default 90)'],
    ['USAGE_WARN_PERCENT', '90.5', 'an integer from 1 to 100'],
    ['REPORT_STREAM_MAXLEN', '-1', 'an integer from 1 to 100000 (default 288)'],
    ['WORKER_HTTP_PORT', '70000', 'an integer from 0 to 65535'],
    ['WORKER_REDIS_MAX_CONNECTIONS', '4', 'an integer from 8 to 10000'],
    ['REDIS_URL', 'http://x', 'a redis:// or rediss:// URL'],
    ['LOG_LEVEL', 'verbose', 'one of fatal, error, warn, info, debug, trace, silent'],
    ['KEY_PREFIX', 'has space', '1-64 characters'],
    // The REALTIME_* variables are tested in @redpool/realtime: one shows they are read here too.
    ['REALTIME_FANOUT', 'none', 'auto, classic or sharded (default auto)'],
  ])('%s=%s fails naming the variable and the allowed range', (name, value, allowed) => {
    let error: unknown;
    try {
      loadConfig({ [name]: value });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(InvalidConfigError);
    expect((error as InvalidConfigError).code).toBe('WORKER_ERR_INVALID_CONFIG');
    expect((error as Error).message).toMatch(new RegExp(`^Invalid ${name}=`));
    expect((error as Error).message).toContain(allowed);
  });

  test('REALTIME_META_TTL must cover the longest channel ttl, as in the ws-server', () => {
    expect(loadConfig({ REALTIME_META_TTL: '30d' }).realtime.metaTtlMs).toBe(30 * 86_400_000);
    expect(() => loadConfig({ REALTIME_META_TTL: '1h' })).toThrow(
      'Invalid REALTIME_META_TTL="3600000ms"; allowed: at least the longest channel ttl (86400000ms)',
    );
  });

  test('a bad REDIS_URL is reported without its password', () => {
    expect(() => loadConfig({ REDIS_URL: 'http://user:secret@host' })).toThrow(
      'Invalid REDIS_URL="http://user:***@host"',
    );
  });
});

/** The worker's own variables; the Redis connection ones are documented in "## both apps". */
const SHARED = new Set(REDIS_CONNECTION_VARIABLES.map((v) => v.name));
const OWN = CONFIG_VARIABLES.filter((v) => !SHARED.has(v.name));
const bothApps = docs.slice(docs.indexOf('## both apps')).split(/\n## (?!both apps)/)[0] ?? '';

describe('docs/configuration.md, ## both apps', () => {
  test.each([...REDIS_CONNECTION_VARIABLES, ...REALTIME_VARIABLES].map((v) => [v.name] as const))(
    'documents %s, which the worker reads too',
    (name) => {
      expect(bothApps).toContain(`| \`${name}\``);
      expect(CONFIG_VARIABLES.some((v) => v.name === name) || name.startsWith('REALTIME_')).toBe(true);
    },
  );
});

describe('docs/configuration.md, ## worker', () => {
  test.each(OWN.map((v) => [v.name, v] as const))('documents %s with its default', (name, variable) => {
    const row = rows.find((cells) => cells[1] === `\`${name}\``);
    expect(row).toBeDefined();
    expect(row?.[2]).toBe(`\`${variable.defaultText ?? String(DEFAULT_WORKER_CONFIG[variable.field])}\``);
  });

  test('documents no variable the worker does not read', () => {
    const documented = rows.map((cells) => /^`([A-Z_]+)`$/.exec(cells[1] ?? '')?.[1]).filter(Boolean);
    expect(documented.sort()).toEqual(OWN.map((v) => v.name).sort());
  });
});
