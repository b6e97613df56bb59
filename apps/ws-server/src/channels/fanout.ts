import type { Pool, RedisConnection } from '@redpool/pool';
import { type FanoutMode, MESSAGE_EVENT, type Publication, type StreamKeys } from '@redpool/realtime';
import { createAdapter, createShardedAdapter } from '@socket.io/redis-adapter';
import type { Logger } from 'pino';
import type { Namespace, Socket } from 'socket.io';
import { withTimeout } from '../deadline.js';
import type { Delivery } from './delivery.js';
import { FrameReader } from './frame-reader.js';
import { writeFrame } from './frame-writer.js';
import { PubSubGuard } from './pubsub-guard.js';

type AdapterFactory = (nsp: Namespace) => unknown;

interface AdapterInternals {
  _encode(packet: unknown, packetOpts: unknown): unknown[];
  apply(opts: unknown, callback: (socket: Socket) => void): void;
  /** The sharded adapter's entry for every message of its channels. */
  onRawMessage?(raw: Buffer, channel: Buffer): void;
}

/**
 * The Socket.IO redis-adapter, on connections from the pool, with the ws-server's hook: channel
 * messages (published by the append script on the adapter's per-room channel) are handed to
 * `onMessage` instead of being written to the room blindly, so the server can order, de-duplicate,
 * buffer during (re)subscription, repair gaps and enforce the outbound buffer per connection.
 */
export class Fanout {
  private constructor(
    readonly mode: FanoutMode,
    readonly adapter: AdapterFactory,
    readonly subscriber: RedisConnection,
    readonly publisher: RedisConnection,
    private readonly subGuard: PubSubGuard,
    private readonly pubGuard: PubSubGuard,
    private readonly keys: StreamKeys,
  ) {}

  /**
   * Takes two dedicated connections from the pool (publish and subscribe) and builds the adapter
   * factory for `new Server(..., { adapter })`.
   */
  static async create(options: {
    pool: Pool;
    mode: FanoutMode;
    keys: StreamKeys;
    log: Logger;
    onMessage: (delivery: Delivery) => void;
  }): Promise<Fanout> {
    const { pool, mode, keys, log } = options;
    // On Cluster, SSUBSCRIBE needs ioredis' sharded subscribers (one per shard).
    const subscriber = await pool.subscriber({ sharded: mode === 'sharded' && pool.isCluster });
    let publisher: RedisConnection;
    try {
      publisher = await pool.subscriber();
    } catch (err) {
      subscriber.disconnect();
      throw err;
    }
    const subGuard = new PubSubGuard(subscriber, log, 'subscriber');
    const pubGuard = new PubSubGuard(publisher, log, 'publisher');
    const base: AdapterFactory =
      mode === 'sharded'
        ? (createShardedAdapter(publisher, subscriber, {
            channelPrefix: keys.adapterPrefix,
            subscriptionMode: 'dynamic',
          }) as AdapterFactory)
        : (createAdapter(publisher, subscriber, {
            key: keys.adapterPrefix,
            publishOnSpecificResponseChannel: true,
          }) as AdapterFactory);
    // socket.io calls `new factory(nsp)`; returning an object from it yields that object.
    const adapter = function (this: unknown, nsp: Namespace) {
      const instance = base(nsp) as AdapterInternals;
      hookAdapter(instance, options.onMessage, mode === 'sharded' ? new FrameReader(nsp.name) : undefined);
      return instance;
    } as unknown as AdapterFactory;
    return new Fanout(mode, adapter, subscriber, publisher, subGuard, pubGuard, keys);
  }

  /** Resolves once messages of `channel` reach this instance (its pub/sub subscription is active). */
  ready(channel: string, timeoutMs: number): Promise<void> {
    const pubsub =
      this.mode === 'sharded'
        ? this.keys.adapterRoomChannel(channel)
        : `${this.keys.adapterPrefix}#${this.keys.namespace}#*`;
    return this.subGuard.ready(pubsub, timeoutMs);
  }

  /** Both connections are up and no wanted subscription is stuck (see PubSubGuard.healthy). */
  get healthy(): boolean {
    return this.subscriber.status === 'ready' && this.publisher.status === 'ready' && this.subGuard.healthy;
  }

  /** Closes both connections (the pool counts them out). */
  async close(): Promise<void> {
    this.subGuard.close();
    this.pubGuard.close();
    await Promise.all(
      [this.subscriber, this.publisher].map((c) =>
        withTimeout(c.quit(), 1000).catch(() => {
          c.disconnect();
        }),
      ),
    );
  }
}

/**
 * Routes the adapter's local delivery of channel messages to `onMessage`. Both adapters end in
 * socket.io-adapter's `broadcast`, which encodes the packet once (`_encode`) and then writes it to
 * every socket of the room (`apply`); the hook keeps the encoded packet and takes over `apply`.
 * The sharded adapter's frames are read before it parses them, when `reader` recognizes them.
 */
function hookAdapter(
  adapter: AdapterInternals,
  onMessage: (delivery: Delivery) => void,
  reader: FrameReader | undefined,
): void {
  // Channel messages on the sharded adapter: read straight from the raw frame (see FrameReader).
  const onRawMessage = adapter.onRawMessage?.bind(adapter);
  if (reader && onRawMessage)
    adapter.onRawMessage = (raw, channel) => {
      const delivery = Buffer.isBuffer(raw) ? reader.read(raw) : undefined;
      if (delivery) onMessage(delivery);
      else onRawMessage(raw, channel);
    };
  const encode = adapter._encode.bind(adapter);
  const apply = adapter.apply.bind(adapter);
  let pending: Delivery | undefined;
  adapter._encode = (packet, packetOpts) => {
    const encoded = encode(packet, packetOpts);
    const pub = channelMessage(packet);
    let frame: Buffer | undefined;
    pending = pub
      ? {
          pub,
          bytes: encodedBytes(encoded),
          write: (socket) => {
            const parts = (packetOpts as { wsPreEncodedFrame?: Buffer[] } | undefined)?.wsPreEncodedFrame;
            if (parts) frame ??= parts.length === 1 ? parts[0]! : Buffer.concat(parts);
            writeFrame(socket, frame, encoded, packetOpts);
          },
        }
      : undefined;
    return encoded;
  };
  adapter.apply = (opts, callback) => {
    const delivery = pending;
    pending = undefined;
    if (delivery) onMessage(delivery);
    else apply(opts, callback);
  };
}

/** The publication inside an adapter packet, if it is a channel message. */
function channelMessage(packet: unknown): Publication | undefined {
  const p = packet as { type?: unknown; id?: unknown; data?: unknown };
  if (p?.type !== 2 || p.id !== undefined || !Array.isArray(p.data) || p.data[0] !== MESSAGE_EVENT)
    return undefined;
  const m = p.data[1] as Partial<Publication> | undefined;
  if (
    m === null ||
    typeof m !== 'object' ||
    typeof m.channel !== 'string' ||
    typeof m.epoch !== 'string' ||
    typeof m.offset !== 'number' ||
    typeof m.ts !== 'number'
  )
    return undefined;
  return m as Publication;
}

function encodedBytes(encoded: unknown[]): number {
  let bytes = 0;
  for (const part of encoded) {
    if (typeof part === 'string') bytes += part.length;
    else if (part instanceof Uint8Array) bytes += part.byteLength;
  }
  return bytes;
}
