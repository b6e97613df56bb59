import cluster, { type Worker } from 'node:cluster';
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { createLogger } from '@redpool/pool';
import type { Logger } from 'pino';
import type { WsConfig } from '../config/config.js';
import { describeAddress, type ListenAddress, listenAddress } from '../http/listen-address.js';
import { OperationsAccess } from '../http/operations-access.js';
import { CumulativeLedger } from './cumulative-ledger.js';
import { readRequestLine, stopReading, workerOfRequestLine } from './request-line.js';
import { isSupervisorEndpoint, SupervisorEndpoints } from './supervisor-endpoints.js';
import type { ToSupervisor, ToWorker } from './supervisor-messages.js';
import { SupervisorMetrics, type WorkerRole } from './supervisor-metrics.js';
import type { SupervisorStatus } from './supervisor-status.js';
import { type SupervisedWorker, WholeServer } from './whole-server.js';
import { whenWorkerReady } from './worker-ready.js';
import { WorkerReports } from './worker-reports.js';

/** The prefix of every Engine.IO session id of worker `id`: the supervisor routes by it. */
export function sessionIdPrefix(workerId: number): string {
  return `w${workerId}.`;
}

/** Delay before a crashed worker of the current generation is replaced. */
const RESPAWN_DELAY_MS = 1_000;
/** Longest delay between replacements that keep dying before they are ready (doubling from 1 s). */
const MAX_RESPAWN_DELAY_MS = 30_000;

interface WorkerState {
  worker: Worker;
  generation: number;
  ready: boolean;
  draining: boolean;
  /** Forked to replace a crashed worker. */
  replacement: boolean;
  /** Replacements in a row that died before they were ready, this one's predecessors. */
  failedReplacements: number;
  /** Killed because the restart it belonged to failed. */
  aborted: boolean;
}

export type { SupervisorStatus } from './supervisor-status.js';

/**
 * Zero-downtime restarts for the ws-server: the node:cluster primary holds the listening socket
 * and hands every accepted connection to a worker. It reads the request line first: a request of
 * an existing Engine.IO session (`sid=w<worker>.…`) goes to the worker that owns the session — so
 * long-polling works without sticky sessions at the load balancer — and anything else (a new
 * session, a WebSocket, the endpoints) goes round-robin to a ready worker of the current
 * generation. `SIGHUP` forks a new generation, waits until every new worker is ready (Redis
 * connected, adapter subscribed), switches new connections to it, then drains the old one: no
 * connection attempt is refused and clients move over with their messages recovered.
 * `SIGTERM`/`SIGINT` drain every worker and exit 0 when they are gone; a second one kills them.
 * `/metrics`, `/stats` and `/drain` are answered by the supervisor itself for the whole server
 * (see {@link WholeServer}); counters keep the counts of workers that are gone.
 */
export class Supervisor {
  private readonly workers = new Map<number, WorkerState>();
  private generation = 0;
  private next = 0;
  private server: Server | undefined;
  private status: SupervisorStatus = 'starting';
  private restarting = false;
  private forceTimer: NodeJS.Timeout | undefined;
  private startedAt = Date.now();
  private readonly reports = new WorkerReports();
  private readonly ledger = new CumulativeLedger();
  private readonly metrics: SupervisorMetrics;
  private readonly endpoints: SupervisorEndpoints;

  constructor(
    private readonly config: WsConfig,
    private readonly log: Logger = createLogger({ name: 'ws-supervisor', level: config.logLevel }),
    private readonly script?: string,
  ) {
    this.metrics = new SupervisorMetrics({
      roles: () => [...this.workers.values()].map(roleOf),
      generation: () => this.generation,
      configured: () => config.workers,
    });
    const whole = new WholeServer({
      view: {
        config,
        status: () => this.status,
        generation: () => this.generation,
        startedAt: () => this.startedAt,
        workers: () => this.supervisedWorkers(),
      },
      reports: this.reports,
      ledger: this.ledger,
      metrics: this.metrics,
    });
    this.endpoints = new SupervisorEndpoints(whole, new OperationsAccess(config), log);
  }

