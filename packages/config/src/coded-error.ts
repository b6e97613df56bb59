/**
 * Base of the error classes of every package and app: a stable machine-readable `code` to match
 * on (never the message; codes are never reused or renamed), `name` set to the concrete class's
 * name, and the underlying error as the standard `cause`.
 * @typeParam Code - The codes a subclass may carry, e.g. a union of string literals.
 * @example
 * // The worker's errors: WorkerErrorCode is the union of its codes.
 * class WorkerError extends CodedError<WorkerErrorCode> {}
 * class EnqueueTimeoutError extends WorkerError {
 *   constructor(timeoutMs: number) {
 *     super('WORKER_ERR_ENQUEUE_TIMEOUT', `Notification not enqueued within timeoutMs=${timeoutMs}`);
 *   }
 * }
 * new EnqueueTimeoutError(500).name; // 'EnqueueTimeoutError'
 */
export class CodedError<Code extends string = string> extends Error {
  /** Stable machine-readable code, e.g. `POOL_ERR_CLOSED`. */
  readonly code: Code;

  /**
   * @param code - Stable error code.
   * @param message - Human-readable explanation, ideally with a hint how to solve it.
   * @param options - `cause`: the underlying error, if any.
   */
  constructor(code: Code, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }

  /** The concrete class's name (`ConfigError`, `PoolClosedError`…), so logs and stacks name the subclass. */
  override get name(): string {
    return this.constructor.name;
  }
}

/** Options of {@link describeValue}. */
export interface DescribeValueOptions {
  /** Strings longer than this are cut and end with `…`. @defaultValue no limit */
  maxStringLength?: number;
}

/**
 * Renders any value for an error message, without ever throwing: strings quoted as JSON,
 * numbers, booleans, `null`, `undefined` and symbols as `String()` gives them (`NaN`, not `null`),
 * bigints as `10n`, objects and arrays as JSON, and what JSON cannot show (cycles, functions) as
 * its type tag (`[object Object]`, `[object Function]`).
 * @example
 * describeValue('redis'); // '"redis"'
 * describeValue(Number.NaN); // 'NaN'
 * describeValue({ nodes: [] }); // '{"nodes":[]}'
 * describeValue('abcdef', { maxStringLength: 3 }); // '"abc…"'
 */
export function describeValue(value: unknown, options: DescribeValueOptions = {}): string {
  if (typeof value === 'string') {
    const max = options.maxStringLength ?? Number.POSITIVE_INFINITY;
    return JSON.stringify(value.length > max ? `${value.slice(0, max)}…` : value);
  }
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'function') return Object.prototype.toString.call(value);
  if (typeof value !== 'object' || value === null) return String(value);
  try {
    return JSON.stringify(value) ?? Object.prototype.toString.call(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}
