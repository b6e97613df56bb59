import type { Publication } from '@redpool/realtime';
import { sleep, withDeadline } from '@redpool/testkit';
import { io, type Socket } from 'socket.io-client';
import {
  type ClosingEvent,
  createWsServer,
  type ErrorAck,
  type PublishAck,
  type ResetEvent,
  resolveConfig,
  type SubscribeAck,
  signToken,
  type WsConfig,
  type WsServer,
  type WsServerOptions,
} from '../src/index.js';

export { sleep, withDeadline };

export const SECRET = 'test-secret-test-secret-test-secret-42';

/** Where the instances find Redis. */
export interface RedisTarget {
  url?: string;
  clusterNodes?: string[];
}

let suite = 0;

/** Starts `count` ws-server instances on free ports, sharing a fresh key/adapter prefix. */
export async function startInstances(
  target: RedisTarget,
  overrides: Partial<WsConfig> = {},
  count = 2,
  extra: Omit<WsServerOptions, 'config'> = {},
): Promise<WsServer[]> {
  suite++;
  const prefix = `t${process.pid}x${suite}`;
  const servers: WsServer[] = [];
  for (let i = 0; i < count; i++) {
    const config = resolveConfig({
      host: '127.0.0.1',
      port: 0,
      redisUrl: target.url ?? 'redis://127.0.0.1:6379',
      redisClusterNodes: target.clusterNodes ?? [],
      jwtSecret: SECRET,
      logLevel: (process.env.TEST_LOG_LEVEL as WsConfig['logLevel']) ?? 'silent',
      keyPrefix: `${prefix}:ws`,
      adapterPrefix: `${prefix}:sio`,
      instanceId: `ws-${i + 1}`,
      ...overrides,
    });
    const server = createWsServer({ config, ...extra });
    servers.push(server);
    await server.start();
  }
  return servers;
}

export function token(user: string, claims: Record<string, unknown> = {}, secret = SECRET): string {
  return signToken({ sub: user, exp: Math.floor(Date.now() / 1000) + 600, ...claims }, secret);
}

type Ack = SubscribeAck | PublishAck | ErrorAck | { ok: true; channel: string };

/**
 * A test client that behaves like the page: it remembers epoch and offset per channel and, after
 * every (re)connection, re-subscribes with them, so recovery happens as in production.
 */
export class TestClient {
  readonly socket: Socket;
  /** Messages received per channel (live, recovered, repaired), in arrival order. */
  readonly received = new Map<string, Publication[]>();
  readonly resets: ResetEvent[] = [];
  readonly closings: ClosingEvent[] = [];
  readonly rejected: unknown[] = [];
  readonly acks: SubscribeAck[] = [];
  readonly positions = new Map<string, { epoch: string; offset: number }>();
  /** Every ack and message in arrival order: [kind, channel, offset]. */
  readonly log: ['ack' | 'message', string, number][] = [];
  /** Every `connect_error` (a refused or failed connection attempt). */
  readonly connectErrors: Error[] = [];
  /** What happened to the connection, with when: for the failure messages of tests. */
  readonly timeline: string[] = [];
  private readonly wanted = new Set<string>();
  private urlIndex = 0;
  connects = 0;

  /**
   * With `urls`, each reconnection attempt goes to the next URL of the list (what a load balancer
   * that stops routing to a draining instance does).
   */
  constructor(
    url: string,
    readonly user: string,
    options: {
      token?: string | (() => string);
      transports?: string[];
      reconnection?: boolean;
      urls?: string[];
    } = {},
  ) {
    const auth = options.token ?? token(user);
    this.socket = io(url, {
      transports: options.transports ?? ['websocket'],
      auth: (cb) => cb({ token: typeof auth === 'function' ? auth() : auth }),
      forceNew: true,
      reconnection: options.reconnection ?? true,
      reconnectionDelay: 100,
      reconnectionDelayMax: 400,
      timeout: 5000,
    });
    const urls = options.urls;
    if (urls && urls.length > 1) {
      this.urlIndex = Math.max(0, urls.indexOf(url));
      this.socket.io.on('reconnect_attempt', () => {
        this.urlIndex = (this.urlIndex + 1) % urls.length;
        (this.socket.io as unknown as { uri: string }).uri = urls[this.urlIndex]!;
      });
    }
    const mark = (what: string) => this.timeline.push(`${Date.now() % 100_000} ${what}`);
    this.socket.on('connect_error', (err) => {
      mark(`connect_error ${err.message}`);
      this.connectErrors.push(err);
    });
    this.socket.on('disconnect', (reason) => mark(`disconnect ${reason}`));
    this.socket.io.on('reconnect_attempt', (n) => mark(`reconnect_attempt ${n}`));
    this.socket.io.on('open', () => mark(`open ${this.socket.io.engine?.id}`));
    this.socket.io.on('error', (err) => mark(`manager error ${err.message}`));
    this.socket.on('connect', () => {
      mark('connect');
      this.connects++;
      for (const channel of this.wanted) void this.resubscribe(channel);
    });
    this.socket.on('message', (pub: Publication) => {
      this.log.push(['message', pub.channel, pub.offset]);
      this.record(pub);
    });
    this.socket.on('reset', (event: ResetEvent) => {
      this.resets.push(event);
      this.positions.set(event.channel, { epoch: event.epoch, offset: event.offset });
    });
    this.socket.on('closing', (event: ClosingEvent) => {
      mark(`closing ${event.code}`);
      this.closings.push(event);
    });
    this.socket.on('rejected', (event: unknown) => this.rejected.push(event));
  }

