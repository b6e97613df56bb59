import cluster, { type Worker } from 'node:cluster';
import { createServer, type Server, type Socket } from 'node:net';
import { createLogger } from '@redpool/pool';
import type { Logger } from 'pino';
import type { WsConfig } from './config.js';
import { createWsServer, type WsServer } from './server.js';

/** Messages between the supervisor and its workers. */
type ToWorker = { type: 'redpool:connection'; head: string } | { type: 'redpool:drain' };
type ToSupervisor = { type: 'redpool:ready' } | { type: 'redpool:draining' };

/** The prefix of every Engine.IO session id of worker `id`: the supervisor routes by it. */
export function sessionIdPrefix(workerId: number): string {
  return `w${workerId}.`;
}

/** The worker a request belongs to, from the `sid` of its request line; undefined for a new session. */
export function workerOfRequestLine(line: string): number | undefined {
  const sid = /[?&]sid=w(\d+)\./.exec(line.split(' ', 2)[1] ?? '');
  return sid ? Number(sid[1]) : undefined;
}

/** Longest request line the supervisor reads before routing. */
const MAX_HEAD_BYTES = 8 * 1024;
/** A connection that sends no request line within this is closed. */
const HEAD_TIMEOUT_MS = 10_000;
/** Delay before a crashed worker of the current generation is replaced. */
const RESPAWN_DELAY_MS = 1_000;

interface WorkerState {
  worker: Worker;
  generation: number;
  ready: boolean;
  draining: boolean;
}

/** Events a {@link Supervisor} logs and tests wait for. */
export type SupervisorStatus = 'starting' | 'running' | 'restarting' | 'stopping' | 'stopped';

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
 */
