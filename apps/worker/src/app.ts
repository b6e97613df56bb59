import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import { type Cache, connectCachePool, createCache, registerCacheMetrics } from '@redpool/cache';
import { cacheRedisTarget, coreRedisTarget } from '@redpool/config';
import {
  createLogger,
  createPool,
  type Heartbeat,
  type Pool,
  redactUrl,
  registerPoolMetrics,
  startHeartbeat,
} from '@redpool/pool';
import { type Job, Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { WorkerConfig } from './config.js';
import { type OpsServer, startOpsServer } from './http.js';
import {
  NOTIFICATIONS_QUEUE,
  POOL_USAGE_REPORT,
  REPORTS_QUEUE,
  type WorkerKeys,
  workerKeys,
} from './keys.js';
import { registerQueueMetrics, registerWorkerMetrics } from './metrics.js';
import { createNotificationProcessor, type NotificationTransport } from './notifications/processor.js';
import { assertNoEviction } from './redis-check.js';
import { LatestReport } from './report/latest-report.js';
import type { PoolUsageReport } from './report/report.js';
import { type ReportJobContext, runPoolUsageReport, scheduledSlot } from './report/report-job.js';
import { registerReportMetrics } from './report/report-metrics.js';
import { ReportStore } from './report/report-store.js';

/** Lifecycle of a worker process. */
export type WorkerStatus = 'idle' | 'starting' | 'ready' | 'draining' | 'closed';

/** Events of {@link WorkerApp}; status names are emitted as events too. */
export interface WorkerAppEvents {
  status: [status: WorkerStatus];
  idle: [];
  starting: [];
  ready: [];
  draining: [];
  closed: [];
  /** A pool-usage report was computed and stored by this process. */
  reported: [report: PoolUsageReport];
  /** A background failure (BullMQ connection errors, a failed report run). */
  error: [err: Error];
}

export interface WorkerAppOptions {
  config: WorkerConfig;
  /** Builds the delivery transport once the pool is up (the ws-server's publish API in production). */
  transport: (pool: Pool, config: WorkerConfig, log: Logger) => NotificationTransport;
  logger?: Logger;
  /** App name in the heartbeat. @defaultValue 'worker' */
  app?: string;
}

/**
 * The worker process: one pool, its heartbeat, the `pool-usage-report` Job Scheduler and its
 * Worker, the `notifications` Worker, and the operations HTTP server.
 */
export class WorkerApp extends EventEmitter<WorkerAppEvents> {
  readonly config: WorkerConfig;
  readonly keys: WorkerKeys;
  readonly log: Logger;
  readonly registry = new Registry();
  private currentStatus: WorkerStatus = 'idle';
  private poolInstance: Pool | undefined;
  private heartbeat: Heartbeat | undefined;
  private readonly connections: Redis[] = [];
  private readonly queues: Queue[] = [];
  private readonly workers: Worker[] = [];
  private transport: NotificationTransport | undefined;
  private reportContext: ReportJobContext | undefined;
  private ops: OpsServer | undefined;
  private closing: Promise<void> | undefined;
  /** The cache Redis' own pool (`REDIS_CACHE_URL`) and the cache on it. */
  private cachePool: Pool | undefined;
  private cache: Cache | undefined;
  private latestReport: LatestReport | undefined;
  private readonly recentErrors = new Map<string, { at: number; suppressed: number }>();

  constructor(private readonly options: WorkerAppOptions) {
    super();
    this.config = options.config;
    this.keys = workerKeys(this.config.keyPrefix);
    this.log = options.logger ?? createLogger({ name: 'worker', level: this.config.logLevel });
  }

  get status(): WorkerStatus {
    return this.currentStatus;
  }

  /** The pool (after `start()`). */
  get pool(): Pool {
    if (this.poolInstance === undefined) throw new Error('WorkerApp not started');
    return this.poolInstance;
  }

  /** Port of the operations server (after `start()`). */
  get port(): number {
    return this.ops?.port ?? 0;
  }

  /** The report store (stream and counters) of this worker's Redis. */
  get reports(): ReportStore {
    if (this.reportContext === undefined) throw new Error('WorkerApp not started');
    return this.reportContext.store;
  }

  /**
   * Starts everything; rejects (after cleaning up) when Redis is unreachable or evicts keys.
   * Every replica upserts the report scheduler: BullMQ keeps one scheduler, so the report still
   * runs once per interval fleet-wide.
   */
  async start(): Promise<void> {
    if (this.currentStatus !== 'idle') throw new Error(`start() called in status ${this.currentStatus}`);
    this.setStatus('starting');
    const { config, log } = this;
    try {
      this.ops = await startOpsServer(config.httpHost, config.httpPort, this.probe(), this.registry, (err) =>
        log.warn({ err: err.message }, 'operations server error'),
      );
      const pool = createPool({
        ...coreRedisTarget(config),
        name: 'worker',
        maxConnections: config.redisMaxConnections,
        logger: log,
      });
      this.poolInstance = pool;
      await pool.connect();
      await assertNoEviction(pool);
      const cachePool = await connectCachePool({
        ...cacheRedisTarget(config),
        name: 'worker-cache',
        logger: log,
      });
      this.cachePool = cachePool;
      this.heartbeat = startHeartbeat(pool, {
        app: this.options.app ?? 'worker',
        pools: [pool, cachePool],
        intervalMs: config.heartbeatIntervalMs,
        keyPrefix: this.keys.heartbeatPrefix,
        logger: log,
      });
      this.transport = this.options.transport(pool, config, log);
      this.reportContext = {
        pool,
        keys: this.keys,
        store: new ReportStore(pool, this.keys, config.reportStreamMaxLen),
        log,
        intervalMs: config.reportIntervalMs,
        warnPercent: config.usageWarnPercent,
        ranBy: `${hostname()}:${process.pid}`,
      };
      // No logger: during a cache outage every read would log; the pool logs the outage once.
      this.cache = createCache(cachePool, { keyPrefix: 'worker', ignoreErrors: true });
      this.latestReport = new LatestReport(
        this.reportContext.store,
        this.cache,
        Math.min(3_600, Math.max(1, Math.round(config.reportIntervalMs / 1_000))),
      );
      this.setUpMetrics(pool);
      await this.startQueues(pool);
    } catch (err) {
      await this.shutDown(0);
      throw err;
    }
    this.setStatus('ready');
    log.info(
      {
        event: 'worker-started',
        redis: redactUrl(config.redisUrl),
        http: `http://${config.httpHost}:${this.port}`,
        reportIntervalMs: config.reportIntervalMs,
        usageWarnPercent: config.usageWarnPercent,
        notificationConcurrency: config.notificationConcurrency,
        queues: [REPORTS_QUEUE, NOTIFICATIONS_QUEUE],
      },
      `worker ready: ${POOL_USAGE_REPORT} every ${config.reportIntervalMs} ms, delivering notifications; /healthz /readyz /metrics on port ${this.port}`,
    );
  }

  /** Runs the report now in this process (outside the scheduler), e.g. for tooling. */
  runReportNow(): Promise<PoolUsageReport> {
    if (this.reportContext === undefined) throw new Error('WorkerApp not started');
    return this.runReport(null);
  }

  /**
   * Graceful stop: readiness fails, no new jobs are taken, running ones get `shutdownTimeoutMs`
   * to finish (then they are cancelled and retried later), then every connection and the pool close.
   */
  close(): Promise<void> {
    this.closing ??= this.shutDown(this.config.shutdownTimeoutMs);
    return this.closing;
  }

  /** Stops at once: running jobs are cancelled (a failed attempt, retried after its backoff). */
  destroy(): Promise<void> {
    this.closing ??= this.shutDown(0);
    return this.closing;
  }

  private probe() {
    return {
      live: () => this.currentStatus !== 'closed',
      notReadyReason: (): string | null => {
        if (this.currentStatus !== 'ready') return `status ${this.currentStatus}`;
        const stats = this.poolInstance?.stats();
        if (stats === undefined || !stats.connected) return 'redis not connected';
        if (!stats.healthy) return 'redis health check failing';
        const stopped = this.workers.find((w) => !w.isRunning());
        if (stopped) return `worker ${stopped.name} not running`;
        return null;
      },
    };
  }

  private setUpMetrics(pool: Pool): void {
    const onError = (err: Error) => this.log.debug({ err: err.message }, 'metrics collection failed');
    collectDefaultMetrics({ register: this.registry });
    registerPoolMetrics(pool, this.registry);
    if (this.cachePool) registerPoolMetrics(this.cachePool, this.registry);
    if (this.cache) registerCacheMetrics(this.cache, this.registry);
    registerReportMetrics(this.registry, () => this.latestReport!.read(), onError);
  }

  private bullmqConnection(pool: Pool): Redis {
    const connection = pool.bullmq();
    this.connections.push(connection);
    return connection;
  }

  private async startQueues(pool: Pool): Promise<void> {
    const { config, log } = this;
    const prefix = config.bullmqPrefix;
    const queueConnection = this.bullmqConnection(pool);
    const reports = new Queue(REPORTS_QUEUE, { connection: queueConnection, prefix });
    const notifications = new Queue(NOTIFICATIONS_QUEUE, { connection: queueConnection, prefix });
    for (const queue of [reports, notifications]) {
      this.queues.push(queue);
      queue.on('error', (err) => this.backgroundError(err, `queue ${queue.name}`));
    }
    registerQueueMetrics(this.registry, this.queues, (err) =>
      log.debug({ err: err.message }, 'job counts unavailable'),
    );
    await this.upsertScheduler(reports);
    // A Redis that restarted without its data lost the scheduler too: upsert again on every
    // reconnect (an upsert of an existing scheduler changes nothing and runs nothing extra).
    pool.on('connected', ({ reason }) => {
      if (this.currentStatus !== 'ready') return;
      this.upsertScheduler(reports).then(
        () => log.info({ reason }, 'Redis reconnected: pool-usage-report scheduler upserted again'),
        (err: Error) =>
          log.warn({ err: err.message }, 'pool-usage-report scheduler not upserted after reconnect'),
      );
    });
    const instruments = registerWorkerMetrics(this.registry);
    const reportWorker = new Worker(REPORTS_QUEUE, (job: Job) => this.runScheduledReport(job), {
      connection: this.bullmqConnection(pool),
      prefix,
      concurrency: 1,
    });
    const notificationWorker = new Worker(
      NOTIFICATIONS_QUEUE,
      createNotificationProcessor(this.transport!, log),
      { connection: this.bullmqConnection(pool), prefix, concurrency: config.notificationConcurrency },
    );
    for (const worker of [reportWorker, notificationWorker]) {
      this.workers.push(worker);
      worker.on('error', (err) => this.backgroundError(err, `worker ${worker.name}`));
      instruments.observe(worker);
    }
    await Promise.all(this.workers.map((w) => w.waitUntilReady()));
  }

  private async upsertScheduler(reports: Queue): Promise<void> {
    await reports.upsertJobScheduler(
      POOL_USAGE_REPORT,
      { every: this.config.reportIntervalMs },
      {
        name: POOL_USAGE_REPORT,
        data: {},
        opts: { attempts: 1, removeOnComplete: { count: 100 }, removeOnFail: { count: 100 } },
      },
    );
  }

  private async runScheduledReport(job: Job): Promise<{ processes: number; warnings: number }> {
    if (job.name !== POOL_USAGE_REPORT) throw new Error(`unknown job ${job.name} on ${REPORTS_QUEUE}`);
    try {
      const report = await this.runReport(scheduledSlot(job));
      this.emit('reported', report);
      return { processes: report.totals.processes, warnings: report.warnings.length };
    } catch (err) {
      this.log.error({ err: (err as Error).message, jobId: job.id }, 'pool-usage-report failed');
      throw err;
    }
  }

  /** One report run: computed, stored in the stream, and written through to the cache. */
  private async runReport(scheduledAt: number | null): Promise<PoolUsageReport> {
    const report = await runPoolUsageReport(this.reportContext!, scheduledAt);
    await this.latestReport?.remember(report);
    return report;
  }

  /** Logs a background error; the same one again within 10 s is counted, not logged (reconnect storms). */
  private backgroundError(err: Error, where: string): void {
    const key = `${where}\u0000${err.message}`;
    const now = Date.now();
    const seen = this.recentErrors.get(key);
    if (seen !== undefined && now - seen.at < 10_000) {
      seen.suppressed++;
    } else {
      this.log.warn(
        { err: err.message, where, ...(seen?.suppressed ? { suppressed: seen.suppressed } : {}) },
        'background error',
      );
      this.recentErrors.set(key, { at: now, suppressed: 0 });
      if (this.recentErrors.size > 100) this.recentErrors.clear();
    }
    if (this.listenerCount('error') > 0) this.emit('error', err);
  }

  /**
   * Every step has a deadline: with Redis down, BullMQ's `close()` and ioredis' `quit()` would
   * otherwise wait for a reconnect that may never come.
   */
  private async shutDown(graceMs: number): Promise<void> {
    if (this.currentStatus === 'closed') return;
    const { log } = this;
    const started = Date.now();
    const wasReady = this.currentStatus === 'ready';
    if (wasReady) {
      this.setStatus('draining');
      log.info(
        { event: 'worker-stopping', graceMs },
        `worker stopping: finishing running jobs (up to ${graceMs} ms)`,
      );
    }
    const step = async (what: string, work: () => Promise<unknown> | undefined, deadlineMs: number) => {
      const done = await settleWithin(work(), deadlineMs);
      if (!done) log.warn({ step: what, deadlineMs }, `shutdown: ${what} did not finish in time; going on`);
      return done;
    };
    await step('heartbeat stop', () => this.heartbeat?.stop(), 1_000);
    const closing = Promise.all(this.workers.map((w) => w.close()));
    if (!(await settleWithin(closing, graceMs))) {
      log.warn(
        { graceMs },
        'jobs still running at the shutdown deadline: cancelling them (they will be retried)',
      );
      for (const w of this.workers) w.cancelAllJobs('worker shutting down');
      // After a Redis outage BullMQ can take a few seconds to leave its retry delays.
      await step('workers close', () => closing, 5_000);
    }
    await step('queues close', () => Promise.all(this.queues.map((q) => q.close())), 1_000);
    await step('transport close', () => this.transport?.close?.(), 1_000);
    await Promise.all(
      this.connections.map(async (c) => {
        if (!(await settleWithin(c.quit(), 500))) c.disconnect();
      }),
    );
    await step('pool close', () => this.poolInstance?.close({ timeoutMs: 2_000 }), 3_000);
    await step('cache pool close', () => this.cachePool?.close({ timeoutMs: 1_000 }), 2_000);
    await step('http close', () => this.ops?.close(), 1_000);
    this.setStatus('closed');
    if (wasReady) log.info({ event: 'worker-stopped', ms: Date.now() - started }, 'worker stopped');
  }

  private setStatus(next: WorkerStatus): void {
    const previous = this.currentStatus;
    if (previous === next) return;
    this.currentStatus = next;
    this.log.debug({ from: previous, to: next }, 'status');
    this.emit('status', next);
    (this.emit as (event: WorkerStatus) => boolean)(next);
  }
}

/** Resolves true when `work` settles (either way) within `ms`, false when the deadline passes first. */
async function settleWithin(work: Promise<unknown> | undefined, ms: number): Promise<boolean> {
  if (work === undefined) return true;
  let timer: NodeJS.Timeout | undefined;
  const settled = work.then(
    () => true,
    () => true,
  );
  try {
    return await Promise.race([
      settled,
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Creates a worker; nothing is opened until `start()`. */
export function createWorkerApp(options: WorkerAppOptions): WorkerApp {
  return new WorkerApp(options);
}
