import { EventEmitter } from 'node:events';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger, createPool, type Pool, type PoolStats, redactUrl } from '@redpool/pool';
import {
  createPublisher,
  detectFanoutMode,
  type FanoutMode,
  type Publisher,
  StreamKeys,
} from '@redpool/realtime';
import type { Logger } from 'pino';
import { type Namespace, type Socket, Server as SocketIoServer } from 'socket.io';
import { type Authorizer, type ChatMembership, createDefaultAuthorizer, type User } from './authorization.js';
import { ChannelHub, type Subscription } from './channel-hub.js';
import { ClientRequests } from './client-requests.js';
import { channelRules, validateConfig, type WsConfig } from './config.js';
import { Connection } from './connection.js';
import { ClientError, WsError } from './errors.js';
import { Fanout } from './fanout.js';
import { createRequestHandler } from './http.js';
import { verifyToken } from './jwt.js';
import { WsMetrics } from './metrics.js';

/** Lifecycle of a {@link WsServer}. */
export type WsServerStatus = 'idle' | 'starting' | 'running' | 'stopping' | 'stopped';

/** Events of a {@link WsServer}. */
export interface WsServerEvents {
  status: [WsServerStatus];
  /** `/readyz` flipped: Redis became unreachable (false) or reachable again (true). */
  readinessChanged: [boolean];
}

/** Options of {@link createWsServer}. */
export interface WsServerOptions {
  config: WsConfig;
  /** @defaultValue a pino logger at `config.logLevel` with redpool's redaction rules */
  logger?: Logger;
  /** Replaces the whole channel policy. @defaultValue {@link createDefaultAuthorizer}(chatMembership) */
  authorize?: Authorizer;
  /** Chat room membership for the default policy. @defaultValue the token's `rooms` claim, else open */
  chatMembership?: ChatMembership;
}

/** What `/stats` returns. */
export interface WsStats {
  instance: string;
  status: WsServerStatus;
  ready: boolean;
  fanout: FanoutMode | null;
  uptimeSeconds: number;
  connections: { total: number; websocket: number; polling: number };
  subscriptions: number;
  channels: number;
  pools: PoolStats[];
}

