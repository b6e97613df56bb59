import { CodedError, invalidOptionMessage, invalidValueMessage } from '@redpool/config';

/** Every error code of the worker; never reuse one. Each is documented in the README's Errors table. */
export const WORKER_ERROR_CODES = [
  'WORKER_ERR_INVALID_CONFIG',
  'WORKER_ERR_EVICTION_POLICY',
  'WORKER_ERR_INVALID_NOTIFICATION',
  'WORKER_ERR_DELIVERY',
  'WORKER_ERR_INVALID_OPTION',
  'WORKER_ERR_ENQUEUE_TIMEOUT',
] as const;

export type WorkerErrorCode = (typeof WORKER_ERROR_CODES)[number];

/** Base class of the worker's errors: a stable `code` and the constructor's name. */
export class WorkerError extends CodedError<WorkerErrorCode> {}

/** An environment variable is missing its allowed form or range. */
export class InvalidConfigError extends WorkerError {
  constructor(
    readonly variable: string,
    readonly value: string,
    readonly allowed: string,
  ) {
    super('WORKER_ERR_INVALID_CONFIG', invalidValueMessage(variable, value, allowed));
  }
}

/** Redis evicts keys (`maxmemory-policy` is not `noeviction`): BullMQ queues would be corrupted. */
export class EvictionPolicyError extends WorkerError {
  constructor(readonly policy: string) {
    super(
      'WORKER_ERR_EVICTION_POLICY',
      `Redis at REDIS_URL has maxmemory-policy=${policy}; BullMQ needs noeviction (an evicted job key corrupts a queue): ` +
        'run "CONFIG SET maxmemory-policy noeviction" (and persist it in redis.conf) or point REDIS_URL at a Redis configured with noeviction',
    );
  }
}

/** A notification job does not match `{ userId | group, payload }`. */
export class InvalidNotificationError extends WorkerError {
  constructor(
    readonly field: string,
    detail: string,
  ) {
    super('WORKER_ERR_INVALID_NOTIFICATION', `Invalid notification: ${field} ${detail}`);
  }
}

/** Delivering a notification failed; BullMQ retries it with backoff until `attempts` are used. */
export class DeliveryError extends WorkerError {
  constructor(channel: string, options?: ErrorOptions) {
    const cause = options?.cause instanceof Error ? `: ${options.cause.message}` : '';
    super('WORKER_ERR_DELIVERY', `Delivery to ${channel} failed${cause}`, options);
  }
}

/** An option passed to a worker API (e.g. the notification producer) is out of range. */
export class InvalidOptionError extends WorkerError {
  constructor(
    readonly option: string,
    readonly value: unknown,
    readonly allowed: string,
  ) {
    super('WORKER_ERR_INVALID_OPTION', invalidOptionMessage(option, value, allowed));
  }
}

/**
 * Enqueueing did not finish within `timeoutMs` (Redis unreachable or slow). The job may still be
 * added once Redis answers: enqueue with a `jobId` to make retries idempotent.
 */
export class EnqueueTimeoutError extends WorkerError {
  constructor(timeoutMs: number) {
    super(
      'WORKER_ERR_ENQUEUE_TIMEOUT',
      `Notification not enqueued within timeoutMs=${timeoutMs}; check Redis, raise timeoutMs, and pass a jobId so a retry cannot enqueue twice`,
    );
  }
}
