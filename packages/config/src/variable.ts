import type { Parser } from './parsers.js';

/**
 * One environment variable that sets the field `Field` of a configuration `Config`: where its
 * value goes, what it allows, and what it means. Lists of these drive both the loading and the
 * documentation checks, so the words in `allowed` are the ones users see in errors.
 */
export interface FieldVariable<Config extends object, Field extends keyof Config> {
  /** The variable's name in the environment, e.g. `REDIS_URL`. */
  readonly name: string;
  /** The configuration field the value is stored in. */
  readonly field: Field;
  /** The allowed form or range in words, e.g. `an integer from 1 to 100`. */
  readonly allowed: string;
  /** What the variable means (docs/configuration.md has the same text). */
  readonly description: string;
  /** The documented default, when printing the field's default value would not say it (`(empty)`, `7d`). */
  readonly defaultText?: string;
  /** How a refused value is shown in the error, for values that may carry secrets. @defaultValue the value as given */
  readonly redact?: (raw: string) => string;
  /** Reads the trimmed, non-empty value; `undefined` (or a throw) refuses it. */
  readonly parse: Parser<Config[Field]>;
}

/**
 * A variable of any field of `Config`. It is a union over the fields, so each variable's
 * `parse` must return exactly its own field's type.
 */
export type EnvVariable<Config extends object> = {
  [Field in keyof Config]-?: FieldVariable<Config, Field>;
}[keyof Config];

/**
 * How a variable's default is shown in errors and docs: its `defaultText`, else the default
 * value printed (lists comma-separated, as the variable is written).
 * @example
 * formatDefault({ field: 'port', …rest }, { port: 3000 }); // '3000'
 */
export function formatDefault<Config extends object>(
  variable: EnvVariable<Config>,
  defaults: Readonly<Config>,
): string {
  if (variable.defaultText !== undefined) return variable.defaultText;
  const value: unknown = defaults[variable.field];
  return Array.isArray(value) ? value.join(',') : String(value);
}