const HEALTH_INTERVAL_MS = 1_000;
const ANNOUNCE_EVERY_TICKS = 10;

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
  private readonly authorize: Authorizer;
  private pool: Pool | undefined;
  private publisherInstance: Publisher | undefined;
  private fanout: Fanout | undefined;
  private hub: ChannelHub | undefined;
  private metricsInstance: WsMetrics | undefined;
  private io: SocketIoServer | undefined;
  private http: HttpServer | undefined;
  private healthTimer: NodeJS.Timeout | undefined;
  private healthTicks = 0;
  private checking = false;
  private needsResync = false;
  private announcement: { key: string; mode: FanoutMode } | undefined;
  private requests: ClientRequests | undefined;

  constructor(options: WsServerOptions) {
    super();
    this.config = validateConfig(options.config);
    this.log = (options.logger ?? createLogger({ name: 'ws-server', level: this.config.logLevel })).child({
      instance: this.config.instanceId,
    });
    this.authorize = options.authorize ?? createDefaultAuthorizer(options.chatMembership);
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

  /** Where the server listens. */
  get address(): { host: string; port: number; url: string } {
    const address = this.http?.address() as AddressInfo | null | undefined;
    if (!address) throw new Error('ws-server not listening');
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    const shown = host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host;
    return { host: address.address, port: address.port, url: `http://${shown}:${address.port}` };
  }

  /**
   * Connects to Redis (every connection through one pool), detects the adapter, and listens.
   * @throws pool errors (`POOL_ERR_CONNECTION`…) when Redis is unreachable at start-up.
   */
  async start(): Promise<{ host: string; port: number; url: string }> {
    if (this.currentStatus !== 'idle')
      throw new Error(`ws-server cannot start from status ${this.currentStatus}`);
    this.setStatus('starting');
    const config = this.config;
    try {
      const pool = createPool({
        ...(config.redisClusterNodes.length > 0
          ? { cluster: { nodes: config.redisClusterNodes }, ...credentialsOf(config.redisUrl) }
          : { url: config.redisUrl }),
        name: 'ws',
        maxConnections: config.redisMaxConnections,
        logger: this.log,
      });
      this.pool = pool;
      await pool.connect();
      const keys = new StreamKeys(config.keyPrefix, config.adapterPrefix, config.namespace);
      const mode = await this.chooseFanout(pool, keys);
      this.announcement = { key: keys.fanoutMode(), mode };
      const publisher = createPublisher(pool, {
        channels: channelRules(config),
        keyPrefix: config.keyPrefix,
        adapterPrefix: config.adapterPrefix,
        namespace: config.namespace,
        fanout: mode,
        metaTtlMs: config.metaTtlMs,
        maxPayloadBytes: config.maxPayloadBytes,
      });
      this.publisherInstance = publisher;
      const metrics = new WsMetrics(
        {
          connections: () => this.transportCounts(),
          subscriptions: () => this.hub?.subscriptionCount ?? 0,
          channels: () => this.hub?.size ?? 0,
          ready: () => this.readyState,
        },
        pool,
      );
      this.metricsInstance = metrics;
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
      // Whatever is published while the subscriber is away never arrives: resync when it is back.
      for (const event of ['close', '-subscriber', '-node'])
        this.fanout.subscriber.on(event, () => {
          this.needsResync = true;
        });
      pool.on('status', () => void this.checkHealth());
      this.requests = new ClientRequests({
        config,
        hub,
        publisher,
        fanout: this.fanout,
        metrics,
        log: this.log,
        authorize: this.authorize,
        redisAvailable: () => this.redisAvailable,
      });

      const http = createServer(createRequestHandler(this));
      this.http = http;
      const io = new SocketIoServer(http, {
        adapter: this.fanout.adapter as never,
        maxHttpBufferSize: config.maxFrameBytes,
        serveClient: true,
      });
      this.io = io;
      const nsp = io.of(config.namespace);
      this.attach(nsp);
      await new Promise<void>((resolve, reject) => {
        http.once('error', reject);
        http.listen(config.port, config.host, () => {
          http.off('error', reject);
          resolve();
        });
      });
      this.startedAt = Date.now();
      this.setStatus('running');
      this.setReady(true);
      this.healthTimer = setInterval(() => void this.checkHealth(), HEALTH_INTERVAL_MS);
      const { url } = this.address;
      this.log.info(
        {
          url,
          fanout: mode,
          redis:
            config.redisClusterNodes.length > 0
              ? config.redisClusterNodes.join(',')
              : redactUrl(config.redisUrl),
          channels: publisher.options.channels.toString(),
        },
        `ws-server listening on ${url}`,
      );
      return this.address;
    } catch (err) {
      await this.teardown();
      this.setStatus('stopped');
      throw err;
    }
  }

  /**
   * Closes every connection (clients see a transport close and reconnect elsewhere), the HTTP
   * server and, through the pool, every Redis connection. Graceful draining is issue #7.
   */
  async stop(): Promise<void> {
    if (this.currentStatus === 'stopped' || this.currentStatus === 'stopping') return;
    this.setStatus('stopping');
    this.setReady(false);
    await this.teardown();
    this.setStatus('stopped');
  }

  /** Snapshot for `/stats`. */
  stats(): WsStats {
    const counts = this.transportCounts();
    return {
      instance: this.config.instanceId,
      status: this.currentStatus,
      ready: this.readyState,
      fanout: this.fanout?.mode ?? null,
      uptimeSeconds: this.startedAt ? Math.round((Date.now() - this.startedAt) / 1000) : 0,
      connections: { total: counts.websocket + counts.polling, ...counts },
      subscriptions: this.hub?.subscriptionCount ?? 0,
      channels: this.hub?.size ?? 0,
      pools: this.pool ? [this.pool.stats()] : [],
    };
  }

  private attach(nsp: Namespace): void {
    nsp.use((socket, next) => {
      try {
        const auth = socket.handshake.auth as Record<string, unknown> | undefined;
        const header = socket.handshake.headers.authorization;
        const token = auth?.token ?? (header?.startsWith('Bearer ') ? header.slice(7) : undefined);
        const claims = verifyToken(token, {
          secret: this.config.jwtSecret,
          issuer: this.config.jwtIssuer || undefined,
          audience: this.config.jwtAudience || undefined,
          clockToleranceSeconds: this.config.jwtClockToleranceSeconds,
        });
        socket.data.user = { id: claims.sub, claims } satisfies User;
        next();
      } catch (err) {
        const error =
          err instanceof WsError ? err : new ClientError('WS_ERR_UNAUTHENTICATED', 'invalid token');
        this.metrics.refused(error.code);
        const refusal = new Error(error.message) as Error & { data: unknown };
        refusal.data = error.toBody();
        next(refusal);
      }
    });
    nsp.on('connection', (socket) => this.onConnection(socket));
  }

  private onConnection(socket: Socket): void {
    const user = socket.data.user as User;
    const connection = new Connection<Subscription>(socket, user, this.config, this.log, (code) =>
      this.metrics.refused(code),
    );
    this.connections.set(socket.id, connection);
    connection.expireAt(user.claims.exp, this.config.jwtClockToleranceSeconds);
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

  private transportCounts(): { websocket: number; polling: number } {
    let websocket = 0;
    let polling = 0;
    for (const connection of this.connections.values()) {
      if (connection.transport === 'websocket') websocket++;
      else polling++;
    }
    return { websocket, polling };
  }

  /**
   * `auto` joins the mode other instances announced (else picks by Redis version); the mode is
   * (re-)announced so publishers with `fanout: 'auto'` use the same one.
   */
  private async chooseFanout(pool: Pool, keys: StreamKeys): Promise<FanoutMode> {
    const announced = await pool.call('GET', keys.fanoutMode());
    const known = announced === 'classic' || announced === 'sharded' ? announced : undefined;
    const mode =
      this.config.fanout !== 'auto' ? this.config.fanout : (known ?? (await detectFanoutMode(pool)));
    if (known && known !== mode)
      this.log.warn(
        { announced: known, configured: mode },
        'REALTIME_FANOUT differs from what other instances announced; instances and publishers must agree',
      );
    await pool.call('SET', keys.fanoutMode(), mode);
    return mode;
  }

  private async checkHealth(): Promise<void> {
    if (this.checking || this.currentStatus !== 'running' || !this.pool || !this.fanout) return;
    this.checking = true;
    try {
      // A lost connection flips readiness at once; the PING also makes an idle pool reconnect.
      if (!this.redisAvailable || !this.fanout.healthy) this.markUnhealthy();
      let redisOk = false;
      try {
        await this.pool.call('PING');
        redisOk = true;
      } catch {
        redisOk = false;
      }
      if (this.currentStatus !== 'running') return;
      const healthy = redisOk && this.fanout.healthy;
      // Keep the fan-out announcement alive across a Redis that lost its data.
      if (healthy && this.announcement && ++this.healthTicks % ANNOUNCE_EVERY_TICKS === 0)
        await this.pool.call('SET', this.announcement.key, this.announcement.mode).catch(() => undefined);
      if (!healthy) {
        this.markUnhealthy();
        return;
      }
      this.setReady(true);
      // Messages published while this instance's subscriber was away never arrived: catch up.
      if (this.needsResync) {
        this.needsResync = false;
        void this.hub?.resyncAll();
      }
    } finally {
      this.checking = false;
    }
  }

  private markUnhealthy(): void {
    this.needsResync = true;
    this.setReady(false);
  }

  /** False while the pool's shared lane is reconnecting: requests fail fast instead of queueing. */
  private get redisAvailable(): boolean {
    return this.pool?.status !== 'reconnecting';
  }

  private setReady(ready: boolean): void {
    if (ready === this.readyState) return;
    this.readyState = ready;
    if (this.currentStatus === 'running' || this.currentStatus === 'stopping') {
      if (ready) this.log.info('ready: Redis reachable');
      else if (this.currentStatus === 'running') this.log.warn('not ready: Redis unreachable');
    }
    this.emit('readinessChanged', ready);
  }

  private setStatus(next: WsServerStatus): void {
    const previous = this.currentStatus;
    if (previous === next) return;
    this.currentStatus = next;
    this.log.debug({ from: previous, to: next }, 'status');
    process.nextTick(() => this.emit('status', next));
  }

  private async teardown(): Promise<void> {
    clearInterval(this.healthTimer);
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
    await this.fanout?.close().catch(() => undefined);
    await this.pool?.close({ timeoutMs: 2_000 }).catch(() => undefined);
  }
}

/**
 * Creates a ws-server; the configuration is validated now (see `loadConfig` for the environment).
 */
export function createWsServer(options: WsServerOptions): WsServer {
  return new WsServer(options);
}

/** User, password and TLS of a redis:// URL, for Cluster nodes. */
function credentialsOf(url: string): { username?: string; password?: string; tls?: boolean } {
  try {
    const u = new URL(url);
    return {
      ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
      ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
      ...(u.protocol === 'rediss:' ? { tls: true } : {}),
    };
  } catch {
    return {};
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
