import type { DrainStatus, WsServerStatus, WsStats } from '../status.js';
import type { WorkerRole } from './supervisor-metrics.js';
import type { SupervisorStatus } from './supervisor-status.js';

/** One worker in the supervisor's `/stats` and `/drain`. */
export interface WorkerEntry {
  /** The node:cluster worker id (the `w<id>.` of its session ids). */
  worker: number;
  pid: number | null;
  generation: number;
  role: WorkerRole;
}

/** The supervisor's `/stats`: the single-process shape for the whole server, plus each worker's own. */
export interface SupervisorStats extends WsStats {
  supervisor: {
    status: SupervisorStatus;
    /** The generation new connections go to. */
    generation: number;
    /** `stats` is null for a worker that is starting or did not answer in time. */
    workers: (WorkerEntry & { stats: WsStats | null })[];
  };
}

/** The supervisor's `/drain`: the single-process shape for the whole server, plus each worker's own. */
export interface SupervisorDrainStatus extends DrainStatus {
  /** `drain` is null for a worker that is starting or did not answer in time. */
  workers: (WorkerEntry & { drain: DrainStatus | null })[];
}

/**
 * The drain status of the whole server: draining while any worker drains (a stop, or the old
 * generation of a restart); `active` sums every worker's connections; `startedAt` is the oldest
 * running drain and `graceSecondsRemaining` the time until the last one closes what is left.
 */
export function combineDrains(drains: readonly DrainStatus[], gracePeriodSeconds: number): DrainStatus {
  const running = drains.filter((d) => d.draining);
  const starts = running.flatMap((d) => (d.startedAt ? [Date.parse(d.startedAt)] : []));
  const remaining = running.flatMap((d) =>
    d.graceSecondsRemaining === null ? [] : [d.graceSecondsRemaining],
  );
  return {
    draining: running.length > 0,
    active: {
      websocket: sum(drains.map((d) => d.active.websocket)),
      polling: sum(drains.map((d) => d.active.polling)),
      http: sum(drains.map((d) => d.active.http)),
    },
    graceSecondsRemaining: remaining.length > 0 ? Math.max(...remaining) : null,
    gracePeriodSeconds,
    startedAt: starts.length > 0 ? new Date(Math.min(...starts)).toISOString() : null,
  };
}

/** What {@link combineStats} needs besides the workers' own stats. */
export interface ServerIdentity {
  instance: string;
  status: WsServerStatus;
  uptimeSeconds: number;
  gracePeriodSeconds: number;
}

/**
 * The stats of the whole server from its workers' (those that answered): connections,
 * subscriptions and channels summed (a channel with subscribers on two workers counts twice, as
 * in `redpool_ws_channels`), every worker's pools, and ready when every worker that serves
 * (running, not draining) is ready — as `redpool_ws_ready`.
 */
export function combineStats(identity: ServerIdentity, workers: readonly WsStats[]): WsStats {
  const serving = workers.filter((s) => s.status === 'running' && !s.drain.draining);
  const connections = {
    websocket: sum(workers.map((s) => s.connections.websocket)),
    polling: sum(workers.map((s) => s.connections.polling)),
    http: sum(workers.map((s) => s.connections.http)),
  };
  return {
    instance: identity.instance,
    status: identity.status,
    ready: serving.length > 0 && serving.every((s) => s.ready),
    fanout: workers.find((s) => s.fanout !== null)?.fanout ?? null,
    uptimeSeconds: identity.uptimeSeconds,
    connections: { total: connections.websocket + connections.polling, ...connections },
    subscriptions: sum(workers.map((s) => s.subscriptions)),
    channels: sum(workers.map((s) => s.channels)),
    drain: combineDrains(
      workers.map((s) => s.drain),
      identity.gracePeriodSeconds,
    ),
    pools: workers.flatMap((s) => s.pools),
  };
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
