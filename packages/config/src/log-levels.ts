import { oneOf } from './parsers.js';
import type { EnvVariable } from './variable.js';

/** The levels a `LOG_LEVEL` variable accepts: pino's levels plus `silent`, most severe first. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** One of {@link LOG_LEVELS}; the same union as pino's `LevelWithSilent`. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** `LOG_LEVEL`, as every app reads it into its `logLevel` field. */
export const LOG_LEVEL_VARIABLE: EnvVariable<{ logLevel: LogLevel }> = {
  name: 'LOG_LEVEL',
  field: 'logLevel',
  allowed: `one of ${LOG_LEVELS.join(', ')}`,
  description: 'pino log level',
  parse: oneOf(LOG_LEVELS),
};
