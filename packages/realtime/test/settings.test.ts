import { describe, expect, test } from '@jest/globals';
import { type InvalidValueErrorClass, invalidValueMessage, readEnvironment } from '@redpool/config';
import {
  checkRealtimeSettings,
  DEFAULT_REALTIME_SETTINGS,
  REALTIME_VARIABLES,
  type RealtimeSettings,
  settingsPublisherOptions,
} from '../src/index.js';

/** Stands for an app's configuration error: the ws-server and the worker pass their own. */
class RefusedError extends Error {
  constructor(
    readonly variable: string,
    readonly value: string,
    readonly allowed: string,
  ) {
    super(invalidValueMessage(variable, value, allowed));
  }
}
const invalidValue: InvalidValueErrorClass = RefusedError;

const read = (env: Record<string, string>): RealtimeSettings =>
  readEnvironment(env, REALTIME_VARIABLES, { defaults: DEFAULT_REALTIME_SETTINGS, invalidValue });

const PREFIX_ALLOWED = '1-64 characters of A-Z a-z 0-9 _ . : -';
const CHANNELS_ALLOWED =
  'comma-separated pattern=capacity:ttl (capacity 1-1000000, ttl 100ms-30d), first match wins (default chat.*=2000:10s,notifications.*=500:24h)';
const META_TTL_ALLOWED = 'a duration (10s, 24h, 7d) from the longest channel ttl to 365d (default 7d)';

describe('the REALTIME_* variables', () => {
  test('unset ones keep the defaults', () => {
    expect(read({})).toEqual(DEFAULT_REALTIME_SETTINGS);
  });

  test('each one sets its field', () => {
    expect(
      read({
        REALTIME_CHANNELS: 'chat.*=10:1s',
        REALTIME_CHANNEL_FALLBACK: '5:2s',
        REALTIME_KEY_PREFIX: 'app:ws',
        REALTIME_ADAPTER_PREFIX: 'app-sio',
        REALTIME_NAMESPACE: '/chat',
        REALTIME_FANOUT: 'sharded',
        REALTIME_META_TTL: '1d',
      }),
    ).toEqual({
      channels: 'chat.*=10:1s',
      channelFallback: '5:2s',
      keyPrefix: 'app:ws',
      adapterPrefix: 'app-sio',
      namespace: '/chat',
      fanout: 'sharded',
      metaTtlMs: 86_400_000,
    });
  });

  test.each<[env: Record<string, string>, allowed: string]>([
    [{ REALTIME_CHANNELS: 'chat.*=0:10s' }, CHANNELS_ALLOWED],
    [{ REALTIME_CHANNELS: 'chat.*=lots' }, CHANNELS_ALLOWED],
    [{ REALTIME_CHANNEL_FALLBACK: '10' }, 'capacity:ttl, e.g. 100:60s (default 100:60s)'],
    [{ REALTIME_KEY_PREFIX: 'has space' }, `${PREFIX_ALLOWED} (default redpool:ws)`],
    // Braces would make a Cluster hash tag of the prefix instead of the channel name.
    [{ REALTIME_KEY_PREFIX: '{tag}' }, `${PREFIX_ALLOWED} (default redpool:ws)`],
    [{ REALTIME_ADAPTER_PREFIX: 'x'.repeat(65) }, `${PREFIX_ALLOWED} (default socket.io)`],
    [{ REALTIME_NAMESPACE: 'chat' }, '"/" or "/name" with letters, digits, _ and - (default /)'],
    [{ REALTIME_FANOUT: 'none' }, 'auto, classic or sharded (default auto)'],
    [{ REALTIME_META_TTL: 'forever' }, META_TTL_ALLOWED],
    [{ REALTIME_META_TTL: '400d' }, META_TTL_ALLOWED],
  ])('%o is refused naming the variable, the allowed range and the default', (env, allowed) => {
    const [[variable, value]] = Object.entries(env) as [[string, string]];
    expect(() => read(env)).toThrow(new RefusedError(variable, value, allowed));
    expect(() => read(env)).toThrow(RefusedError);
  });
});

describe('checkRealtimeSettings', () => {
  test('REALTIME_META_TTL must cover the longest channel ttl', () => {
    const settings = read({ REALTIME_CHANNELS: 'chat.*=10:2d', REALTIME_META_TTL: '1d' });
    expect(() => checkRealtimeSettings(settings, invalidValue)).toThrow(
      'Invalid REALTIME_META_TTL="86400000ms"; allowed: at least the longest channel ttl (172800000ms)',
    );
    expect(() => checkRealtimeSettings({ ...settings, metaTtlMs: 172_800_000 }, invalidValue)).not.toThrow();
  });

  test('the defaults pass', () => {
    expect(() => checkRealtimeSettings(DEFAULT_REALTIME_SETTINGS, invalidValue)).not.toThrow();
  });
});

describe('settingsPublisherOptions', () => {
  test('gives a publisher the settings, with the channel rules parsed', () => {
    const options = settingsPublisherOptions(
      read({ REALTIME_CHANNELS: 'chat.*=10:1s', REALTIME_FANOUT: 'classic' }),
    );
    expect(options).toMatchObject({
      keyPrefix: 'redpool:ws',
      adapterPrefix: 'socket.io',
      namespace: '/',
      fanout: 'classic',
      metaTtlMs: DEFAULT_REALTIME_SETTINGS.metaTtlMs,
    });
    expect(options.channels?.maxTtlMs).toBe(60_000);
  });
});
