export { CONNECTION_BOUND_COMMANDS, type PoolCommands } from './commands.js';
export type { RedisConnection } from './connection-factory.js';
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
export type { AcquireOptions, Lease } from './exclusive-lane.js';
export {
  DEFAULT_HEARTBEAT_PREFIX,
  type Heartbeat,
  type HeartbeatOptions,
  type HeartbeatRecord,
  readHeartbeats,
  startHeartbeat,
} from './heartbeat.js';
export type { CommandErrorKind, PoolObserver } from './instruments.js';
export { createLogger, REDACTED_PATHS } from './logger.js';
export { registerPoolMetrics } from './metrics.js';
export {
  DEFAULT_POOL_OPTIONS,
  type NodeAddress,
  type PoolOptions,
  type RetryOptions,
  redactUrl,
} from './options.js';
export { type CloseOptions, type ConnectionEvent, createPool, Pool, type PoolEvents } from './pool.js';
export { defineScript, type RedisScript } from './script.js';
export type { PoolStats, PoolStatus } from './stats.js';
export type { BatchResult, CommandTuple, RedisArg } from './types.js';
