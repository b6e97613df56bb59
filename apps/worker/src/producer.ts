/**
 * `@redpool/worker/producer`: only what a service needs to enqueue notifications (no worker,
 * HTTP server or metrics code is loaded).
 */
export {
  EnqueueTimeoutError,
  InvalidNotificationError,
  InvalidOptionError,
  WorkerError,
  type WorkerErrorCode,
} from './errors.js';
export { NOTIFICATION_JOB, NOTIFICATIONS_QUEUE } from './keys.js';
export {
  DEFAULT_MAX_PAYLOAD_BYTES,
  type GroupNotification,
  type NotificationJobData,
  type NotificationMessage,
  notificationChannel,
  TARGET_PATTERN,
  type UserNotification,
  validateNotification,
} from './notifications/notification.js';
export {
  createNotificationProducer,
  DEFAULT_NOTIFICATION_PRODUCER_OPTIONS,
  type EnqueueOptions,
  enqueueNotification,
  NotificationProducer,
  type NotificationProducerOptions,
} from './notifications/producer.js';
