import { connect, createServer, type Server, type Socket } from 'node:net';
import { track } from './cleanup.js';
import type { HostPort } from './types.js';

/** A TCP proxy in front of a Redis that can silently swallow traffic. */
export interface BlackholeProxy {
  /** Always `127.0.0.1`. */
  readonly host: string;
  /** The proxy's port: point clients here. */
  readonly port: number;
  /** `redis://127.0.0.1:<proxy port>` (no credentials: add your own). */
  readonly url: string;
  /** Number of client connections currently open through the proxy. */
  readonly connections: number;
  /** True between blackhole() and heal(). */
  readonly isBlackholed: boolean;
  /**
   * Stop forwarding in both directions without closing anything: both sockets stay open, nothing is
   * read, nothing is delivered, no FIN, no RST — what a client sees when its server's host vanishes
   * (half-open connection). New connections are accepted but not forwarded either. Bytes already
   * sent stay queued (in kernel buffers) and are delivered in order by heal().
   */
  blackhole(): void;
  /** Resume forwarding; queued requests and replies flow again. */
  heal(): void;
  /** Destroy every open connection with a TCP RST (`socket.resetAndDestroy()`): clients see ECONNRESET. */
  reset(): void;
  /** Stop listening and destroy every connection. */
  close(): Promise<void>;
}

interface Pair {
  client: Socket;
  upstream: Socket | undefined;
}

class ProxyImpl implements BlackholeProxy {
  readonly host = '127.0.0.1';
  readonly port: number;
  readonly url: string;
  private blackholed = false;
  private closed = false;
  private readonly pairs = new Set<Pair>();
  private readonly untrack: () => void;

  constructor(
    private readonly server: Server,
    private readonly target: HostPort,
  ) {
    const address = server.address();
    this.port = typeof address === 'object' && address !== null ? address.port : 0;
    this.url = `redis://${this.host}:${this.port}`;
    server.on('connection', (socket) => this.accept(socket));
    this.untrack = track({ destroy: () => this.close(), killNow: () => this.destroyAll(false) });
  }

  get connections(): number {
    return this.pairs.size;
  }
  get isBlackholed(): boolean {
    return this.blackholed;
  }

  private accept(client: Socket): void {
    const pair: Pair = { client, upstream: undefined };
    this.pairs.add(pair);
    client.setNoDelay(true);
    client.pause();
    client.on('error', () => {});
    client.on('close', () => this.drop(pair));
    if (!this.blackholed) this.connectUpstream(pair);
  }

  private connectUpstream(pair: Pair): void {
    const upstream = connect({ host: this.target.host, port: this.target.port });
    pair.upstream = upstream;
    upstream.setNoDelay(true);
    upstream.pause();
    upstream.on('error', () => {});
    upstream.on('close', () => this.drop(pair));
    this.forward(pair.client, upstream);
    this.forward(upstream, pair.client);
    upstream.once('connect', () => {
      if (!this.blackholed) this.resumePair(pair);
    });
  }

  /** Manual forwarding with backpressure (pipe() would resume a paused source on 'drain'). */
  private forward(from: Socket, to: Socket): void {
    from.on('data', (chunk: Buffer) => {
      if (!to.write(chunk)) {
        from.pause();
        to.once('drain', () => {
          if (!this.blackholed) from.resume();
        });
      }
    });
    from.on('end', () => to.end());
  }

  private resumePair(pair: Pair): void {
    if (pair.upstream === undefined) {
      this.connectUpstream(pair);
      return;
    }
    if (pair.upstream.connecting) return;
    pair.client.resume();
    pair.upstream.resume();
  }

  /** One side closed: close the other, unless blackholed (then the peer must not learn about it). */
  private drop(pair: Pair): void {
    if (this.blackholed && !this.closed) return;
    this.pairs.delete(pair);
    pair.client.destroy();
    pair.upstream?.destroy();
  }

  blackhole(): void {
    this.blackholed = true;
    for (const { client, upstream } of this.pairs) {
      client.pause();
      upstream?.pause();
    }
  }

  heal(): void {
    this.blackholed = false;
    for (const pair of [...this.pairs]) {
      if (pair.client.destroyed || pair.upstream?.destroyed === true) this.drop(pair);
      else this.resumePair(pair);
    }
  }

  private destroyAll(withReset: boolean): void {
    for (const pair of [...this.pairs]) {
      this.pairs.delete(pair);
      for (const socket of [pair.client, pair.upstream]) {
        if (socket === undefined || socket.destroyed) continue;
        if (withReset) socket.resetAndDestroy();
        else socket.destroy();
      }
    }
  }

  reset(): void {
    this.destroyAll(true);
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    this.untrack();
    this.destroyAll(false);
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/**
 * Start a TCP proxy (node:net) on a free 127.0.0.1 port forwarding to `target` (any `{ host, port }`,
 * e.g. a {@link RedisServer}). Use it to simulate network partitions with blackhole()/heal() and
 * connection resets with reset().
 *
 * @example
 * ```ts
 * const proxy = await startBlackholeProxy(redis);
 * const client = new Redis({ port: proxy.port, password: redis.password });
 * proxy.blackhole(); // commands now hang: no reply, no close
 * ```
 */
export async function startBlackholeProxy(target: HostPort): Promise<BlackholeProxy> {
  const server = createServer({ pauseOnConnect: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: 0, host: '127.0.0.1' }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.unref();
  return new ProxyImpl(server, { host: target.host, port: target.port });
}
