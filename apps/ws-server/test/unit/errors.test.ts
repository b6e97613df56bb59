import { readFileSync } from 'node:fs';
import { describe, expect, test } from '@jest/globals';
import { ClientError, DROP_REASON, InvalidConfigError, WS_ERROR_CODES, WsError } from '../../src/errors.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const rows = readme.split('\n').map((line) => line.split(/(?<!\\)\|/).map((cell) => cell.trim()));

describe('errors', () => {
  test.each(WS_ERROR_CODES.map((c) => [c]))('%s is documented in the README with how to solve it', (code) => {
    const row = rows.find((cells) => cells[1] === `\`${code}\``);
    expect(row).toBeDefined();
    expect(row!.filter((cell) => cell !== '')).toHaveLength(3);
  });

  test('every code is unique and has a metrics reason', () => {
    expect(new Set(WS_ERROR_CODES).size).toBe(WS_ERROR_CODES.length);
    for (const code of WS_ERROR_CODES) expect(DROP_REASON[code]).toMatch(/^[a-z_]+$/);
  });

  test('classes carry name and code; clients see only code and message', () => {
    const err = new ClientError('WS_ERR_FORBIDDEN', 'nope', { cause: new Error('secret detail') });
    expect(err).toBeInstanceOf(WsError);
    expect(err.name).toBe('ClientError');
    expect(err.toBody()).toEqual({ code: 'WS_ERR_FORBIDDEN', message: 'nope' });
    const config = new InvalidConfigError('WS_PORT', 'x', 'a port');
    expect(config).toMatchObject({
      name: 'InvalidConfigError',
      code: 'WS_ERR_INVALID_CONFIG',
      variable: 'WS_PORT',
    });
    expect(config.message).toBe('Invalid WS_PORT="x"; allowed: a port');
  });
});
