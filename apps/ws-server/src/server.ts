import { EventEmitter } from 'node:events';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo, Socket as NetSocket } from 'node:net';
import { createCodec } from '@redpool/codec';
import { createLogger, type Heartbeat, type Pool, redactUrl, startHeartbeat } from '@redpool/pool';
import { createPublisher, type Publisher, StreamKeys } from '@redpool/realtime';
import type { Logger } from 'pino';
import { type Namespace, type Socket, Server as SocketIoServer } from 'socket.io';
import { authenticate } from './auth/authentication.js';
import {
  type Authorizer,
  type ChatMembership,
  createDefaultAuthorizer,
  type User,
} from './auth/authorization.js';
import { createMembershipLookup, type MembershipLookup } from './auth/membership.js';
import { ChannelHub, type Subscription } from './channels/channel-hub.js';
import { Fanout } from './channels/fanout.js';
import { negotiateFanoutMode } from './channels/fanout-mode.js';
import { channelRules, validateConfig, type WsConfig } from './config/config.js';
import { ClientRequests } from './connections/client-requests.js';
import { Connection } from './connections/connection.js';
import { ConnectionTracker } from './connections/connection-tracker.js';
import { Drain, type DrainOutcome } from './connections/drain.js';
import {
  type EngineInternals,
  type EngineSession,
  forceClose,
  guardSessions,
  watchSessions,
} from './connections/engine-sessions.js';
import { checkedParser } from './connections/packet-decoder.js';
import { withTimeout } from './deadline.js';
import { describeAddress, type ListenAddress, listen, listenAddress } from './http/listen-address.js';
import { OperationsAccess } from './http/operations-access.js';
import { answerParseErrors, createRequestHandler } from './http/request-handler.js';
import { WsMetrics } from './metrics/metrics.js';
import { RedisHealth } from './redis/redis-health.js';
import { createServerPool } from './redis/redis-pool.js';
import type { DrainStatus, WsServerEvents, WsServerStatus, WsStats } from './status.js';

export type { DrainStatus, WsServerEvents, WsServerStatus, WsStats } from './status.js';

/** Options of {@link createWsServer}. */
export interface WsServerOptions {
  config: WsConfig;
  /** @defaultValue a pino logger at `config.logLevel` with redpool's redaction rules */
  logger?: Logger;
  /** Replaces the whole channel policy. @defaultValue {@link createDefaultAuthorizer}(chatMembership) */
  authorize?: Authorizer;
  /** Chat room membership for the default policy. @defaultValue the token's `rooms` claim, else open */
  chatMembership?: ChatMembership;
  /**
   * Run as a worker of the supervisor (`WS_WORKERS`): do not listen (the supervisor hands
   * connections in with {@link WsServer.acceptConnection}), start every Engine.IO session id with
   * `sessionIdPrefix` so the supervisor routes a session's requests to this process, and close
   * HTTP connections after each response so every request is routed by the supervisor.
   */
  worker?: { sessionIdPrefix: string };
}

/**
 * Messages published by clients are stored lz4-compressed only from this size: lz4 almost never
 * shrinks a single chat message of a few hundred bytes, and each would pay a compression attempt
 * (docs/benchmarks.md, codec). Every reader decodes either form.
 */
const HISTORY_COMPRESS_MIN_BYTES = 512;

/**
 * The Socket.IO gateway: authenticated connections, channel subscriptions with recovery, publishes
 * into the channels' bounded histories, fan-out across instances through the redis-adapter, limits,
 * and the operations endpoints — all on one HTTP port.
 * @example
 * const server = createWsServer({ config: loadConfig(process.env) });
 * const { url } = await server.start();
 * process.once('SIGTERM', () => void server.stop());
 */
