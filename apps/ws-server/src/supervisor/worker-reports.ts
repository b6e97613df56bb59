import type { Worker } from 'node:cluster';
import type { ReportKind, ToSupervisor, ToWorker, WorkerReport } from './supervisor-messages.js';

/** How long a scrape waits for a worker's report before leaving the worker out. */
export const WORKER_REPORT_TIMEOUT_MS = 3_000;

/**
 * The supervisor's side of report requests: asks workers for their metrics or stats over IPC and
 * waits for each answer, at most `timeoutMs`. A worker that is gone or does not answer in time
 * yields `undefined`: one wedged worker delays a scrape by the deadline, never fails it.
 */
export class WorkerReports {
  private nextId = 0;
  private readonly pending = new Map<number, (report: WorkerReport | undefined) => void>();

  /** Each worker's report (or `undefined`), in the order of `workers`. */
  collect(
    workers: readonly Worker[],
    kind: ReportKind,
    timeoutMs = WORKER_REPORT_TIMEOUT_MS,
  ): Promise<(WorkerReport | undefined)[]> {
    return Promise.all(workers.map((worker) => this.ask(worker, kind, timeoutMs)));
  }

  /** Takes a worker's message if it answers a request; returns whether it did. */
  receive(message: ToSupervisor): boolean {
    if (message?.type !== 'redpool:report') return false;
    const { type: _, id, ...report } = message;
    this.pending.get(id)?.(report);
    return true;
  }

  private ask(worker: Worker, kind: ReportKind, timeoutMs: number): Promise<WorkerReport | undefined> {
    if (!worker.isConnected()) return Promise.resolve(undefined);
    const id = this.nextId++;
    return new Promise((resolve) => {
      const finish = (report: WorkerReport | undefined) => {
        clearTimeout(timer);
        worker.off('disconnect', onGone);
        this.pending.delete(id);
        resolve(report);
      };
      const onGone = () => finish(undefined);
      const timer = setTimeout(onGone, timeoutMs);
      worker.once('disconnect', onGone);
      this.pending.set(id, finish);
      try {
        worker.send({ type: 'redpool:report-request', id, kind } satisfies ToWorker, (err: Error | null) => {
          if (err) onGone();
        });
      } catch {
        onGone();
      }
    });
  }
}
