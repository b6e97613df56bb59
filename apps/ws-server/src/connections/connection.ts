import type { Logger } from 'pino';
import type { Socket } from 'socket.io';
import type { User } from '../auth/authorization.js';
import type { Delivery } from '../channels/delivery.js';
import type { WsErrorCode } from '../errors.js';
import { type ClosingEvent, EVENTS, type ResetEvent } from './protocol.js';
import { TokenBucket } from './token-bucket.js';

/** Engine.IO internals the outbound-buffer accounting reads. */
interface EngineSocket {
  readyState: string;
  writeBuffer: { data?: unknown }[];
  transport: {
    name: string;
    socket?: { bufferedAmount?: number; terminate?: () => void };
    /** Long-polling: how long an orderly close waits for the client's next poll (30 s by default). */
    closeTimeout?: number;
  };
  close(discard?: boolean): void;
}

/** A subscription's delivery state; see ChannelHub. */
export interface ConnectionSubscription {
  readonly channel: string;
}

/** Settings a connection needs. */
export interface ConnectionLimits {
  outboundBufferBytes: number;
  rateLimitPerSecond: number;
  rateLimitBurst: number;
}

/** How long a connection being closed may take to flush its `closing` event before it is cut. */
const CLOSE_GRACE_MS = 1000;

/**
 * One client connection: its user, subscriptions, rate limit, and the bytes waiting to be sent to
 * it. Writes that would push the waiting bytes past `outboundBufferBytes` disconnect it as a slow
 * consumer instead, so one slow client never grows the server's memory.
 */
