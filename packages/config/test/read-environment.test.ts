import { describe, expect, test } from '@jest/globals';
import {
  boolean,
  type EnvVariable,
  formatDefault,
  integer,
  invalidValueMessage,
  oneOf,
  pattern,
  readEnvironment,
  redisUrl,
} from '../src/index.js';

/** A service's configuration, as an app would declare it. */
interface ExampleConfig {
  redisUrl: string;
  port: number;
  mode: 'fast' | 'safe';
  verbose: boolean;
  seeds: string[];
  name: string;
}

const DEFAULTS: Readonly<ExampleConfig> = Object.freeze({
  redisUrl: 'redis://127.0.0.1:6379',
  port: 3000,
  mode: 'safe',
  verbose: false,
  seeds: ['a:1', 'b:2'],
  name: 'example',
});

const VARIABLES: readonly EnvVariable<ExampleConfig>[] = [
  {
    name: 'REDIS_URL',
    field: 'redisUrl',
    allowed: 'a redis:// or rediss:// URL',
    description: 'the Redis to use',
    redact: (raw) => raw.replace(/:[^:@/]*@/, ':***@'),
    parse: redisUrl,
  },
  {
    name: 'EXAMPLE_PORT',
    field: 'port',
    allowed: 'an integer from 0 to 65535',
    description: 'port to listen on',
    parse: integer(0, 65_535),
  },
  {
    name: 'EXAMPLE_MODE',
    field: 'mode',
    allowed: 'fast or safe',
    description: 'trade-off',
    parse: oneOf(['fast', 'safe']),
  },
  {
    name: 'EXAMPLE_VERBOSE',
    field: 'verbose',
    allowed: 'true or false',
    description: 'log more',
    parse: boolean,
  },
  {
    name: 'EXAMPLE_SEEDS',
    field: 'seeds',
    allowed: 'comma-separated host:port',
    description: 'seed nodes',
    parse: (raw) => raw.split(','),
  },
  {
    name: 'EXAMPLE_NAME',
    field: 'name',
    allowed: '1-8 letters',
    description: 'name in logs',
    defaultText: '<hostname>',
    parse: pattern(/^[a-z]{1,8}$/),
  },
];

/** The error an app would throw: its own class and code, the shared message. */
class ExampleConfigError extends Error {
  readonly code = 'EXAMPLE_ERR_INVALID_CONFIG';

  constructor(
    readonly variable: string,
    readonly value: string,
    readonly allowed: string,
  ) {
    super(invalidValueMessage(variable, value, allowed));
  }
}

const read = (env: Record<string, string | undefined>): ExampleConfig =>
  readEnvironment(env, VARIABLES, { defaults: DEFAULTS, invalidValue: ExampleConfigError });

/** The error `read(env)` throws. */
function refusal(env: Record<string, string>): ExampleConfigError {
  try {
    read(env);
  } catch (err) {
    if (err instanceof ExampleConfigError) return err;
    throw err;
  }
  throw new Error(`accepted ${JSON.stringify(env)}`);
}

describe('readEnvironment', () => {
  test('an empty environment gives the defaults, as a copy', () => {
    const config = read({});
    expect(config).toEqual(DEFAULTS);
    expect(config).not.toBe(DEFAULTS);
  });

  test('unset, empty and blank variables keep their default', () => {
    expect(read({ EXAMPLE_PORT: undefined, EXAMPLE_MODE: '', EXAMPLE_NAME: '   ' })).toEqual(DEFAULTS);
  });

  test('reads every variable into its field, trimmed', () => {
    expect(
      read({
        REDIS_URL: 'rediss://redis.internal:6380',
        EXAMPLE_PORT: ' 8080 ',
        EXAMPLE_MODE: 'fast',
        EXAMPLE_VERBOSE: 'yes',
        EXAMPLE_SEEDS: 'c:3,d:4',
        EXAMPLE_NAME: 'edge',
        UNRELATED: 'ignored',
      }),
    ).toEqual({
      redisUrl: 'rediss://redis.internal:6380',
      port: 8080,
      mode: 'fast',
      verbose: true,
      seeds: ['c:3', 'd:4'],
      name: 'edge',
    });
  });

  test.each([
    [
      'EXAMPLE_PORT',
      '70000',
      'Invalid EXAMPLE_PORT="70000"; allowed: an integer from 0 to 65535 (default 3000)',
    ],
    ['EXAMPLE_MODE', 'slow', 'Invalid EXAMPLE_MODE="slow"; allowed: fast or safe (default safe)'],
    ['EXAMPLE_VERBOSE', 'maybe', 'Invalid EXAMPLE_VERBOSE="maybe"; allowed: true or false (default false)'],
    ['EXAMPLE_NAME', 'UPPER', 'Invalid EXAMPLE_NAME="UPPER"; allowed: 1-8 letters (default <hostname>)'],
  ])('%s=%s is refused naming the variable, the allowed range and the default', (name, value, message) => {
    const error = refusal({ [name]: value });
    expect(error.message).toBe(message);
    expect(error).toMatchObject({ code: 'EXAMPLE_ERR_INVALID_CONFIG', variable: name, value });
  });

  test('the first refused variable in list order is the one reported', () => {
    expect(refusal({ EXAMPLE_NAME: 'UPPER', EXAMPLE_PORT: 'x' }).variable).toBe('EXAMPLE_PORT');
  });

  test('a parser that throws refuses the value like one that returns undefined', () => {
    const throwing: EnvVariable<ExampleConfig> = {
      name: 'EXAMPLE_NAME',
      field: 'name',
      allowed: 'a name',
      description: 'name in logs',
      parse: () => {
        throw new RangeError('not a name');
      },
    };
    expect(() =>
      readEnvironment({ EXAMPLE_NAME: 'x' }, [throwing], {
        defaults: DEFAULTS,
        invalidValue: ExampleConfigError,
      }),
    ).toThrow('Invalid EXAMPLE_NAME="x"; allowed: a name (default example)');
  });

  test('a variable with redact never shows the refused value as given', () => {
    const error = refusal({ REDIS_URL: 'http://user:hunter2@host' });
    expect(error.message).toBe(
      'Invalid REDIS_URL="http://user:***@host"; allowed: a redis:// or rediss:// URL (default redis://127.0.0.1:6379)',
    );
  });
});

describe('formatDefault', () => {
  const variable = (field: keyof ExampleConfig) => VARIABLES.find((v) => v.field === field)!;

  test('prints the default value, lists comma-separated', () => {
    expect(formatDefault(variable('port'), DEFAULTS)).toBe('3000');
    expect(formatDefault(variable('verbose'), DEFAULTS)).toBe('false');
    expect(formatDefault(variable('seeds'), DEFAULTS)).toBe('a:1,b:2');
  });

  test('prefers the documented defaultText', () => {
    expect(formatDefault(variable('name'), DEFAULTS)).toBe('<hostname>');
  });
});
