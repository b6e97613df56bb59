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

const SHARDED_MID = Buffer.from(',"offset":');

/** The parts of a channel's sharded frames that do not change from message to message. */
interface ShardedParts {
  readonly pubsubChannel: string;
  readonly head: Buffer;
  readonly tailStart: string;
  readonly nspJson: string;
}

const PARTS_CACHE_SIZE = 10_000;
const shardedCache = new WeakMap<StreamKeys, Map<string, ShardedParts>>();

function shardedParts(keys: StreamKeys, channel: string): ShardedParts {
  let byChannel = shardedCache.get(keys);
  if (!byChannel) {
    byChannel = new Map();
    shardedCache.set(keys, byChannel);
  }
  let parts = byChannel.get(channel);
  if (!parts) {
    const nspJson = JSON.stringify(keys.namespace);
    const opts = JSON.stringify({ rooms: [keys.room(channel)], except: [], flags: {} });
    parts = {
      pubsubChannel: keys.adapterRoomChannel(channel),
      head: Buffer.from(
        `{"uid":"${FANOUT_UID}","nsp":${nspJson},"type":${BROADCAST_MESSAGE},"data":{"opts":${opts},"packet":{"type":${EVENT_PACKET},"data":["${MESSAGE_EVENT}",{"epoch":`,
      ),
      tailStart: `,"channel":${JSON.stringify(channel)},"ts":`,
      nspJson,
    };
    if (byChannel.size >= PARTS_CACHE_SIZE) byChannel.clear();
    byChannel.set(channel, parts);
  }
  return parts;
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
  if (mode === 'sharded') {
    // socket.io-adapter ClusterAdapter message: { uid, nsp, type: BROADCAST, data: { opts, packet } }
    const parts = shardedParts(keys, channel);
    return {
      channel: parts.pubsubChannel,
      format: 'json',
      head: parts.head,
      mid: SHARDED_MID,
      tail: Buffer.from(`${parts.tailStart}${ts},"data":${dataJson}}],"nsp":${parts.nspJson}}}}`),
    };
  }
  const nsp = keys.namespace;
  const room = keys.room(channel);
  const pubsubChannel = keys.adapterRoomChannel(channel);
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