export class WsServer extends EventEmitter<WsServerEvents> {
  readonly config: WsConfig;
  readonly log: Logger;
  /** Live connections by socket id. */
  readonly connections = new Map<string, Connection<Subscription>>();
  private currentStatus: WsServerStatus = 'idle';
  private readyState = false;
  private startedAt = 0;
  private authorize: Authorizer;
  /** Policy given in code: `WS_MEMBERSHIP_URL` does not replace it. */
  private readonly policyGiven: boolean;
  private membership: MembershipLookup | undefined;
  private pool: Pool | undefined;
  private publisherInstance: Publisher | undefined;
  private fanout: Fanout | undefined;
  private hub: ChannelHub | undefined;
  private metricsInstance: WsMetrics | undefined;
  private io: SocketIoServer | undefined;
  private http: HttpServer | undefined;
  private operationsHttp: HttpServer | undefined;
  private health: RedisHealth | undefined;
  private requests: ClientRequests | undefined;
  private heartbeat: Heartbeat | undefined;
  private drainRun: Promise<DrainOutcome | undefined> | undefined;
  private activeDrain: Drain<EngineSession> | undefined;
  private teardownRun: Promise<void> | undefined;
  /** Live connections by type (Engine.IO sessions by transport, HTTP requests in flight). */
  readonly tracker = new ConnectionTracker();
  private readonly sessionConnections = new WeakMap<EngineSession, Connection<Subscription>>();
  private readonly worker: { sessionIdPrefix: string } | undefined;

  constructor(options: WsServerOptions) {
    super();
    this.config = validateConfig(options.config);
    this.log = (options.logger ?? createLogger({ name: 'ws-server', level: this.config.logLevel })).child({
      instance: this.config.instanceId,
    });
    this.authorize = options.authorize ?? createDefaultAuthorizer(options.chatMembership);
    this.policyGiven = options.authorize !== undefined || options.chatMembership !== undefined;
    this.worker = options.worker;
  }

  get status(): WsServerStatus {
    return this.currentStatus;
  }

  /** True while running with Redis reachable (what `/readyz` reports). */
  get ready(): boolean {
    return this.readyState;
  }

  /** The Prometheus metrics (available after `start()`). */
  get metrics(): WsMetrics {
    if (!this.metricsInstance) throw new Error('ws-server not started');
    return this.metricsInstance;
  }

  /** The channel publisher this server uses (available after `start()`). */
  get publisher(): Publisher {
    if (!this.publisherInstance) throw new Error('ws-server not started');
    return this.publisherInstance;
  }

  /** The Socket.IO server (available after `start()`). */
  get socketServer(): SocketIoServer {
    if (!this.io) throw new Error('ws-server not started');
    return this.io;
  }

  /**
   * Where the server listens (for a supervisor's worker: where the supervisor listens): `host` is
   * the bound address, `url` one that reaches it from this machine.
   */
  get address(): ListenAddress {
    if (this.worker) return listenAddress(this.config.host, this.config.port);
    const address = this.http?.address() as AddressInfo | null | undefined;
    if (!address) throw new Error('ws-server not listening');
    return listenAddress(address.address, address.port);
  }

  /** Where the operations listener (`WS_ADMIN_PORT`) listens; undefined without one. */
  get operationsAddress(): ListenAddress | undefined {
    const address = this.operationsHttp?.address() as AddressInfo | null | undefined;
    return address ? listenAddress(address.address, address.port) : undefined;
  }

