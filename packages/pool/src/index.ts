export { type CloseOptions, type ConnectionEvent, createPool, Pool, type PoolEvents } from './pool.js';
export type { Lease } from './exclusive-lane.js';
export type { RedisConnection } from './connection-factory.js';
export {
  type NodeAddress,
  type PoolOptions,
  type RetryOptions,
  DEFAULT_POOL_OPTIONS,
  redactUrl,
} from './options.js';
export {
  AcquireTimeoutError,
  CommandTimeoutError,
  ConfigError,
  ConnectionError,
  OfflineQueueFullError,
  PoolClosedError,
  PoolError,
  PoolExhaustedError,
  UnsupportedCommandError,
} from './errors.js';
export type { PoolStats, PoolStatus } from './stats.js';
export type { CommandErrorKind, PoolObserver } from './instruments.js';
export { defineScript, type RedisScript } from './script.js';
export { registerPoolMetrics } from './metrics.js';
export { createLogger, REDACTED_PATHS } from './logger.js';
export type { BatchResult, CommandTuple, RedisArg } from './types.js';
