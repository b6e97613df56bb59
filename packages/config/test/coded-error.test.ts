import { describe, expect, test } from '@jest/globals';
import { CodedError, describeValue, invalidOptionMessage } from '../src/index.js';

type ExampleCode = 'EXAMPLE_ERR_TIMEOUT' | 'EXAMPLE_ERR_CLOSED';

class ExampleError extends CodedError<ExampleCode> {}

class ExampleTimeoutError extends ExampleError {
  constructor(timeoutMs: number, options?: ErrorOptions) {
    super('EXAMPLE_ERR_TIMEOUT', `No answer within ${timeoutMs} ms`, options);
  }
}

describe('CodedError', () => {
  test('carries its code and message, and is an Error of every class in its chain', () => {
    const error = new ExampleTimeoutError(500);
    expect(error).toBeInstanceOf(Error);
    expect(error).toBeInstanceOf(CodedError);
    expect(error).toBeInstanceOf(ExampleError);
    expect(error.code).toBe('EXAMPLE_ERR_TIMEOUT');
    expect(error.message).toBe('No answer within 500 ms');
  });

  test('is named after the concrete class, in the stack too', () => {
    const error = new ExampleTimeoutError(500);
    expect(error.name).toBe('ExampleTimeoutError');
    expect(String(error)).toBe('ExampleTimeoutError: No answer within 500 ms');
    expect(new ExampleError('EXAMPLE_ERR_CLOSED', 'closed').name).toBe('ExampleError');
  });

  test('keeps the cause it was given, and has none otherwise', () => {
    const cause = new Error('ECONNREFUSED');
    expect(new ExampleTimeoutError(500, { cause }).cause).toBe(cause);
    expect('cause' in new ExampleTimeoutError(500)).toBe(false);
  });
});

describe('describeValue', () => {
  test.each([
    ['redis', '"redis"'],
    [5000, '5000'],
    [Number.NaN, 'NaN'],
    [Number.POSITIVE_INFINITY, 'Infinity'],
    [true, 'true'],
    [null, 'null'],
    [undefined, 'undefined'],
    [10n, '10n'],
    [{ nodes: ['a:1'] }, '{"nodes":["a:1"]}'],
    [[1, 2], '[1,2]'],
  ])('%p is shown as %s', (value, shown) => {
    expect(describeValue(value)).toBe(shown);
  });

  test('what JSON cannot show is named by its type tag instead of throwing', () => {
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(describeValue(cycle)).toBe('[object Object]');
    expect(describeValue(() => 1)).toBe('[object Function]');
    expect(describeValue(Symbol('s'))).toBe('Symbol(s)');
  });

  test('maxStringLength cuts long strings and marks the cut', () => {
    expect(describeValue('abcdef', { maxStringLength: 3 })).toBe('"abc…"');
    expect(describeValue('abc', { maxStringLength: 3 })).toBe('"abc"');
    expect(describeValue('x'.repeat(200))).toHaveLength(202);
  });
});

describe('invalidOptionMessage', () => {
  test('names the option, shows the value and what is allowed', () => {
    expect(invalidOptionMessage('maxConnections', 0, 'an integer from 2 to 10000')).toBe(
      'Invalid option "maxConnections": 0; allowed: an integer from 2 to 10000',
    );
    expect(invalidOptionMessage('prefix', 'a b', '1-64 characters')).toBe(
      'Invalid option "prefix": "a b"; allowed: 1-64 characters',
    );
  });

  test('passes the describeValue options on', () => {
    expect(invalidOptionMessage('keyPrefix', 'abcdef', 'short', { maxStringLength: 2 })).toBe(
      'Invalid option "keyPrefix": "ab…"; allowed: short',
    );
  });
});