  /**
   * Connects to Redis (every connection through one pool), detects the adapter, and listens.
   * @throws pool errors (`POOL_ERR_CONNECTION`…) when Redis is unreachable at start-up.
   */
  async start(): Promise<ListenAddress> {
    if (this.currentStatus !== 'idle')
      throw new Error(`ws-server cannot start from status ${this.currentStatus}`);
    this.setStatus('starting');
    const config = this.config;
    try {
      const pool = createServerPool(config, this.log);
      this.pool = pool;
      await pool.connect();
      const keys = new StreamKeys(config.keyPrefix, config.adapterPrefix, config.namespace);
      const mode = await negotiateFanoutMode(pool, keys, config.fanout, this.log);
      const publisher = createPublisher(pool, {
        channels: channelRules(config),
        keyPrefix: config.keyPrefix,
        adapterPrefix: config.adapterPrefix,
        namespace: config.namespace,
        fanout: mode,
        metaTtlMs: config.metaTtlMs,
        maxPayloadBytes: config.maxPayloadBytes,
        codec: createCodec({ compressMinBytes: HISTORY_COMPRESS_MIN_BYTES }),
      });
      this.publisherInstance = publisher;
      const metrics = new WsMetrics(
        {
          connections: () => this.tracker.snapshot(),
          subscriptions: () => this.hub?.subscriptionCount ?? 0,
          channels: () => this.hub?.size ?? 0,
          ready: () => this.readyState,
          drain: () => ({
            draining: this.activeDrain !== undefined,
            startedAtMs: this.activeDrain?.startedAt ?? 0,
            graceSeconds: config.drainGraceSeconds,
          }),
        },
        pool,
      );
      this.metricsInstance = metrics;
      if (this.policyGiven && config.membershipUrl !== '')
        this.log.warn('WS_MEMBERSHIP_URL is not used: the policy given in code decides chat membership');
      this.membership = this.policyGiven
        ? undefined
        : await createMembershipLookup(config, this.log, metrics.registry);
      if (this.membership) this.authorize = createDefaultAuthorizer(this.membership.membership);
      const hub = new ChannelHub({
        publisher,
        metrics,
        log: this.log,
        recoveryMaxMessages: config.recoveryMaxMessages,
      });
      this.hub = hub;
      this.fanout = await Fanout.create({
        pool,
        mode,
        keys,
        log: this.log,
        onMessage: (d) => hub.onMessage(d),
      });
      const health = new RedisHealth({
        pool,
        fanout: this.fanout,
        hub,
        announcement: { key: keys.fanoutMode(), mode },
        running: () => this.currentStatus === 'running',
        setReady: (ready) => this.setReady(ready),
      });
      this.health = health;
      this.requests = new ClientRequests({
        config,
        hub,
        publisher,
        fanout: this.fanout,
        metrics,
        log: this.log,
        authorize: this.authorize,
        redisAvailable: () => health.redisAvailable,
      });

      const access = new OperationsAccess(config);
      const http = createServer(createRequestHandler(this, access));
      this.http = http;
      answerParseErrors(http);
      if (config.tcpKeepAliveMs > 0)
        http.on('connection', (socket: NetSocket) => socket.setKeepAlive(true, config.tcpKeepAliveMs));
      const io = new SocketIoServer(http, {
        adapter: this.fanout.adapter as never,
        maxHttpBufferSize: config.maxFrameBytes,
        parser: checkedParser,
        pingInterval: config.pingIntervalMs,
        pingTimeout: config.pingTimeoutMs,
        serveClient: true,
      });
      this.io = io;
      const engine = io.engine as unknown as EngineInternals;
      watchSessions(engine, this.tracker, this.worker?.sessionIdPrefix);
      guardSessions(http, {
        enginePath: `${io.path()}/`,
        refusing: () => this.currentStatus === 'draining' || this.currentStatus === 'stopping',
        closeEveryResponse: this.worker !== undefined,
        onRefused: () => this.metricsInstance?.refused('WS_ERR_DRAINING'),
      });
      const nsp = io.of(config.namespace);
      this.attach(nsp);
      if (!this.worker) {
        await listen(http, config.port, config.host);
        // In a supervisor's worker the supervisor serves the operations endpoints (whole server).
        if (config.adminPort !== null) {
          this.operationsHttp = createServer(createRequestHandler(this, access, 'operations'));
          answerParseErrors(this.operationsHttp);
          await listen(this.operationsHttp, config.adminPort, config.adminHost);
        }
      }
      this.startedAt = Date.now();
      this.setStatus('running');
      this.setReady(true);
      health.start();
      this.heartbeat = startHeartbeat(pool, { app: 'ws-server', pools: this.pools(), logger: this.log });
      const url = this.worker ? undefined : this.address.url;
      this.log.info(
        {
          url,
          host: this.worker ? undefined : this.address.host,
          operations: this.operationsAddress?.url,
          fanout: mode,
          redis:
            config.redisClusterNodes.length > 0
              ? config.redisClusterNodes.join(',')
              : redactUrl(config.redisUrl),
          channels: publisher.options.channels.toString(),
        },
        this.worker ? 'ws-server worker ready' : `ws-server listening on ${describeAddress(this.address)}`,
      );
      return this.address;
    } catch (err) {
      await this.teardown();
      this.setStatus('stopped');
      throw err;
    }
  }

