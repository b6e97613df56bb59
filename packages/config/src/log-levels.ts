/** The levels a `LOG_LEVEL` variable accepts: pino's levels plus `silent`, most severe first. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** One of {@link LOG_LEVELS}; the same union as pino's `LevelWithSilent`. */
export type LogLevel = (typeof LOG_LEVELS)[number];
