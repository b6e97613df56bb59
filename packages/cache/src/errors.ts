/** Base of the cache's errors; match on the stable `code`. */
export class CacheError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
  override get name(): string {
    return this.constructor.name;
  }
}

/** An option is out of range. */
export class CacheConfigError extends CacheError {
  readonly field: string;
  constructor(field: string, value: unknown, allowed: string) {
    super(
      'CACHE_ERR_INVALID_OPTION',
      `Invalid option "${field}": ${JSON.stringify(value) ?? String(value)}; allowed: ${allowed}`,
    );
    this.field = field;
  }
}

/** A key or TTL passed to a cache method is invalid. */
export class CacheArgumentError extends CacheError {
  constructor(message: string) {
    super('CACHE_ERR_INVALID_ARGUMENT', message);
  }
}
