import { type Job, UnrecoverableError } from 'bullmq';
import type { Logger } from 'pino';
import { DeliveryError, InvalidNotificationError } from '../errors.js';
import {
  DEFAULT_MAX_PAYLOAD_BYTES,
  type NotificationMessage,
  notificationChannel,
  validateNotification,
} from './notification.js';

/**
 * Where notifications go: one message to one channel. The worker's implementation publishes
 * through the ws-server's server-side publish API; anything with the same contract works.
 */
export interface NotificationTransport {
  /**
   * Resolves once the fan-out layer accepted the message; rejects to make BullMQ retry. An error
   * with `permanent: true` (bad channel, payload too large) fails the job at once, without retries.
   */
  publish(channel: string, message: NotificationMessage, signal?: AbortSignal): Promise<void>;
  /** Releases what the transport holds; called on worker shutdown. */
  close?(): Promise<void>;
}

/** The result stored with a completed notification job. */
export interface DeliveryResult {
  channel: string;
  attempt: number;
}

function abortable<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return work;
  if (signal.aborted) return Promise.reject(new Error(`cancelled: ${String(signal.reason ?? 'aborted')}`));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new Error(`cancelled: ${String(signal.reason ?? 'aborted')}`));
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

/**
 * The BullMQ processor of the `notifications` queue. Invalid data fails at once without retries
 * (`UnrecoverableError`); a failed publish throws {@link DeliveryError}, which BullMQ retries
 * with the job's backoff until its attempts are used, then keeps in the failed set with the reason.
 */
export function createNotificationProcessor(
  transport: NotificationTransport,
  log: Logger,
  maxPayloadBytes = DEFAULT_MAX_PAYLOAD_BYTES,
): (job: Job, token?: string, signal?: AbortSignal) => Promise<DeliveryResult> {
  return async (job, _token, signal) => {
    let data: ReturnType<typeof validateNotification>;
    try {
      data = validateNotification(job.data, maxPayloadBytes);
    } catch (err) {
      if (err instanceof InvalidNotificationError) throw new UnrecoverableError(err.message);
      throw err;
    }
    const channel = notificationChannel(data);
    const attempt = job.attemptsMade + 1;
    const message: NotificationMessage = {
      id: job.id ?? '',
      ...(data.userId !== undefined ? { userId: data.userId } : { group: data.group }),
      payload: data.payload,
      createdAt: new Date(job.timestamp).toISOString(),
      attempt,
    };
    try {
      await abortable(transport.publish(channel, message, signal), signal);
    } catch (err) {
      const attempts =
        (err as { permanent?: unknown }).permanent === true ? attempt : (job.opts.attempts ?? 1);
      log.warn(
        {
          event: 'notification-delivery-failed',
          jobId: job.id,
          channel,
          attempt,
          attempts,
          err: (err as Error).message,
        },
        attempt >= attempts
          ? 'notification delivery failed; no attempts left'
          : 'notification delivery failed; will retry',
      );
      const error = new DeliveryError(channel, { cause: err });
      if ((err as { permanent?: unknown }).permanent === true) throw new UnrecoverableError(error.message);
      throw error;
    }
    log.debug({ event: 'notification-delivered', jobId: job.id, channel, attempt }, 'notification delivered');
    return { channel, attempt };
  };
}