export class Connection<S extends ConnectionSubscription = ConnectionSubscription> {
  readonly subscriptions = new Map<string, S>();
  /**
   * Channels whose `subscribe` is in flight (authorization, Redis): they hold a slot of the
   * subscription limit from the check until they are subscribed or refused, so concurrent
   * requests can never together exceed it.
   */
  private readonly reservedChannels = new Set<string>();
  readonly bucket: TokenBucket;
  /** Authorization decisions for publishing, per channel (bounded). */
  readonly publishAllowed = new Map<string, boolean>();
  closing = false;
  /**
   * The first packet of the engine's writeBuffer as last counted (a flush starts a new array),
   * how many of its packets were counted, and their bytes. Only the first packet is kept: holding
   * the flushed array would keep every sent packet alive until this connection's next delivery.
   */
  private countedFirst: unknown;
  private countedPackets = 0;
  private queuedBytes = 0;
  private closeTimer: NodeJS.Timeout | undefined;
  private expiryTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly socket: Socket,
    readonly user: User,
    private readonly limits: ConnectionLimits,
    private readonly log: Logger,
    /** Counts a refusal; `channel` when it concerned one. */
    private readonly onRefused: (code: WsErrorCode, channel?: string) => void,
  ) {
    this.bucket = new TokenBucket(limits.rateLimitPerSecond, limits.rateLimitBurst);
  }

  /** Subscriptions plus those being set up: what the subscription limit counts. */
  get subscriptionSlots(): number {
    return this.subscriptions.size + this.reservedChannels.size;
  }

  /** Whether `channel` is subscribed, or its `subscribe` is in flight. */
  holdsChannel(channel: string): boolean {
    return this.subscriptions.has(channel) || this.reservedChannels.has(channel);
  }

  /** Takes a slot for `channel` before the first await of its `subscribe`; {@link releaseChannel} it in `finally`. */
  reserveChannel(channel: string): void {
    this.reservedChannels.add(channel);
  }

  /** Gives a reserved slot back (the subscription, if made, holds its own). */
  releaseChannel(channel: string): void {
    this.reservedChannels.delete(channel);
  }

  /** `websocket` or `polling`. */
  get transport(): string {
    return this.engine.transport.name;
  }

  /**
   * Bytes waiting to be sent: the engine's queue plus the WebSocket's unsent bytes. Packets wait in
   * the engine's writeBuffer while the transport is busy (a WebSocket whose kernel buffer is full, a
   * long-polling client that has not polled); a flush hands them over and starts a new array. Only
   * the packets added since the last call are counted, so this stays cheap for a long queue.
   */
  get pendingBytes(): number {
    const engine = this.engine;
    const queue = engine.writeBuffer;
    const transport = engine.transport;
    // Channel messages are mostly written straight to the WebSocket (see writeFrameDirect): what
    // the kernel did not take waits in the TCP socket's own buffer, which bufferedAmount includes.
    const buffered = transport.name === 'websocket' ? (transport.socket?.bufferedAmount ?? 0) : 0;
    // The common case, checked first because it runs for every delivery.
    if (queue.length === 0) {
      this.countedFirst = undefined;
      this.countedPackets = 0;
      this.queuedBytes = 0;
      return buffered;
    }
    if (queue[0] !== this.countedFirst || queue.length < this.countedPackets) {
      this.countedFirst = queue[0];
      this.countedPackets = 0;
      this.queuedBytes = 0;
    }
    for (let i = this.countedPackets; i < queue.length; i++) this.queuedBytes += sizeOf(queue[i]!.data);
    this.countedPackets = queue.length;
    return this.queuedBytes + buffered;
  }

  /** Writes a message, or disconnects the connection as a slow consumer; false if not written. */
  deliver(delivery: Delivery): boolean {
    if (this.closing) return false;
    // An empty buffer always takes one message, so a message larger than the bound still gets
    // through to a client that keeps up; the bound is outboundBufferBytes + one message.
    const pending = this.pendingBytes;
    if (pending > 0 && pending + delivery.bytes > this.limits.outboundBufferBytes) {
      this.closeSlowConsumer(delivery.pub.channel);
      return false;
    }
    if (delivery.write) delivery.write(this.socket);
    else this.socket.emit(EVENTS.message, delivery.pub);
    return true;
  }

  /** Tells the client a channel has a gap the server cannot fill. */
  reset(event: ResetEvent): void {
    if (!this.closing) this.socket.emit(EVENTS.reset, event);
  }

  /** Closes the connection when the token expires (the client reconnects with a fresh token). */
  expireAt(expSeconds: number | undefined, toleranceSeconds: number): void {
    if (expSeconds === undefined) return;
    const ms = Math.min(2_147_483_647, Math.max(0, (expSeconds + toleranceSeconds) * 1000 - Date.now()));
    this.expiryTimer = setTimeout(() => {
      this.onRefused('WS_ERR_TOKEN_EXPIRED');
      this.close('WS_ERR_TOKEN_EXPIRED', 'token expired: reconnect with a fresh token', true);
    }, ms);
  }

  /**
   * Sends `closing` and closes the connection at the transport level, so Socket.IO clients
   * reconnect on their own (a server-side `socket.disconnect()` would stop them) and recover.
   * Queued messages are dropped first; the client recovers them from the history.
   */
  close(code: WsErrorCode, message: string, reconnect: boolean): void {
    if (this.closing) return;
    this.closing = true;
    const engine = this.engine;
    engine.writeBuffer.length = 0;
    const event: ClosingEvent = { code, message, reconnect };
    this.socket.emit(EVENTS.closing, event);
    // A long-polling client that stopped polling would otherwise hold the session for 30 s.
    if (typeof engine.transport.closeTimeout === 'number') engine.transport.closeTimeout = CLOSE_GRACE_MS;
    engine.close();
    this.closeTimer = setTimeout(() => {
      if (engine.readyState === 'closed') return;
      engine.transport.socket?.terminate?.();
      engine.close(true);
    }, CLOSE_GRACE_MS);
  }

  /** Clears timers (on disconnect). */
  dispose(): void {
    clearTimeout(this.closeTimer);
    clearTimeout(this.expiryTimer);
  }

  private closeSlowConsumer(channel: string): void {
    this.onRefused('WS_ERR_SLOW_CONSUMER', channel);
    this.log.warn(
      {
        user: this.user.id,
        socket: this.socket.id,
        pendingBytes: this.pendingBytes,
        limit: this.limits.outboundBufferBytes,
      },
      'slow consumer disconnected',
    );
    this.close(
      'WS_ERR_SLOW_CONSUMER',
      `more than WS_OUTBOUND_BUFFER_BYTES=${this.limits.outboundBufferBytes} bytes were waiting to be sent: reconnect to recover`,
      true,
    );
  }

  private get engine(): EngineSocket {
    return this.socket.conn as unknown as EngineSocket;
  }
}

function sizeOf(data: unknown): number {
  if (typeof data === 'string') return data.length;
  if (data instanceof Uint8Array) return data.byteLength;
  if (data instanceof ArrayBuffer) return data.byteLength;
  return 0;
}
