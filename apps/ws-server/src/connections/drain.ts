import type { Logger } from 'pino';
import type { ConnectionCounts, ConnectionTracker } from './connection-tracker.js';

/** How often a drain logs its progress. */
export const DRAIN_PROGRESS_INTERVAL_MS = 5_000;

/** Settings of one drain. */
export interface DrainSettings {
  /** Whoever is still connected after this long is closed. */
  graceSeconds: number;
  /** Sessions asked to reconnect per batch (raised so that all are asked within half the grace period). */
  batchSize: number;
  /** Time between two batches, ms. */
  batchIntervalMs: number;
  /** How often progress is logged, ms. @defaultValue {@link DRAIN_PROGRESS_INTERVAL_MS} */
  progressIntervalMs?: number;
}

/** What a drain does to the sessions of the server. */
export interface DrainTarget<S> {
  tracker: ConnectionTracker;
  log: Logger;
  /** The Engine.IO sessions still open. */
  sessions(): Iterable<S>;
  /** Asks one session to reconnect elsewhere (`closing`, then a transport-level close). */
  ask(session: S): void;
  /** Closes one session at once, discarding what it had queued. */
  force(session: S): void;
}

/** How a drain ended. */
export interface DrainOutcome {
  durationMs: number;
  /** Sessions asked to reconnect. */
  asked: number;
  /** Sessions still open at the end of the grace period, closed by force. */
  forced: ConnectionCounts;
}

/**
 * One graceful drain: asks every open session to reconnect elsewhere, in batches, logs progress
 * every 5 s, and at the end of the grace period closes whoever is left. New sessions must be
 * refused by the caller meanwhile. Resolves when no session is left.
 */
export class Drain<S extends object> {
  readonly startedAt = Date.now();
  readonly deadline: number;
  private readonly asked = new WeakSet<S>();
  private askedCount = 0;
  private readonly timers: NodeJS.Timeout[] = [];
  private finished = false;
  private resolve!: (outcome: DrainOutcome) => void;
  readonly done: Promise<DrainOutcome>;

  constructor(
    private readonly target: DrainTarget<S>,
    private readonly settings: DrainSettings,
  ) {
    this.deadline = this.startedAt + settings.graceSeconds * 1000;
    this.done = new Promise((resolve) => {
      this.resolve = resolve;
    });
  }

  /** Seconds left before the rest are closed by force (0 once the grace period is over). */
  get secondsRemaining(): number {
    return Math.max(0, Math.ceil((this.deadline - Date.now()) / 1000));
  }

  /** Starts the drain; returns {@link done}. */
  start(): Promise<DrainOutcome> {
    const { tracker } = this.target;
    this.logProgress();
    if (tracker.sessions === 0) {
      this.finish(zero());
      return this.done;
    }
    const onChanged = () => {
      if (tracker.sessions === 0) this.finish(zero());
    };
    tracker.on('changed', onChanged);
    void this.done.then(() => tracker.off('changed', onChanged));
    const batches = setInterval(() => this.batch(), this.settings.batchIntervalMs);
    const progress = setInterval(
      () => this.logProgress(),
      this.settings.progressIntervalMs ?? DRAIN_PROGRESS_INTERVAL_MS,
    );
    const deadline = setTimeout(() => this.closeTheRest(), Math.max(0, this.deadline - Date.now()));
    this.timers.push(batches, progress, deadline);
    this.batch();
    return this.done;
  }

  /** Asks the next batch of sessions to reconnect. */
  private batch(): void {
    if (this.finished) return;
    const waiting: S[] = [];
    for (const session of this.target.sessions()) if (!this.asked.has(session)) waiting.push(session);
    if (waiting.length === 0) return;
    // Everyone is asked within half the grace period, leaving the rest for them to go.
    const askBy = this.startedAt + (this.settings.graceSeconds * 1000) / 2;
    const ticksLeft = Math.max(1, Math.floor((askBy - Date.now()) / this.settings.batchIntervalMs));
    const size = Math.max(this.settings.batchSize, Math.ceil(waiting.length / ticksLeft));
    for (const session of waiting.slice(0, size)) {
      this.asked.add(session);
      this.askedCount++;
      try {
        this.target.ask(session);
      } catch (err) {
        this.target.log.warn({ err: (err as Error).message }, 'drain: closing a session failed');
      }
    }
  }

  private logProgress(): void {
    if (this.finished) return;
    const c = this.target.tracker.snapshot();
    const active = c.websocket + c.polling;
    const remaining = this.secondsRemaining;
    this.target.log.info(
      { active, websocket: c.websocket, polling: c.polling, http: c.http, graceSecondsRemaining: remaining },
      `Draining connections: ${active} active (${c.websocket} websocket, ${c.polling} polling), ${remaining} s remaining`,
    );
  }

  private closeTheRest(): void {
    if (this.finished) return;
    const c = this.target.tracker.snapshot();
    const forced = { ...c, http: 0 };
    this.target.log.warn(
      { active: c.websocket + c.polling, websocket: c.websocket, polling: c.polling },
      `Drain grace period (${this.settings.graceSeconds} s) over: closing ${c.websocket + c.polling} remaining connections (${c.websocket} websocket, ${c.polling} polling)`,
    );
    for (const session of [...this.target.sessions()]) {
      try {
        this.target.force(session);
      } catch {
        // already gone
      }
    }
    this.finish(forced);
  }

  private finish(forced: ConnectionCounts): void {
    if (this.finished) return;
    this.finished = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.resolve({ durationMs: Date.now() - this.startedAt, asked: this.askedCount, forced });
  }
}

function zero(): ConnectionCounts {
  return { websocket: 0, polling: 0, http: 0 };
}