  /** Connects (rejects with the connect_error). */
  connected(timeoutMs = 5000): Promise<void> {
    if (this.socket.connected) return Promise.resolve();
    return withDeadline(
      new Promise<void>((resolve, reject) => {
        this.socket.once('connect', () => resolve());
        this.socket.once('connect_error', (err) => reject(err));
      }),
      timeoutMs,
      'connect',
    );
  }

  /** Subscribes (with recovery if this client has a position) and remembers the channel. */
  async subscribe(channel: string): Promise<SubscribeAck | ErrorAck> {
    return (await this.request('subscribe', this.subscribePayload(channel))) as SubscribeAck | ErrorAck;
  }

  async publish(channel: string, data: unknown): Promise<PublishAck | ErrorAck> {
    return (await this.request('publish', { channel, data })) as PublishAck | ErrorAck;
  }

  async unsubscribe(channel: string): Promise<Ack> {
    this.wanted.delete(channel);
    return this.request('unsubscribe', { channel });
  }

  /**
   * Sends an event and resolves with its ack. Subscribe acks are recorded in the callback itself,
   * synchronously with the packets around them (a promise would be recorded after them).
   */
  request(event: string, payload: unknown, timeoutMs = 5000): Promise<Ack> {
    return new Promise((resolve, reject) => {
      this.socket.timeout(timeoutMs).emit(event, payload, (err: Error | null, ack: Ack) => {
        if (err) return reject(err);
        if (event === 'subscribe' && ack.ok) this.accept(ack as SubscribeAck);
        resolve(ack);
      });
    });
  }

  data(channel: string): unknown[] {
    return (this.received.get(channel) ?? []).map((p) => p.data);
  }

  offsets(channel: string): number[] {
    return (this.received.get(channel) ?? []).map((p) => p.offset);
  }

  close(): void {
    this.socket.disconnect();
  }

  /** The URL the client is (or will next be) connected to. */
  get url(): string {
    return (this.socket.io as unknown as { uri: string }).uri;
  }

  /** True once every wanted channel has been (re-)subscribed on the current connection. */
  get settled(): boolean {
    return this.socket.connected && this.pendingResubscribes === 0;
  }

  private subscribePayload(channel: string): Record<string, unknown> {
    this.wanted.add(channel);
    const position = this.positions.get(channel);
    return position ? { channel, ...position } : { channel };
  }

  private pendingResubscribes = 0;

  private async resubscribe(channel: string): Promise<void> {
    this.pendingResubscribes++;
    try {
      await this.resubscribeOnce(channel);
    } finally {
      this.pendingResubscribes--;
    }
  }

  private async resubscribeOnce(channel: string): Promise<void> {
    for (let attempt = 0; attempt < 50 && this.socket.connected && this.wanted.has(channel); attempt++) {
      try {
        const ack = (await this.request('subscribe', this.subscribePayload(channel))) as
          | SubscribeAck
          | ErrorAck;
        if (ack.ok) return;
        if (ack.error.code !== 'WS_ERR_UNAVAILABLE') return;
      } catch {
        // ack timeout: retry
      }
      await sleep(200);
    }
  }

  private accept(ack: SubscribeAck): void {
    this.acks.push(ack);
    this.log.push(['ack', ack.channel, ack.offset]);
    for (const pub of ack.publications) this.record(pub);
    this.positions.set(ack.channel, { epoch: ack.epoch, offset: ack.offset });
  }

  private record(pub: Publication): void {
    let list = this.received.get(pub.channel);
    if (!list) {
      list = [];
      this.received.set(pub.channel, list);
    }
    list.push(pub);
    const known = this.positions.get(pub.channel);
    if (!known || known.epoch !== pub.epoch || pub.offset > known.offset)
      this.positions.set(pub.channel, { epoch: pub.epoch, offset: pub.offset });
  }
}

/**
 * Polls `check` until it returns true, failing with `what` after `timeoutMs`. A function `what`
 * is called at the timeout, so the error can describe the state that was not reached.
 */
export async function waitFor(
  what: string | (() => string),
  check: () => boolean | Promise<boolean>,
  timeoutMs = 5000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${typeof what === 'string' ? what : what()}`,
      );
    await sleep(20);
  }
}

export async function stopAllServers(servers: WsServer[], clients: TestClient[] = []): Promise<void> {
  for (const c of clients) c.close();
  await Promise.all(servers.map((s) => s.stop()));
}

/** Starts one ws-server instance (see {@link startInstances}). */
export async function startInstance(
  target: RedisTarget,
  overrides: Partial<WsConfig> = {},
  extra: Omit<WsServerOptions, 'config'> = {},
): Promise<WsServer> {
  const [server] = await startInstances(target, overrides, 1, extra);
  return server!;
}

/** Connects a raw client (no reconnection) and resolves 'connected', or the connect_error's message and data. */
export function handshake(url: string, auth: Record<string, unknown> | undefined): Promise<unknown> {
  const socket = io(url, {
    transports: ['websocket'],
    auth: auth ?? {},
    forceNew: true,
    reconnection: false,
  });
  return withDeadline(
    new Promise((resolve) => {
      socket.once('connect', () => {
        socket.disconnect();
        resolve('connected');
      });
      socket.once('connect_error', (err: Error & { data?: unknown }) => {
        socket.disconnect();
        resolve({ message: err.message, data: err.data });
      });
    }),
    8000,
    'handshake',
  );
}
