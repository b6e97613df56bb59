export {
  createWorkerApp,
  WorkerApp,
  type WorkerAppEvents,
  type WorkerAppOptions,
  type WorkerStatus,
} from './app.js';
export {
  CONFIG_VARIABLES,
  type ConfigVariable,
  channelRules,
  DEFAULT_WORKER_CONFIG,
  loadConfig,
  resolveConfig,
  validateConfig,
  type WorkerConfig,
} from './config.js';
export {
  DeliveryError,
  EnqueueTimeoutError,
  EvictionPolicyError,
  InvalidConfigError,
  InvalidNotificationError,
  InvalidOptionError,
  WORKER_ERROR_CODES,
  WorkerError,
  type WorkerErrorCode,
} from './errors.js';
export {
  NOTIFICATION_JOB,
  NOTIFICATIONS_QUEUE,
  POOL_USAGE_REPORT,
  REPORTS_QUEUE,
  type WorkerKeys,
  workerKeys,
} from './keys.js';
export {
  createNotificationProcessor,
  type DeliveryResult,
  type NotificationTransport,
} from './notifications/processor.js';
export { createRealtimeTransport, publisherOptions } from './notifications/realtime-transport.js';
// The notification model and the producer: the whole of `@redpool/worker/producer`.
export * from './producer.js';
export { assertNoEviction, readEvictionPolicy } from './redis-check.js';
export {
  type BuildReportInput,
  type BuildReportResult,
  buildReport,
  type CounterSnapshot,
  type PoolUsage,
  type PoolUsageReport,
  type ProcessUsage,
  processId,
  type ReportWarning,
  STALE_AFTER_INTERVALS,
  type UsageFigures,
} from './report/report.js';
export { ReportStore, type StoredReport } from './report/report-store.js';
