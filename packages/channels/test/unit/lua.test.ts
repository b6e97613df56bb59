import { readdirSync, readFileSync } from 'node:fs';
import { expect, test } from '@jest/globals';
import { loadLua, SCRIPTS } from '../../src/scripts.js';

const dir = new URL('../../src/lua/', import.meta.url);

test('every script is named <name>-<numKeys>.lua and starts with a KEYS/ARGV header', () => {
  const files = readdirSync(dir).filter((f) => f.endsWith('.lua'));
  expect(files.length).toBe(Object.keys(SCRIPTS).length);
  for (const file of files) {
    expect(file).toMatch(/^[a-z-]+-(\d+|n)\.lua$/);
    const source = readFileSync(new URL(file, dir), 'utf8');
    expect(source.startsWith('--[[')).toBe(true);
    const header = source.slice(0, source.indexOf(']]'));
    expect(header).toMatch(/KEYS\[\d/);
    expect(header).toMatch(/ARGV/);
    expect(header).toMatch(/Returns/);
  }
});

test('includes are resolved', () => {
  const source = loadLua('enqueue-n.lua');
  expect(source).not.toMatch(/@include/);
  expect(source).toMatch(/local function pushSpecific\(/);
  expect(SCRIPTS.enqueue.source).toBe(source);
  expect(SCRIPTS.enqueue.sha1).toMatch(/^[0-9a-f]{40}$/);
});
