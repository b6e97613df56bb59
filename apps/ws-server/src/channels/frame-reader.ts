import { createRequire } from 'node:module';
import { FANOUT_UID, MESSAGE_EVENT, type Publication } from '@redpool/realtime';
import type { Socket } from 'socket.io';
import type { Delivery } from './delivery.js';
import { writeFrame } from './frame-writer.js';

/** ws' frame builder (the one socket.io-adapter uses for broadcasts): header + payload, unmasked. */
const { Sender } = createRequire(import.meta.url)('ws') as {
  Sender: {
    frame(
      data: Buffer,
      options: { readOnly: boolean; mask: boolean; rsv1: boolean; opcode: number; fin: boolean },
    ): Buffer[];
  };
};

/**
 * Reads the channel-message frames the append script publishes for the sharded adapter
 * (`@redpool/realtime` `buildFanoutFrame`) without parsing them as a whole: the Socket.IO packet
 * they carry is already JSON text, so it is written to subscribers as is (one ws frame built per
 * message, like socket.io-adapter's own broadcasts), and only the envelope's epoch, offset,
 * channel and time are read. Anything else (another format, a namespace of another adapter, a
 * frame that does not read exactly as expected) returns undefined and goes the adapter's way.
 *
 * A frame is `{"uid":"redpool","nsp":<nsp>,"type":3,"data":{"opts":{…},"packet":{"type":2,
 * "data":["message",{"epoch":"<e>","offset":<o>,"channel":"<c>","ts":<t>,"data":<json>}],
 * "nsp":<nsp>}}}`.
 */
export class FrameReader {
  private readonly prefix: Buffer;
  private readonly packetPrefix: string;
  private readonly suffix: string;

  constructor(nsp: string) {
    const nspJson = JSON.stringify(nsp);
    this.prefix = Buffer.from(`{"uid":"${FANOUT_UID}","nsp":${nspJson},"type":3,"data":{"opts":`);
    this.packetPrefix = nsp === '/' ? '2' : `2${nsp},`;
    this.suffix = `,"nsp":${nspJson}}}}`;
  }

  /** The delivery of a channel-message frame, or undefined when `raw` is not one. */
  read(raw: Buffer): Delivery | undefined {
    if (
      raw.length < this.prefix.length + 64 ||
      raw.compare(this.prefix, 0, this.prefix.length, 0, this.prefix.length) !== 0
    )
      return undefined;
    const text = raw.toString('utf8');
    if (!text.endsWith(this.suffix)) return undefined;
    const start = text.indexOf(PACKET_MARK, this.prefix.length);
    if (start < 0) return undefined;
    const arrayStart = start + PACKET_MARK.length - MESSAGE_HEAD.length;
    const array = text.slice(arrayStart, text.length - this.suffix.length);
    // ["message",{"epoch":"<e>","offset":<o>,"channel":"<c>","ts":<t>,"data":<json>}]
    let at = MESSAGE_HEAD.length;
    const epochEnd = array.indexOf('"', at);
    if (epochEnd < 0) return undefined;
    const epoch = array.slice(at, epochEnd);
    at = epochEnd;
    if (!array.startsWith(OFFSET_MARK, at)) return undefined;
    at += OFFSET_MARK.length;
    const offsetEnd = array.indexOf(',', at);
    const offset = Number(array.slice(at, offsetEnd));
    at = offsetEnd;
    if (!array.startsWith(CHANNEL_MARK, at)) return undefined;
    at += CHANNEL_MARK.length;
    const channelEnd = array.indexOf('"', at);
    const channel = array.slice(at, channelEnd);
    at = channelEnd;
    if (!array.startsWith(TS_MARK, at)) return undefined;
    at += TS_MARK.length;
    const tsEnd = array.indexOf(',', at);
    const ts = Number(array.slice(at, tsEnd));
    if (!array.startsWith(DATA_MARK, tsEnd) || !array.endsWith('}]')) return undefined;
    if (
      !Number.isSafeInteger(offset) ||
      !Number.isFinite(ts) ||
      channel.includes('\\') ||
      epoch.includes('\\')
    )
      return undefined;
    const encoded = this.packetPrefix + array;
    const pub = new LazyPublication(epoch, offset, channel, ts, array, tsEnd + DATA_MARK.length);
    const packets = [encoded];
    let frame: Buffer | undefined;
    let opts: { preEncoded: true; wsPreEncodedFrame: Buffer[] } | undefined;
    return {
      pub,
      bytes: encoded.length,
      write: (socket: Socket) => {
        // One buffer (header and payload) for all subscribers: one write per delivery, not a writev.
        // "4": the Engine.IO message packet type.
        frame ??= Buffer.concat(
          Sender.frame(Buffer.from(`4${encoded}`), {
            readOnly: false,
            mask: false,
            rsv1: false,
            opcode: 1,
            fin: true,
          }),
        );
        opts ??= { preEncoded: true, wsPreEncodedFrame: [frame] };
        writeFrame(socket, frame, packets, opts);
      },
    };
  }
}

const MESSAGE_HEAD = `["${MESSAGE_EVENT}",{"epoch":"`;
const PACKET_MARK = `,"packet":{"type":2,"data":${MESSAGE_HEAD}`;
const OFFSET_MARK = '","offset":';
const CHANNEL_MARK = ',"channel":"';
const TS_MARK = '","ts":';
const DATA_MARK = ',"data":';

/** A publication whose payload is parsed only if someone reads it (live deliveries never do). */
class LazyPublication implements Publication {
  private parsed = false;
  private value: unknown;

  constructor(
    readonly epoch: string,
    readonly offset: number,
    readonly channel: string,
    readonly ts: number,
    private readonly array: string,
    private readonly dataStart: number,
  ) {}

  get data(): unknown {
    if (!this.parsed) {
      this.value = JSON.parse(this.array.slice(this.dataStart, this.array.length - 2));
      this.parsed = true;
    }
    return this.value;
  }

  toJSON(): Publication {
    return { epoch: this.epoch, offset: this.offset, channel: this.channel, ts: this.ts, data: this.data };
  }
}
