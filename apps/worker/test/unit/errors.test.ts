import { readFileSync } from 'node:fs';
import { describe, expect, test } from '@jest/globals';
import {
  DeliveryError,
  EnqueueTimeoutError,
  EvictionPolicyError,
  InvalidConfigError,
  InvalidNotificationError,
  InvalidOptionError,
  WORKER_ERROR_CODES,
  WorkerError,
} from '../../src/errors.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

describe('errors', () => {
  test.each(WORKER_ERROR_CODES.map((c) => [c]))(
    '%s is documented in the README with how to solve it',
    (code) => {
      // Cells of the Errors table (formatters may pad the columns; `\|` is an escaped pipe).
      const row = readme
        .split('\n')
        .map((line) => line.split(/(?<!\\)\|/).map((cell) => cell.trim()))
        .find((cells) => cells[1] === `\`${code}\``);
      expect(row).toBeDefined();
      expect(row!.filter((cell) => cell !== '')).toHaveLength(4);
    },
  );

  test('every class has its name and code, and the codes are unique', () => {
    const errors: WorkerError[] = [
      new InvalidConfigError('X', '1', 'y'),
      new EvictionPolicyError('allkeys-lru'),
      new InvalidNotificationError('userId', 'bad'),
      new DeliveryError('notifications.1', { cause: new Error('down') }),
      new InvalidOptionError('attempts', 0, 'an integer'),
      new EnqueueTimeoutError(5_000),
    ];
    expect(errors.map((e) => e.code).sort()).toEqual([...WORKER_ERROR_CODES].sort());
    for (const e of errors) {
      expect(e).toBeInstanceOf(WorkerError);
      expect(e.name).toBe(e.constructor.name);
    }
    expect(errors[3]!.message).toBe('Delivery to notifications.1 failed: down');
    expect(errors[1]!.message).toContain('REDIS_URL');
    expect(errors[5]!.message).toContain('timeoutMs=5000');
  });
});
