import { type DescribeValueOptions, describeValue } from './coded-error.js';

/**
 * The error class thrown for a refused value. Each app passes its own class, so the error keeps
 * the app's code (`WORKER_ERR_INVALID_CONFIG`, `WS_ERR_INVALID_CONFIG`) and base class.
 */
export type InvalidValueErrorClass = new (variable: string, value: string, allowed: string) => Error;

/**
 * The one-line message of a refused value, shared so every app words it the same way.
 * @example
 * invalidValueMessage('WS_PORT', '70000', 'an integer from 0 to 65535 (default 3000)');
 * // 'Invalid WS_PORT="70000"; allowed: an integer from 0 to 65535 (default 3000)'
 */
export function invalidValueMessage(variable: string, value: string, allowed: string): string {
  return `Invalid ${variable}=${JSON.stringify(value)}; allowed: ${allowed}`;
}

/**
 * The one-line message of a refused option (a field of an options object, where
 * {@link invalidValueMessage} is for an environment variable), shared so every package words it
 * the same way. The value is shown with {@link describeValue}.
 * @example
 * invalidOptionMessage('maxConnections', 0, 'an integer from 2 to 10000');
 * // 'Invalid option "maxConnections": 0; allowed: an integer from 2 to 10000'
 */
export function invalidOptionMessage(
  field: string,
  value: unknown,
  allowed: string,
  options?: DescribeValueOptions,
): string {
  return `Invalid option "${field}": ${describeValue(value, options)}; allowed: ${allowed}`;
}
