import { Counter, Gauge, Registry } from 'prom-client';

/** A worker as the supervisor sees it: forked and not ready yet, serving, or draining. */
export type WorkerRole = 'starting' | 'serving' | 'draining';

/** How many workers hold each role. */
export function countByRole(roles: Iterable<WorkerRole>): Record<WorkerRole, number> {
  const counts: Record<WorkerRole, number> = { starting: 0, serving: 0, draining: 0 };
  for (const role of roles) counts[role]++;
  return counts;
}

/**
 * Why a worker exited: after a drain (a restart or a stop), by surprise (replaced after 1 s), or
 * as a new worker of a SIGHUP restart that never got ready (the restart failed; the old
 * generation kept serving).
 */
export type WorkerExitReason = 'drained' | 'crashed' | 'aborted';

/** What the supervisor's gauges read at scrape time. */
export interface SupervisorMetricSources {
  roles(): readonly WorkerRole[];
  generation(): number;
  /** `WS_WORKERS`. */
  configured(): number;
}

/**
 * The supervisor's own metrics, exposed next to its workers' on the supervisor's `/metrics`:
 * workers by role and configured, the serving generation, worker exits, and reports a scrape had to go without.
 */
export class SupervisorMetrics {
  readonly registry = new Registry();
  private readonly exits: Counter<'reason'>;
  private readonly missed: Counter;

  constructor(sources: SupervisorMetricSources) {
    const registers = [this.registry];
    new Gauge({
      name: 'redpool_ws_workers',
      help: 'Worker processes of the supervisor by role: starting (forked, not ready), serving, draining',
      labelNames: ['role'],
      registers,
      collect() {
        for (const [role, count] of Object.entries(countByRole(sources.roles()))) this.set({ role }, count);
      },
    });
    new Gauge({
      name: 'redpool_ws_workers_configured',
      help: 'Worker processes the supervisor is configured to keep serving (WS_WORKERS)',
      registers,
      collect() {
        this.set(sources.configured());
      },
    });
    new Gauge({
      name: 'redpool_ws_supervisor_generation',
      help: 'The generation of workers the supervisor routes new connections to (1 at start, +1 per SIGHUP restart)',
      registers,
      collect() {
        this.set(sources.generation());
      },
    });
    this.exits = new Counter({
      name: 'redpool_ws_worker_exits_total',
      help: 'Worker processes that exited, by reason: drained (a restart or a stop), crashed (replaced after 1 s) or aborted (new workers of a restart that never got ready)',
      labelNames: ['reason'],
      registers,
    });
    for (const reason of ['drained', 'crashed', 'aborted'] as const) this.exits.inc({ reason }, 0);
    this.missed = new Counter({
      name: 'redpool_ws_worker_reports_missed_total',
      help: 'Scrapes a worker did not answer in time: its gauges were left out and its counters taken from its last report',
      registers,
    });
  }

  workerExited(reason: WorkerExitReason): void {
    this.exits.inc({ reason });
  }

  reportsMissed(count: number): void {
    if (count > 0) this.missed.inc(count);
  }
}
