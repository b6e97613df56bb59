import { type Logger, type LoggerOptions, pino } from 'pino';

/** Field paths whose values never reach a log line. */
export const REDACTED_PATHS = [
  'password',
  '*.password',
  'token',
  '*.token',
  'secret',
  '*.secret',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'headers.cookie',
  'req.headers.authorization',
  'req.headers.cookie',
];

/**
 * A pino logger with redpool's redaction rules (passwords, tokens, secrets, authorization
 * headers become `***`). Pass a URL through {@link redactUrl} before logging it.
 * @example
 * const log = createLogger({ name: 'ws-server', level: 'info' });
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  return pino({
    level: 'info',
    ...options,
    redact: { paths: REDACTED_PATHS, censor: '***' },
  });
}
