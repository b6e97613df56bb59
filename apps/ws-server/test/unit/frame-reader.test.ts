import { describe, expect, test } from '@jest/globals';
import { buildFanoutFrame, StreamKeys } from '@redpool/realtime';
import type { Socket } from 'socket.io';
import { FrameReader } from '../../src/channels/frame-reader.js';

/** The frame the append script publishes: head + "epoch" + mid + offset + tail. */
function scriptFrame(nsp: string, channel: string, epoch: string, offset: number, ts: number, data: unknown) {
  const frame = buildFanoutFrame(
    'sharded',
    new StreamKeys('p', 'sio', nsp),
    channel,
    ts,
    JSON.stringify(data),
  );
  return Buffer.concat([
    frame.head,
    Buffer.from(`"${epoch}"`),
    frame.mid,
    Buffer.from(String(offset)),
    frame.tail,
  ]);
}

/** What a socket would be sent: the encoded packet and the options. */
function written(delivery: NonNullable<ReturnType<FrameReader['read']>>) {
  const calls: [string[], { wsPreEncodedFrame?: Buffer[] }][] = [];
  // a long-polling connection: never written to directly
  const socket = {
    conn: { readyState: 'open', writeBuffer: [], transport: { name: 'polling' } },
    client: { writeToEngine: (e: string[], o: object) => calls.push([e, o]) },
  } as unknown as Socket;
  delivery.write!(socket);
  delivery.write!(socket);
  return calls;
}

const PAYLOADS: unknown[] = [
  { text: 'hello', user: 'ann' },
  { text: 'quotes " and \\ backslashes, "ts":1,"data":{} inside', n: -1.5e-7 },
  { text: 'unicode: héllo 日本語 🎉', nested: { a: [1, 2, { b: null }] } },
  'a bare string',
  42,
  [1, '2', { three: 3 }],
  null,
];

describe('FrameReader', () => {
  test.each([['/'], ['/chat']])(
    'reads the script frames of namespace %s exactly as the adapter would, payload untouched',
    (nsp) => {
      const reader = new FrameReader(nsp);
      for (const [i, data] of PAYLOADS.entries()) {
        const raw = scriptFrame(
          nsp,
          `chat.room-${i}:x@y=z`,
          `mb3k9x${i}`,
          1000 + i,
          1_795_000_000_000 + i,
          data,
        );
        const delivery = reader.read(raw);
        expect(delivery).toBeDefined();
        const parsed = JSON.parse(raw.toString()) as {
          data: { packet: { type: number; nsp: string; data: [string, Record<string, unknown>] } };
        };
        const expected = parsed.data.packet.data[1];
        expect(JSON.parse(JSON.stringify(delivery!.pub))).toEqual(expected);
        const { epoch, offset, channel, ts, data: payload } = delivery!.pub;
        expect({ epoch, offset, channel, ts, data: payload }).toEqual(expected);
        // the packet written is what socket.io-parser encodes from the parsed frame (protocol v5:
        // type, namespace unless "/", then the JSON data)
        const encoded = `2${nsp === '/' ? '' : `${nsp},`}${JSON.stringify(parsed.data.packet.data)}`;
        const calls = written(delivery!);
        expect(calls[0]![0]).toEqual([encoded]);
        expect(delivery!.bytes).toBe(encoded.length);
        const frame = Buffer.concat(calls[0]![1].wsPreEncodedFrame!);
        expect(frame.subarray(frame.length - Buffer.byteLength(`4${encoded}`)).toString()).toBe(
          `4${encoded}`,
        );
        expect(calls[1]![1]).toBe(calls[0]![1]); // one frame per message, shared by every socket
      }
    },
  );

  test('leaves everything else to the adapter', () => {
    const reader = new FrameReader('/');
    const frame = scriptFrame('/', 'chat.a', 'e1', 1, 1, { x: 1 });
    expect(reader.read(frame)).toBeDefined();
    expect(new FrameReader('/other').read(frame)).toBeUndefined(); // another namespace
    expect(
      reader.read(Buffer.from(frame.toString().replace('"uid":"redpool"', '"uid":"abcdef"'))),
    ).toBeUndefined();
    expect(reader.read(frame.subarray(0, frame.length - 1))).toBeUndefined(); // truncated
    expect(reader.read(Buffer.from('{"uid":"x","type":3}'))).toBeUndefined();
    expect(reader.read(Buffer.from([0x93, 0xa7]))).toBeUndefined(); // msgpack
    const adapterBroadcast = JSON.stringify({
      uid: 'redpool',
      nsp: '/',
      type: 3,
      data: {
        opts: { rooms: ['r'], except: [], flags: {} },
        packet: { type: 2, data: ['other', 1], nsp: '/' },
      },
    });
    expect(reader.read(Buffer.from(adapterBroadcast.padEnd(200)))).toBeUndefined();
  });
});
