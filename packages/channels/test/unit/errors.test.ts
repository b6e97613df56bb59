import { readFileSync } from 'node:fs';
import { expect, test } from '@jest/globals';
import { CHANNEL_ERROR_CODES, ChannelError, ChannelFullError } from '../../src/index.js';

test('every error code is documented in the README errors table, with how to solve it', () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  for (const code of CHANNEL_ERROR_CODES) {
    const row = readme.split('\n').find((line) => line.startsWith(`| \`${code}\``));
    expect(row).toBeDefined();
    expect(row!.split('|').filter((cell) => cell.trim().length > 0).length).toBeGreaterThanOrEqual(3);
  }
});

test('errors carry name, code and extend ChannelError', () => {
  const err = new ChannelFullError('chat.1', 10);
  expect(err).toBeInstanceOf(ChannelError);
  expect(err.name).toBe('ChannelFullError');
  expect(err.code).toBe('CHANNEL_ERR_FULL');
  expect(err.message).toMatch(/capacity=10/);
});
