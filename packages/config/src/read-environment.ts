import type { InvalidValueErrorClass } from './invalid-value.js';
import type { Parser } from './parsers.js';
import { type EnvVariable, type FieldVariable, formatDefault } from './variable.js';

/** The environment as `process.env` has it; tests pass a plain object. */
export type Environment = Readonly<Record<string, string | undefined>>;

/** Options of {@link readEnvironment}. */
export interface ReadEnvironmentOptions<Config extends object> {
  /** The values of unset or empty variables, also named as the default in errors. */
  readonly defaults: Readonly<Config>;
  /** Thrown, as `new invalidValueError(name, shownValue, allowed)`, for the first refused value. */
  readonly invalidValue: InvalidValueErrorClass;
}

/**
 * Reads `variables` from `env` over `defaults`. Values are trimmed; an unset or empty variable
 * keeps its default. The first value its parser refuses throws `options.invalidValue` naming
 * the variable, the value (redacted where the variable says so) and the allowed range with the
 * default, so a bad deployment stops at start-up with one line that says what to change.
 * Relations between fields are the caller's to check afterwards.
 * @example
 * const config = readEnvironment(process.env, CONFIG_VARIABLES, {
 *   defaults: DEFAULT_CONFIG,
 *   invalidValue: InvalidConfigError,
 * });
 */
export function readEnvironment<Config extends object>(
  env: Environment,
  variables: readonly EnvVariable<Config>[],
  options: ReadEnvironmentOptions<Config>,
): Config {
  const config = { ...options.defaults } as Config;
  for (const variable of variables) {
    const raw = env[variable.name]?.trim();
    if (raw === undefined || raw === '') continue;
    // The union over fields cannot be narrowed here; any field with its own parser is consistent.
    const { field, parse, redact } = variable as FieldVariable<Config, keyof Config>;
    const value = parseOrRefuse(parse, raw);
    if (value === undefined) {
      const allowed = `${variable.allowed} (default ${formatDefault(variable, options.defaults)})`;
      throw new options.invalidValue(variable.name, redact ? redact(raw) : raw, allowed);
    }
    config[field] = value;
  }
  return config;
}

/** Parsers built on other validators throw their own errors; here a throw only means "refused". */
function parseOrRefuse<Value>(parse: Parser<Value>, raw: string): Value | undefined {
  try {
    return parse(raw);
  } catch {
    return undefined;
  }
}
