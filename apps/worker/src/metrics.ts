import type { Queue, Worker } from 'bullmq';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Job states exported by `redpool_queue_jobs` (BullMQ 6 has no `paused` state). */
export const JOB_STATES = [
  'waiting',
  'active',
  'delayed',
  'prioritized',
  'waiting-children',
  'completed',
  'failed',
] as const;

function withTimeout<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  promise.catch(() => undefined); // settles after the deadline: not unhandled
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`job counts of ${what} not read within ${timeoutMs} ms`)),
        timeoutMs,
      );
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * `redpool_queue_jobs{queue,state}`: BullMQ job counts read with `getJobCounts` at scrape time.
 * A queue whose read fails or takes longer than `timeoutMs` is left out of that scrape instead of
 * failing (or hanging) `/metrics`.
 */
export function registerQueueMetrics(
  registry: Registry,
  queues: readonly Queue[],
  onError: (err: Error) => void = () => undefined,
  timeoutMs = 2_000,
): void {
  new Gauge({
    name: 'redpool_queue_jobs',
    help: 'BullMQ jobs by queue and state',
    labelNames: ['queue', 'state'],
    registers: [registry],
    async collect() {
      this.reset();
      await Promise.all(
        queues.map(async (queue) => {
          try {
            // BullMQ connections wait for Redis forever (maxRetriesPerRequest: null): bound the scrape.
            const counts = await withTimeout(queue.getJobCounts(...JOB_STATES), timeoutMs, queue.name);
            for (const state of JOB_STATES) this.set({ queue: queue.name, state }, counts[state] ?? 0);
          } catch (err) {
            onError(err as Error);
          }
        }),
      );
    },
  });
}

/** Counters and a histogram fed by a Worker's events. */
export interface WorkerInstruments {
  observe(worker: Worker): void;
}

export function registerWorkerMetrics(registry: Registry): WorkerInstruments {
  const attempts = new Counter({
    name: 'redpool_worker_job_attempts_total',
    help: 'Job attempts processed by this process, by queue and result (failed counts every failed attempt)',
    labelNames: ['queue', 'result'],
    registers: [registry],
  });
  const exhausted = new Counter({
    name: 'redpool_worker_jobs_failed_total',
    help: 'Jobs that failed their last attempt and stay in the failed set, by queue',
    labelNames: ['queue'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'redpool_worker_job_duration_seconds',
    help: 'Time from a job attempt starting to finishing, by queue',
    labelNames: ['queue'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const seconds = (job: { processedOn?: number | undefined; finishedOn?: number | undefined }) =>
    job.processedOn ? Math.max(0, ((job.finishedOn ?? Date.now()) - job.processedOn) / 1000) : undefined;
  return {
    observe(worker) {
      const queue = worker.name;
      worker.on('completed', (job) => {
        attempts.inc({ queue, result: 'completed' });
        const s = seconds(job);
        if (s !== undefined) duration.observe({ queue }, s);
      });
      worker.on('failed', (job) => {
        attempts.inc({ queue, result: 'failed' });
        if (job === undefined) return;
        const s = seconds(job);
        if (s !== undefined) duration.observe({ queue }, s);
        // BullMQ sets finishedOn only when the job moved to the failed set (no retry left).
        if (job.finishedOn !== undefined) exhausted.inc({ queue });
      });
    },
  };
}
