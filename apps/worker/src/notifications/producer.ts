import { withDefaults } from '@redpool/config';
import type { Pool } from '@redpool/pool';
import { type JobsOptions, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { EnqueueTimeoutError, InvalidOptionError } from '../errors.js';
import { NOTIFICATION_JOB, NOTIFICATIONS_QUEUE } from '../keys.js';
import { DEFAULT_MAX_PAYLOAD_BYTES, type NotificationJobData, validateNotification } from './notification.js';

/** Options of {@link createNotificationProducer} / {@link NotificationProducer}. */
export interface NotificationProducerOptions {
  /** BullMQ key prefix; the worker's `BULLMQ_PREFIX`. @defaultValue 'bull' */
  prefix?: string;
  /** Delivery attempts before the job lands in the failed set. @defaultValue 5 */
  attempts?: number;
  /** First retry delay; each further one doubles (BullMQ exponential backoff). @defaultValue 1000 */
  backoffMs?: number;
  /** Completed jobs kept for inspection. @defaultValue 1000 */
  keepCompleted?: number;
  /** Failed jobs kept in the failed set, with their reason. @defaultValue 10000 */
  keepFailed?: number;
  /** Largest payload accepted, as JSON. @defaultValue 65536 */
  maxPayloadBytes?: number;
  /** Deadline of one `enqueue()`. @defaultValue 5000 */
  timeoutMs?: number;
}

export const DEFAULT_NOTIFICATION_PRODUCER_OPTIONS: Readonly<Required<NotificationProducerOptions>> =
  Object.freeze({
    prefix: 'bull',
    attempts: 5,
    backoffMs: 1_000,
    keepCompleted: 1_000,
    keepFailed: 10_000,
    maxPayloadBytes: DEFAULT_MAX_PAYLOAD_BYTES,
    timeoutMs: 5_000,
  });

/** Per-call options of {@link NotificationProducer.enqueue}. */
export interface EnqueueOptions {
  /** Idempotency key: a second enqueue with the same id while the job exists adds nothing. */
  jobId?: string;
  /** Deliver no earlier than this many ms from now. */
  delayMs?: number;
}

function checkInteger(option: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new InvalidOptionError(option, value, `an integer from ${min} to ${max}`);
  }
}

function resolveOptions(options: NotificationProducerOptions): Required<NotificationProducerOptions> {
  const o = withDefaults(options, DEFAULT_NOTIFICATION_PRODUCER_OPTIONS);
  if (typeof o.prefix !== 'string' || !/^[A-Za-z0-9_.:{}-]{1,64}$/.test(o.prefix)) {
    throw new InvalidOptionError('prefix', o.prefix, '1-64 characters of A-Z a-z 0-9 _ . : { } -');
  }
  checkInteger('attempts', o.attempts, 1, 100);
  checkInteger('backoffMs', o.backoffMs, 1, 3_600_000);
  checkInteger('keepCompleted', o.keepCompleted, 0, 10_000_000);
  checkInteger('keepFailed', o.keepFailed, 0, 10_000_000);
  checkInteger('maxPayloadBytes', o.maxPayloadBytes, 1, 16_777_216);
  checkInteger('timeoutMs', o.timeoutMs, 1, 600_000);
  return o;
}

/**
 * Enqueues notifications on the `notifications` queue with the retry policy every notification
 * gets (attempts, exponential backoff, how many finished jobs are kept). Input is validated
 * before anything reaches Redis.
 * @example
 * const producer = createNotificationProducer(pool);
 * await producer.enqueue({ userId: '42', payload: { text: 'hello' } });
 * await producer.close();
 */
export class NotificationProducer {
  readonly options: Readonly<Required<NotificationProducerOptions>>;
  private readonly jobOptions: JobsOptions;

  constructor(
    readonly queue: Queue,
    options: NotificationProducerOptions = {},
    private readonly connection?: Redis,
  ) {
    this.options = resolveOptions(options);
    this.jobOptions = {
      attempts: this.options.attempts,
      backoff: { type: 'exponential', delay: this.options.backoffMs },
      removeOnComplete: { count: this.options.keepCompleted },
      removeOnFail: { count: this.options.keepFailed },
    };
  }

  /**
   * Validates and enqueues one notification; resolves to the job id. Throws
   * `InvalidNotificationError` for bad input and `EnqueueTimeoutError` after `timeoutMs`.
   */
  async enqueue(job: NotificationJobData, options: EnqueueOptions = {}): Promise<string> {
    const data = validateNotification(job, this.options.maxPayloadBytes);
    if (
      options.jobId !== undefined &&
      (typeof options.jobId !== 'string' || !/^[^:]{1,256}$/.test(options.jobId))
    ) {
      throw new InvalidOptionError('jobId', options.jobId, '1-256 characters without ":"');
    }
    if (options.delayMs !== undefined) checkInteger('delayMs', options.delayMs, 0, 31_536_000_000);
    const opts: JobsOptions = {
      ...this.jobOptions,
      ...(options.jobId !== undefined ? { jobId: options.jobId } : {}),
      ...(options.delayMs ? { delay: options.delayMs } : {}),
    };
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new EnqueueTimeoutError(this.options.timeoutMs)),
        this.options.timeoutMs,
      );
    });
    const adding = this.queue.add(NOTIFICATION_JOB, data, opts);
    adding.catch(() => undefined); // a late failure after the deadline is not unhandled
    try {
      const added = await Promise.race([adding, deadline]);
      return added.id ?? '';
    } finally {
      clearTimeout(timer);
    }
  }

  /** Closes the queue and the connection it was given by {@link createNotificationProducer}. */
  async close(): Promise<void> {
    await this.queue.close();
    if (this.connection) await this.connection.quit().catch(() => this.connection?.disconnect());
  }
}

/** A producer on its own BullMQ connection from `pool` (counted in the pool's budget). */
export function createNotificationProducer(
  pool: Pool,
  options: NotificationProducerOptions = {},
): NotificationProducer {
  const { prefix } = resolveOptions(options); // validate before opening anything
  const connection = pool.bullmq();
  const queue = new Queue(NOTIFICATIONS_QUEUE, { connection, prefix });
  queue.on('error', () => undefined); // failures reach enqueue()'s caller
  return new NotificationProducer(queue, options, connection);
}

/** Enqueues one notification on an existing `notifications` queue with the default policy. */
export function enqueueNotification(
  queue: Queue,
  job: NotificationJobData,
  options: EnqueueOptions & NotificationProducerOptions = {},
): Promise<string> {
  const { jobId, delayMs, ...producerOptions } = options;
  return new NotificationProducer(queue, producerOptions).enqueue(job, {
    ...(jobId !== undefined ? { jobId } : {}),
    ...(delayMs !== undefined ? { delayMs } : {}),
  });
}