  /**
   * Stops at once: closes every connection (clients see a transport close and reconnect
   * elsewhere), the HTTP server and, through the pool, every Redis connection. See
   * {@link WsServer.drain} for the graceful way.
   */
  async stop(): Promise<void> {
    if (this.currentStatus === 'stopped' || this.currentStatus === 'stopping') return this.teardownRun;
    this.setStatus('stopping');
    this.setReady(false);
    await this.teardown();
    this.setStatus('stopped');
  }

  /**
   * Graceful drain (what SIGTERM and SIGINT do): `/readyz` turns 503 at once and new Engine.IO
   * sessions are refused with 503 + `Retry-After`; connected clients get `closing`
   * (`WS_ERR_DRAINING`) and a transport-level close in batches, so Socket.IO clients reconnect —
   * to another instance — by themselves and recover what they missed; progress is logged every
   * 5 s. After `graceSeconds` whoever is left is closed. Then Redis is closed through the pool.
   * Resolves when the server is stopped; calling it again returns the same promise.
   */
  drain(options: { graceSeconds?: number } = {}): Promise<DrainOutcome | undefined> {
    if (this.drainRun) return this.drainRun;
    if (this.currentStatus !== 'running') return this.stop().then(() => undefined);
    this.drainRun = this.runDrain(options.graceSeconds ?? this.config.drainGraceSeconds);
    return this.drainRun;
  }

  /** What `/drain` returns. */
  drainStatus(): DrainStatus {
    const drain = this.activeDrain;
    return {
      draining: drain !== undefined,
      active: this.tracker.snapshot(),
      graceSecondsRemaining: drain ? drain.secondsRemaining : null,
      gracePeriodSeconds: this.config.drainGraceSeconds,
      startedAt: drain ? new Date(drain.startedAt).toISOString() : null,
    };
  }

  /**
   * Serves a connection the supervisor accepted (worker mode): `head` is what the supervisor
   * already read from it (the start of the first request).
   */
  acceptConnection(socket: NetSocket, head: Buffer): void {
    if (!this.http || this.currentStatus === 'stopped') {
      socket.destroy();
      return;
    }
    if (head.length > 0) socket.unshift(head);
    this.http.emit('connection', socket);
    socket.resume();
  }

  private async runDrain(graceSeconds: number): Promise<DrainOutcome> {
    this.setStatus('draining');
    this.setReady(false);
    // Off the fleet report at once: this process is going away.
    void this.heartbeat?.stop();
    this.heartbeat = undefined;
    const engine = this.io!.engine as unknown as EngineInternals;
    const drain = new Drain<EngineSession>(
      {
        tracker: this.tracker,
        log: this.log,
        sessions: () => Object.values(engine.clients),
        ask: (session) => this.askToReconnect(session),
        force: (session) => forceClose(session),
      },
      {
        graceSeconds,
        batchSize: this.config.drainBatchSize,
        batchIntervalMs: this.config.drainBatchIntervalMs,
      },
    );
    this.activeDrain = drain;
    const outcome = await drain.start();
    const forced = outcome.forced.websocket + outcome.forced.polling;
    this.log.info(
      { durationMs: outcome.durationMs, asked: outcome.asked, forced },
      `Drain done in ${(outcome.durationMs / 1000).toFixed(1)} s (${outcome.asked} asked to reconnect, ${forced} closed at the deadline); closing Redis`,
    );
    this.setStatus('stopping');
    await this.teardown();
    this.activeDrain = undefined;
    this.setStatus('stopped');
    return outcome;
  }

  /** Tells one session to reconnect elsewhere: `closing`, then a transport-level close. */
  private askToReconnect(session: EngineSession): void {
    const connection = this.sessionConnections.get(session);
    if (connection)
      connection.close(
        'WS_ERR_DRAINING',
        'this instance is shutting down: reconnect (to another instance) and recover what you missed',
        true,
      );
    else session.close();
  }

  /** Snapshot for `/stats`. */
  stats(): WsStats {
    const counts = this.tracker.snapshot();
    return {
      instance: this.config.instanceId,
      status: this.currentStatus,
      ready: this.readyState,
      fanout: this.fanout?.mode ?? null,
      uptimeSeconds: this.startedAt ? Math.round((Date.now() - this.startedAt) / 1000) : 0,
      connections: { total: counts.websocket + counts.polling, ...counts },
      subscriptions: this.hub?.subscriptionCount ?? 0,
      channels: this.hub?.size ?? 0,
      drain: this.drainStatus(),
      pools: this.pools().map((p) => p.stats()),
    };
  }

