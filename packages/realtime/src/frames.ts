import notepack from 'notepack.io';
import type { StreamKeys } from './keys.js';

/**
 * How messages reach the ws-server instances: through the Socket.IO redis-adapter's own channels,
 * `classic` (PUBLISH, msgpack, `createAdapter`) or `sharded` (SPUBLISH, JSON, `createShardedAdapter`
 * in `dynamic` subscription mode). Every instance and publisher of a deployment must use the same.
 */
export type FanoutMode = 'classic' | 'sharded';

/** The Socket.IO event carrying a message to clients. */
export const MESSAGE_EVENT = 'message';

/**
 * The sender id written into fan-out frames. Adapters drop frames carrying their own id (6 random
 * characters); this one has 7, so every instance — the publishing one included — delivers the frame.
 */
export const FANOUT_UID = 'redpool';

/** Socket.IO packet type EVENT, and the cluster-adapter message type BROADCAST. */
const EVENT_PACKET = 2;
const BROADCAST_MESSAGE = 3;

/**
 * A fan-out frame cut where the epoch and offset go: the append script, which assigns them,
 * publishes `head + enc(epoch) + mid + enc(offset) + tail` on `channel` in the same atomic step
 * that stores the message, so every subscriber sees a channel's messages in offset order.
 * The event delivered to clients is `message` with `{ epoch, offset, channel, ts, data }`.
 */
export interface FanoutFrame {
  /** The Redis pub/sub channel (the adapter's per-room channel). */
  readonly channel: string;
  readonly format: 'json' | 'msgpack';
  readonly head: Buffer;
  readonly mid: Buffer;
  readonly tail: Buffer;
}

/**
 * Builds the fan-out frame of one message for the given adapter.
 * @param dataJson - the payload as JSON text (already validated)
 */
export function buildFanoutFrame(
  mode: FanoutMode,
  keys: StreamKeys,
  channel: string,
  ts: number,
  dataJson: string,
): FanoutFrame {
  const nsp = keys.namespace;
  const room = keys.room(channel);
  const pubsubChannel = keys.adapterRoomChannel(channel);
  if (mode === 'sharded') {
    // socket.io-adapter ClusterAdapter message: { uid, nsp, type: BROADCAST, data: { opts, packet } }
    const opts = JSON.stringify({ rooms: [room], except: [], flags: {} });
    const head = `{"uid":"${FANOUT_UID}","nsp":${JSON.stringify(nsp)},"type":${BROADCAST_MESSAGE},"data":{"opts":${opts},"packet":{"type":${EVENT_PACKET},"data":["${MESSAGE_EVENT}",{"epoch":`;
    const tail = `,"channel":${JSON.stringify(channel)},"ts":${ts},"data":${dataJson}}],"nsp":${JSON.stringify(nsp)}}}}`;
    return {
      channel: pubsubChannel,
      format: 'json',
      head: Buffer.from(head),
      mid: Buffer.from(',"offset":'),
      tail: Buffer.from(tail),
    };
  }
  // @socket.io/redis-adapter classic (= @socket.io/redis-emitter) wire format: msgpack
  // [uid, { type, data: [event, message], nsp }, { rooms, except, flags }], assembled from parts
  // (MessagePack is a concatenation format, so only the container headers need care).
  const enc = notepack.encode;
  const head = Buffer.concat([
    Buffer.of(0x93), // array(3): uid, packet, opts
    enc(FANOUT_UID),
    Buffer.of(0x83), // packet map(3): type, data, nsp
    enc('type'),
    enc(EVENT_PACKET),
    enc('data'),
    Buffer.of(0x92), // array(2): event, message
    enc(MESSAGE_EVENT),
    Buffer.of(0x85), // message map(5): epoch, offset, channel, ts, data
    enc('epoch'),
  ]);
  const tail = Buffer.concat([
    enc('channel'),
    enc(channel),
    enc('ts'),
    enc(ts),
    enc('data'),
    enc(JSON.parse(dataJson)),
    enc('nsp'),
    enc(nsp),
    enc({ rooms: [room], except: [], flags: {} }),
  ]);
  return { channel: pubsubChannel, format: 'msgpack', head, mid: enc('offset'), tail };
}