  /**
   * Forks the first generation, waits until it is ready, then listens (and opens the operations
   * listener, with `WS_ADMIN_PORT`).
   */
  async start(): Promise<{ address: ListenAddress; operations?: ListenAddress; url: string }> {
    if (this.script) cluster.setupPrimary({ exec: this.script });
    cluster.on('exit', (worker, code, signal) => this.onExit(worker, code, signal));
    this.generation = 1;
    await this.startGeneration(1);
    const server = createServer((socket) => this.route(socket));
    this.server = server;
    server.on('error', (err) => this.log.error({ err: err.message }, 'supervisor listener error'));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.config.port, this.config.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const bound = server.address() as AddressInfo;
    const address = listenAddress(bound.address, bound.port);
    let operations: ListenAddress | undefined;
    if (this.config.adminPort !== null) {
      const info = await this.endpoints.listenOperations(this.config.adminPort, this.config.adminHost);
      operations = listenAddress(info.address, info.port);
    }
    this.status = 'running';
    this.startedAt = Date.now();
    const url = address.url;
    this.log.info(
      { url, host: address.host, operations: operations?.url, workers: this.config.workers, generation: 1 },
      `ws-server supervisor listening on ${describeAddress(address)} with ${this.config.workers} workers (SIGHUP restarts them)`,
    );
    return { address, operations, url };
  }

  /**
   * Starts a new generation of workers and, once all are ready, drains the old ones. If a new
   * worker fails or is not ready within `workerReadyTimeoutMs`, the new generation is stopped
   * and the old one keeps serving.
   */
  async restart(): Promise<boolean> {
    if (this.status !== 'running' || this.restarting) {
      this.log.warn({ status: this.status }, 'restart ignored: a restart or shutdown is in progress');
      return false;
    }
    this.restarting = true;
    this.status = 'restarting';
    const generation = this.generation + 1;
    const old = [...this.workers.values()].filter((w) => w.generation < generation);
    this.log.info({ generation }, `restart: starting generation ${generation}`);
    try {
      await this.startGeneration(generation);
    } catch (err) {
      this.log.error(
        { generation, err: (err as Error).message },
        `restart failed: generation ${generation} not ready; generation ${this.generation} keeps serving`,
      );
      for (const state of this.workers.values())
        if (state.generation === generation) {
          state.aborted = true;
          state.worker.process.kill('SIGKILL');
        }
      this.restarting = false;
      this.status = 'running';
      return false;
    }
    this.generation = generation;
    this.restarting = false;
    this.status = 'running';
    this.log.info(
      { generation, draining: old.map((w) => w.worker.id) },
      `restart: generation ${generation} ready; draining ${old.length} old workers`,
    );
    for (const state of old) this.drainWorker(state);
    return true;
  }

  /** Drains every worker, then closes the listener; resolves when all are gone. */
  async stop(): Promise<void> {
    if (this.status === 'stopping' || this.status === 'stopped') return;
    this.status = 'stopping';
    this.log.info({ workers: this.workers.size }, 'stopping: draining every worker');
    // Workers exit by themselves at their grace period; this is only for a wedged one.
    this.forceTimer = setTimeout(
      () => {
        for (const state of this.workers.values()) state.worker.process.kill('SIGKILL');
      },
      (this.config.drainGraceSeconds + 15) * 1000,
    );
    this.forceTimer.unref();
    for (const state of this.workers.values()) this.drainWorker(state);
    while (this.workers.size > 0) await new Promise((resolve) => cluster.once('exit', resolve));
    clearTimeout(this.forceTimer);
    // Not waiting for close's callback: it would ask the (gone) workers about the sockets they had.
    this.server?.close();
    this.endpoints.close();
    this.status = 'stopped';
    this.log.info('stopped');
  }

  /** Kills every worker at once (a second signal). */
  kill(): void {
    for (const state of this.workers.values()) state.worker.process.kill('SIGKILL');
  }

  private async startGeneration(generation: number): Promise<void> {
    const forked = Array.from({ length: this.config.workers }, () => this.fork(generation));
    await Promise.all(forked.map((state) => whenWorkerReady(state.worker, this.config.workerReadyTimeoutMs)));
  }

  private fork(generation: number, replacing?: WorkerState): WorkerState {
    const worker = cluster.fork({ WS_SUPERVISOR_GENERATION: String(generation) });
    const state: WorkerState = {
      worker,
      generation,
      ready: false,
      draining: false,
      replacement: replacing !== undefined,
      failedReplacements: replacing && !replacing.ready ? replacing.failedReplacements + 1 : 0,
      aborted: false,
    };
    this.workers.set(worker.id, state);
    worker.on('message', (message: ToSupervisor) => {
      if (this.reports.receive(message)) return;
      if (message?.type === 'redpool:final-metrics') this.ledger.record(worker.id, message.metrics);
      else if (message?.type === 'redpool:ready') {
        state.ready = true;
        this.log.info({ worker: worker.id, pid: worker.process.pid, generation }, 'worker ready');
      }
    });
    // Every message of a worker arrives before its disconnect: its final report is in by then.
    worker.once('disconnect', () => this.ledger.retire(worker.id));
    return state;
  }

