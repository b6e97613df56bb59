import { CodedError, invalidOptionMessage } from '@redpool/config';

/**
 * Every error the pool raises extends {@link PoolError} and carries a stable `code`
 * (e.g. `POOL_ERR_CLOSED`). Match on `err.code`, not on the message: codes are never reused or renamed.
 */
export class PoolError extends CodedError {}

/** An option is missing, of the wrong type or out of range. Thrown by `createPool`. */
export class ConfigError extends PoolError {
  constructor(
    /** The option path, e.g. `retry.maxDelayMs`. */
    readonly field: string,
    value: unknown,
    allowed: string,
  ) {
    super('POOL_ERR_INVALID_OPTION', invalidOptionMessage(field, value, allowed));
  }
}

/** Work was submitted after `close()` or `destroy()`. */
export class PoolClosedError extends PoolError {
  constructor(poolName: string) {
    super('POOL_ERR_CLOSED', `Pool "${poolName}" is closed; create a new pool to run more commands`);
  }
}

/** No exclusive connection became free within `acquireTimeoutMs`. */
export class AcquireTimeoutError extends PoolError {
  constructor(poolName: string, timeoutMs: number) {
    super(
      'POOL_ERR_ACQUIRE_TIMEOUT',
      `Pool "${poolName}": no exclusive connection within acquireTimeoutMs=${timeoutMs}; raise acquireTimeoutMs or maxConnections, or look for leaked leases`,
    );
  }
}

/** What {@link PoolExhaustedError} ran out of. */
export type ExhaustedReason = 'waiters' | 'budget';

/**
 * The pool cannot take more work of this kind now. `reason` says what ran out:
 * `waiters` — `maxWaiting` callers already wait for an exclusive connection;
 * `budget` — every one of the `maxConnections` connections is in use, so no dedicated
 * connection (subscriber, BullMQ) can be opened.
 */
export class PoolExhaustedError extends PoolError {
  readonly reason: ExhaustedReason;

  private constructor(reason: ExhaustedReason, message: string) {
    super('POOL_ERR_EXHAUSTED', message);
    this.reason = reason;
  }

  /** `maxWaiting` callers already wait for an exclusive connection. */
  static waiters(poolName: string, maxWaiting: number): PoolExhaustedError {
    return new PoolExhaustedError(
      'waiters',
      `Pool "${poolName}": ${maxWaiting} callers already wait for an exclusive connection (maxWaiting=${maxWaiting}); raise maxWaiting or maxConnections, or shed load`,
    );
  }

  /** The connection budget is used up. */
  static budget(poolName: string, maxConnections: number, role: string, held: string): PoolExhaustedError {
    return new PoolExhaustedError(
      'budget',
      `Pool "${poolName}": no connection left for a ${role} — all ${maxConnections} of maxConnections are held (${held}); raise maxConnections or close subscribers and BullMQ connections you no longer use`,
    );
  }
}

/** A command got no reply within `commandTimeoutMs`; its connection was destroyed. */
export class CommandTimeoutError extends PoolError {
  readonly command: string;
  constructor(command: string, timeoutMs: number) {
    super(
      'POOL_ERR_COMMAND_TIMEOUT',
      `Command ${command} got no reply within commandTimeoutMs=${timeoutMs}; the connection was reset`,
    );
    this.command = command;
  }
}

/** Redis could not be reached (refused, reset, closed, or no connection within `connectTimeoutMs`). */
export class ConnectionError extends PoolError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('POOL_ERR_CONNECTION', message, options);
  }
}

/** Too many commands are queued while the connection is down (`offlineQueue` bound). */
export class OfflineQueueFullError extends PoolError {
  constructor(poolName: string, limit: number) {
    super(
      'POOL_ERR_OFFLINE_QUEUE_FULL',
      `Pool "${poolName}": Redis is unreachable and ${limit} commands already wait for it (offlineQueue=${limit})`,
    );
  }
}

/** A command that must own a connection was sent where it cannot run (e.g. SUBSCRIBE through `call`). */
export class UnsupportedCommandError extends PoolError {
  constructor(command: string, hint: string) {
    super('POOL_ERR_UNSUPPORTED_COMMAND', `${command} cannot be sent through call(): ${hint}`);
  }
}