export class Supervisor {
  private readonly workers = new Map<number, WorkerState>();
  private generation = 0;
  private next = 0;
  private server: Server | undefined;
  private status: SupervisorStatus = 'starting';
  private restarting = false;
  private forceTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly config: WsConfig,
    private readonly log: Logger = createLogger({ name: 'ws-supervisor', level: config.logLevel }),
    private readonly script?: string,
  ) {}

  /** Forks the first generation, waits until it is ready, then listens. */
  async start(): Promise<{ url: string }> {
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
    this.status = 'running';
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : this.config.port;
    const host = this.config.host === '0.0.0.0' || this.config.host === '::' ? '127.0.0.1' : this.config.host;
    const url = `http://${host}:${port}`;
    this.log.info(
      { url, workers: this.config.workers, generation: 1 },
      `ws-server supervisor listening on ${url} (${this.config.workers} workers; SIGHUP restarts them)`,
    );
    return { url };
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
        if (state.generation === generation) state.worker.process.kill('SIGKILL');
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
    this.status = 'stopped';
    this.log.info('stopped');
  }

  /** Kills every worker at once (a second signal). */
  kill(): void {
    for (const state of this.workers.values()) state.worker.process.kill('SIGKILL');
  }

  private async startGeneration(generation: number): Promise<void> {
    const forked = Array.from({ length: this.config.workers }, () => this.fork(generation));
    await Promise.all(forked.map((state) => this.whenReady(state)));
  }

  private fork(generation: number): WorkerState {
    const worker = cluster.fork({ WS_SUPERVISOR_GENERATION: String(generation) });
    const state: WorkerState = { worker, generation, ready: false, draining: false };
    this.workers.set(worker.id, state);
    worker.on('message', (message: ToSupervisor) => {
      if (message?.type === 'redpool:ready') {
        state.ready = true;
        this.log.info({ worker: worker.id, pid: worker.process.pid, generation }, 'worker ready');
      }
    });
    return state;
  }

  private whenReady(state: WorkerState): Promise<void> {
    const { worker } = state;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`worker ${worker.id} not ready within ${this.config.workerReadyTimeoutMs} ms`));
      }, this.config.workerReadyTimeoutMs);
      const onMessage = (message: ToSupervisor) => {
        if (message?.type !== 'redpool:ready') return;
        cleanup();
        resolve();
      };
      const onExit = (code: number | null, signal: string | null) => {
        cleanup();
        reject(new Error(`worker ${worker.id} exited before it was ready (code ${code}, signal ${signal})`));
      };
      const cleanup = () => {
        clearTimeout(timer);
        worker.off('message', onMessage);
        worker.off('exit', onExit);
      };
      worker.on('message', onMessage);
      worker.once('exit', onExit);
    });
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
    const expected = state.draining || this.status === 'stopping';
    const fields = { worker: worker.id, pid: worker.process.pid, generation: state.generation, code, signal };
    if (expected) {
      this.log.info(fields, 'worker exited after draining');
      return;
    }
    this.log.error(fields, 'worker exited unexpectedly');
    // A crashed worker of the serving generation is replaced; its clients reconnect and recover.
    if (state.ready && state.generation === this.generation && this.status !== 'stopped')
      setTimeout(() => {
        if (this.status === 'running' || this.status === 'restarting') {
          const replacement = this.fork(state.generation);
          void this.whenReady(replacement).catch((err: Error) =>
            this.log.error({ err: err.message }, 'replacement worker not ready'),
          );
        }
      }, RESPAWN_DELAY_MS).unref();
  }

  /** Reads the request line, then hands the connection to the worker it belongs to. */
  private route(socket: Socket): void {
    socket.on('error', () => undefined);
    let head: Buffer = Buffer.alloc(0);
    const timer = setTimeout(() => socket.destroy(), HEAD_TIMEOUT_MS);
    const onData = (chunk: Buffer) => {
      head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n');
      if (end < 0 && head.length < MAX_HEAD_BYTES) return;
      socket.off('data', onData);
      socket.pause();
      clearTimeout(timer);
      const line = head.subarray(0, end < 0 ? head.length : end).toString('latin1');
      const target = this.pick(workerOfRequestLine(line));
      if (!target) {
        socket.destroy();
        return;
      }
      // Handing the socket over happens in this tick: nothing more is read here.
      this.send(target.worker, { type: 'redpool:connection', head: head.toString('base64') }, socket);
    };
    socket.on('data', onData);
    socket.once('close', () => clearTimeout(timer));
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

/**
 * The worker side: starts a ws-server that does not listen, serves the connections the
 * supervisor hands in, and drains on `redpool:drain` (or SIGTERM/SIGINT) then exits 0.
 */
export async function runWorker(config: WsConfig): Promise<WsServer> {
  const worker = cluster.worker;
  if (!worker) throw new Error('runWorker() must run in a cluster worker');
  const generation = Number(process.env.WS_SUPERVISOR_GENERATION ?? 1);
  const server = createWsServer({
    config: { ...config, instanceId: `${config.instanceId}-w${worker.id}` },
    worker: { sessionIdPrefix: sessionIdPrefix(worker.id) },
  });
  const drainAndExit = () => {
    void server.drain().then(
      () => process.exit(0),
      (err: unknown) => {
        server.log.error({ err: (err as Error).message }, 'drain failed');
        process.exit(1);
      },
    );
  };
  process.on('message', (message: ToWorker, handle: unknown) => {
    if (message?.type === 'redpool:connection') {
      if (handle) server.acceptConnection(handle as Socket, Buffer.from(message.head, 'base64'));
    } else if (message?.type === 'redpool:drain') {
      process.send?.({ type: 'redpool:draining' } satisfies ToSupervisor);
      drainAndExit();
    }
  });
  // A terminal's SIGHUP reaches the whole process group: only the supervisor acts on it.
  process.on('SIGHUP', () => undefined);
  let signalled = false;
  for (const signal of ['SIGTERM', 'SIGINT'] as const)
    process.on(signal, () => {
      if (signalled) process.exit(1);
      signalled = true;
      drainAndExit();
    });
  await server.start();
  server.log.info({ worker: worker.id, generation }, 'worker serving');
  process.send?.({ type: 'redpool:ready' } satisfies ToSupervisor);
  return server;
}
