import { CodedError, invalidOptionMessage } from '@redpool/config';

/** Base of the cache's errors; match on the stable `code`. */
export class CacheError extends CodedError {}

/** An option is out of range. */
export class CacheConfigError extends CacheError {
  constructor(
    /** The option, e.g. `local.maxEntries`. */
    readonly field: string,
    value: unknown,
    allowed: string,
  ) {
    super('CACHE_ERR_INVALID_OPTION', invalidOptionMessage(field, value, allowed));
  }
}

/** A key or TTL passed to a cache method is invalid. */
export class CacheArgumentError extends CacheError {
  constructor(message: string) {
    super('CACHE_ERR_INVALID_ARGUMENT', message);
  }
}
