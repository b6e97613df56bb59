/**
 * The options with a default filled in for each key of `defaults` the caller left out (`undefined`
 * or `null`, as `??` decides). Only the keys of `defaults` are copied, in their order; options
 * without a plain default (built on demand, like a parsed rule set) are added by the caller.
 * Validate the result afterwards: this only merges.
 * @example
 * const DEFAULTS = { prefix: 'bull', attempts: 5 } as const;
 * withDefaults({ attempts: 3 } as { prefix?: string; attempts?: number }, DEFAULTS);
 * // { prefix: 'bull', attempts: 3 }
 */
export function withDefaults<Options extends object, Key extends keyof Options>(
  options: Options,
  defaults: { readonly [K in Key]-?: NonNullable<Options[K]> },
): { -readonly [K in Key]-?: NonNullable<Options[K]> } {
  const resolved = {} as { -readonly [K in Key]-?: NonNullable<Options[K]> };
  for (const key of Object.keys(defaults) as Key[]) {
    resolved[key] = options[key] ?? defaults[key];
  }
  return resolved;
}
