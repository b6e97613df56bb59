import type { PoolStats } from './stats.js';

/** Why a command failed, as counted in `redpool_command_errors_total{kind}`. */
export type CommandErrorKind = 'timeout' | 'connection' | 'reply' | 'offline_queue_full' | 'closed';

type StatsCounters = PoolStats['counters'];

/** Cumulative counters of one pool: those of its stats plus the command errors by kind; they only grow. */
export interface PoolCounters extends StatsCounters {
  commandErrors: Record<CommandErrorKind, number>;
}

/** Receives every finished command and acquire; metrics and tests subscribe here. */
export interface PoolObserver {
  commandFinished?(command: string, seconds: number, error: CommandErrorKind | null): void;
  acquireFinished?(seconds: number, timedOut: boolean): void;
}

/** Counters plus the observers to notify; shared by the lanes of one pool. */
export class Instruments {
  readonly counters: PoolCounters = {
    acquired: 0,
    acquireTimeouts: 0,
    commandTimeouts: 0,
    reconnects: 0,
    healthCheckFailures: 0,
    idleDisconnects: 0,
    leaseWarnings: 0,
    commandErrors: { timeout: 0, connection: 0, reply: 0, offline_queue_full: 0, closed: 0 },
  };
  private observers: PoolObserver[] = [];

  /** True when someone listens: the hot path skips timing commands otherwise. */
  get observed(): boolean {
    return this.observers.length > 0;
  }

  /** Adds an observer; returns a function that removes it. */
  observe(observer: PoolObserver): () => void {
    this.observers = [...this.observers, observer];
    return () => {
      this.observers = this.observers.filter((o) => o !== observer);
    };
  }

  /** The counters as `pool.stats()` reports them (a copy, without the errors by kind). */
  snapshot(): StatsCounters {
    const { commandErrors: _, ...counters } = this.counters;
    return counters;
  }

  commandFinished(command: string, seconds: number, error: CommandErrorKind | null): void {
    if (error !== null) {
      this.counters.commandErrors[error]++;
      if (error === 'timeout') this.counters.commandTimeouts++;
    }
    for (const o of this.observers) o.commandFinished?.(command, seconds, error);
  }

  acquireFinished(seconds: number, timedOut: boolean): void {
    if (timedOut) this.counters.acquireTimeouts++;
    else this.counters.acquired++;
    for (const o of this.observers) o.acquireFinished?.(seconds, timedOut);
  }
}