  private drainWorker(state: WorkerState): void {
    if (state.draining) return;
    state.draining = true;
    this.send(state.worker, { type: 'redpool:drain' });
  }

  private onExit(worker: Worker, code: number | null, signal: string | null): void {
    const state = this.workers.get(worker.id);
    this.workers.delete(worker.id);
    if (!state) return;
    const fields = { worker: worker.id, pid: worker.process.pid, generation: state.generation, code, signal };
    // A new worker of a SIGHUP restart that never got ready: the restart fails (or failed) and
    // the old generation keeps serving. Not a crash of a serving worker, whoever ended it.
    if (state.aborted || (!state.ready && !state.replacement && state.generation > this.generation)) {
      this.metrics.workerExited('aborted');
      if (state.aborted) this.log.info(fields, 'worker of the failed restart stopped');
      else this.log.warn(fields, 'worker of the restart exited before it was ready');
      return;
    }
    const expected = state.draining || this.status === 'stopping';
    this.metrics.workerExited(expected ? 'drained' : 'crashed');
    if (expected) {
      this.log.info(fields, 'worker exited after draining');
      return;
    }
    this.log.error(fields, 'worker exited unexpectedly');
    // A crashed worker of the serving generation is replaced; its clients reconnect and recover.
    // So is a replacement that died before it was ready, with a doubling delay: the server gets
    // back to WS_WORKERS workers once the cause (Redis unreachable, say) is gone, without a busy
    // loop. A not-ready worker of a SIGHUP generation is the restart's business (it fails it).
    if (
      !(state.ready || state.replacement) ||
      state.generation !== this.generation ||
      this.status === 'stopped'
    )
      return;
    const failures = state.ready ? 0 : state.failedReplacements + 1;
    const delayMs = Math.min(MAX_RESPAWN_DELAY_MS, RESPAWN_DELAY_MS * 2 ** failures);
    if (failures > 0)
      this.log.warn(
        { ...fields, failures, delayMs },
        'replacement worker died before it was ready; replacing it again',
      );
    setTimeout(() => {
      if (this.status === 'running' || this.status === 'restarting') {
        const replacement = this.fork(state.generation, state);
        void whenWorkerReady(replacement.worker, this.config.workerReadyTimeoutMs).catch((err: Error) =>
          this.log.error({ err: err.message }, 'replacement worker not ready'),
        );
      }
    }, delayMs).unref();
  }

  /**
   * Hands a connection, by its request line, to the supervisor's own endpoints or to the worker
   * it belongs to.
   */
  private route(socket: Socket): void {
    readRequestLine(socket, (line, head) => {
      if (isSupervisorEndpoint(line)) {
        this.endpoints.accept(socket, head);
        return;
      }
      const target = this.pick(workerOfRequestLine(line));
      if (!target) {
        socket.destroy();
        return;
      }
      // In the tick of the last read: everything read so far is in `head`, the rest is the worker's.
      stopReading(socket);
      this.send(target.worker, { type: 'redpool:connection', head: head.toString('base64') }, socket);
    });
  }

  /**
   * The owner of an existing session if it is alive; else a ready worker of the current
   * generation, round-robin; while stopping, any worker (it answers 503 to new sessions).
   */
  private pick(owner: number | undefined): WorkerState | undefined {
    if (owner !== undefined) {
      const state = this.workers.get(owner);
      if (state?.worker.isConnected()) return state;
    }
    const all = [...this.workers.values()].filter((w) => w.worker.isConnected());
    let candidates = all.filter((w) => w.generation === this.generation && w.ready && !w.draining);
    if (candidates.length === 0) candidates = all.filter((w) => w.ready);
    if (candidates.length === 0) return undefined;
    this.next = (this.next + 1) % candidates.length;
    return candidates[this.next];
  }

  private supervisedWorkers(): SupervisedWorker[] {
    return [...this.workers.values()].map((state) => ({
      worker: state.worker.id,
      pid: state.worker.process.pid ?? null,
      generation: state.generation,
      role: roleOf(state),
      handle: state.worker,
    }));
  }

  private send(worker: Worker, message: ToWorker, socket?: Socket): void {
    try {
      worker.send(message, socket as never, (err: Error | null) => {
        if (err) {
          this.log.warn({ worker: worker.id, err: err.message }, 'could not reach worker');
          socket?.destroy();
        }
      });
    } catch (err) {
      this.log.warn({ worker: worker.id, err: (err as Error).message }, 'could not reach worker');
      socket?.destroy();
    }
  }
}

function roleOf(state: WorkerState): WorkerRole {
  if (!state.ready) return 'starting';
  return state.draining ? 'draining' : 'serving';
}
