/** Every Redis key and queue name the worker uses, built from the configured prefixes. */

/** BullMQ queue of the fleet reports. */
export const REPORTS_QUEUE = 'reports';
/** BullMQ queue of notification deliveries. */
export const NOTIFICATIONS_QUEUE = 'notifications';
/** Job Scheduler id and job name of the pool-usage report. */
export const POOL_USAGE_REPORT = 'pool-usage-report';
/** Job name of one notification delivery. */
export const NOTIFICATION_JOB = 'notification';

export interface WorkerKeys {
  /** Where @redpool/pool heartbeats live (`<prefix>:heartbeat:<app>:<host>:<pid>:<startedAtMs>`). */
  readonly heartbeatPrefix: string;
  /** Capped stream of pool-usage reports, newest last (field `report`: JSON). */
  readonly reportStream: string;
  /** Hash: process id → JSON of its pools' counters at the last report (for deltas). */
  readonly reportCounters: string;
}

/** The worker's keys under `prefix` (default `redpool`). */
export function workerKeys(prefix: string): WorkerKeys {
  return {
    heartbeatPrefix: `${prefix}:heartbeat`,
    reportStream: `${prefix}:report:pool-usage`,
    reportCounters: `${prefix}:report:pool-usage:counters`,
  };
}