  /** The core pool and, with a membership source, the cache Redis' pool. */
  private pools(): Pool[] {
    return [this.pool, this.membership?.pool].filter((p): p is Pool => p !== undefined);
  }

  private attach(nsp: Namespace): void {
    nsp.use(authenticate(this.config, (code) => this.metrics.refused(code)));
    nsp.on('connection', (socket) => this.onConnection(socket));
  }

  private onConnection(socket: Socket): void {
    const user = socket.data.user as User;
    const connection = new Connection<Subscription>(socket, user, this.config, this.log, (code, channel) =>
      this.metrics.refused(code, channel === undefined ? undefined : this.dropPattern(channel)),
    );
    this.connections.set(socket.id, connection);
    this.sessionConnections.set(socket.conn as unknown as EngineSession, connection);
    connection.expireAt(socket.data.expiresAt as number, this.config.jwtClockToleranceSeconds);
    socket.onAny((event: unknown, ...args: unknown[]) => {
      void this.requests?.dispatch(connection, event, args);
    });
    socket.on('disconnect', (reason) => {
      this.connections.delete(socket.id);
      connection.dispose();
      for (const subscription of [...connection.subscriptions.values()]) this.hub?.remove(subscription);
      this.log.debug({ socket: socket.id, user: user.id, reason }, 'disconnected');
    });
    this.log.debug({ socket: socket.id, user: user.id, transport: connection.transport }, 'connected');
  }

  /** The drops' `pattern` label of a channel: its configured pattern, or `other`. */
  private dropPattern(channel: string): string | undefined {
    const publisher = this.publisherInstance;
    if (!publisher || !this.requests) return undefined;
    return this.requests.dropPattern(publisher.options.channels.match(channel));
  }

  private setReady(ready: boolean): void {
    if (ready === this.readyState) return;
    this.readyState = ready;
    if (this.currentStatus === 'running' || this.currentStatus === 'stopping') {
      if (ready) this.log.info('ready: Redis reachable');
      else if (this.currentStatus === 'running') this.log.warn('not ready: Redis unreachable');
    } else if (this.currentStatus === 'draining') this.log.info('not ready: draining');
    this.emit('readinessChanged', ready);
  }

  private setStatus(next: WsServerStatus): void {
    const previous = this.currentStatus;
    if (previous === next) return;
    this.currentStatus = next;
    this.log.debug({ from: previous, to: next }, 'status');
    process.nextTick(() => this.emit('status', next));
  }

  private teardown(): Promise<void> {
    this.teardownRun ??= this.closeEverything();
    return this.teardownRun;
  }

  private async closeEverything(): Promise<void> {
    this.health?.stop();
    const heartbeat = this.heartbeat;
    this.heartbeat = undefined;
    if (heartbeat) await withTimeout(heartbeat.stop(), 1_000).catch(() => undefined);
    const io = this.io;
    if (io) {
      await withTimeout(
        new Promise<void>((resolve) => {
          void io.close(() => resolve());
        }),
        5_000,
      ).catch(() => this.http?.closeAllConnections());
    } else if (this.http?.listening) {
      await new Promise<void>((resolve) => this.http!.close(() => resolve()));
    }
    this.http?.closeAllConnections();
    const operations = this.operationsHttp;
    if (operations?.listening) {
      operations.closeAllConnections();
      await new Promise<void>((resolve) => operations.close(() => resolve()));
    }
    await this.fanout?.close().catch(() => undefined);
    // Bounded: a Redis that stops answering mid-close must not hold the shutdown up.
    if (this.membership)
      await withTimeout(this.membership.pool.close({ timeoutMs: 1_000 }), 2_000).catch(() => undefined);
    if (this.pool)
      await withTimeout(this.pool.close({ timeoutMs: 2_000 }), 3_000).catch((err: unknown) =>
        this.log.warn({ err: (err as Error).message }, 'Redis connections not closed cleanly'),
      );
  }
}

/**
 * Creates a ws-server; the configuration is validated now (see `loadConfig` for the environment).
 */
export function createWsServer(options: WsServerOptions): WsServer {
  return new WsServer(options);
}
