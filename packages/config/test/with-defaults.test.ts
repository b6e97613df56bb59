import { describe, expect, test } from '@jest/globals';
import { withDefaults } from '../src/index.js';

interface ExampleOptions {
  prefix?: string;
  attempts?: number;
  verbose?: boolean;
  rules?: string[];
}

const DEFAULTS = { prefix: 'bull', attempts: 5, verbose: false } as const;

describe('withDefaults', () => {
  test('an option left out, undefined or null takes its default; a given one is kept', () => {
    const options: ExampleOptions = { attempts: 3, prefix: undefined };
    // Typed as required: every key of the defaults is set.
    const resolved: { prefix: string; attempts: number; verbose: boolean } = withDefaults(options, DEFAULTS);
    expect(resolved).toEqual({ prefix: 'bull', attempts: 3, verbose: false });
    expect(withDefaults({ verbose: null } as unknown as ExampleOptions, DEFAULTS).verbose).toBe(false);
  });

  test('falsy values that are given are kept (?? semantics, not ||)', () => {
    const options: ExampleOptions = { attempts: 0, prefix: '' };
    expect(withDefaults(options, DEFAULTS)).toEqual({ prefix: '', attempts: 0, verbose: false });
  });

  test('copies only the keys of the defaults, in their order, into a new object', () => {
    const options: ExampleOptions = { rules: ['a'], verbose: true };
    const resolved = withDefaults(options, DEFAULTS);
    expect(Object.keys(resolved)).toEqual(['prefix', 'attempts', 'verbose']);
    expect(resolved).not.toBe(options);
    expect(options).toEqual({ rules: ['a'], verbose: true });
  });
});
