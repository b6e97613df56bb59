import { createServer, type Server as HttpServer } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import { Server, type Socket } from 'socket.io';
import { type Socket as ClientSocket, io as connect } from 'socket.io-client';
import { writeFrameDirect } from '../../src/channels/frame-writer.js';

const { Sender } = createRequire(import.meta.url)('ws') as {
  Sender: { frame(data: Buffer, options: Record<string, boolean | number>): Buffer[] };
};

/** The WebSocket frame of a Socket.IO event, as the fan-out builds it (one buffer). */
function eventFrame(event: string, value: number): Buffer {
  const text = `42${JSON.stringify([event, value])}`;
  return Buffer.concat(
    Sender.frame(Buffer.from(text), { readOnly: false, mask: false, rsv1: false, opcode: 1, fin: true }),
  );
}

let http: HttpServer;
let io: Server;
let url: string;
const clients: ClientSocket[] = [];

beforeAll(async () => {
  http = createServer();
  io = new Server(http);
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
});

afterEach(() => {
  for (const client of clients.splice(0)) client.disconnect();
});

afterAll(async () => {
  await io.close();
});

/** A connected client and its server-side socket; `received` collects `n` events in arrival order. */
async function pair(transports: ('websocket' | 'polling')[]) {
  const serverSide = new Promise<Socket>((resolve) => io.once('connection', resolve));
  const client = connect(url, { transports, upgrade: false, forceNew: true, reconnection: false });
  clients.push(client);
  const received: number[] = [];
  client.on('n', (value: number) => received.push(value));
  const socket = await serverSide;
  await new Promise<void>((resolve) => (client.connected ? resolve() : client.once('connect', resolve)));
  return { socket, received };
}

async function until(what: string, check: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('writeFrameDirect', () => {
  test('a WebSocket client receives the frame as an ordinary Socket.IO event', async () => {
    const { socket, received } = await pair(['websocket']);
    expect(writeFrameDirect(socket, eventFrame('n', 1))).toBe(true);
    expect(writeFrameDirect(socket, eventFrame('n', 2))).toBe(true);
    await until('two events', () => received.length === 2);
    expect(received).toEqual([1, 2]);
  });

  test('declines while Engine.IO has packets queued, so writes through it keep their order', async () => {
    const { socket, received } = await pair(['websocket']);
    // The first emit is handed to ws at once and leaves the transport busy until its write
    // callback; the second waits in Engine.IO's writeBuffer: a direct write now would overtake it.
    socket.emit('n', 1);
    socket.emit('n', 2);
    expect(writeFrameDirect(socket, eventFrame('n', 3))).toBe(false);
    socket.emit('n', 3);
    await until('the queue to drain', () => received.length === 3);
    expect(writeFrameDirect(socket, eventFrame('n', 4))).toBe(true);
    socket.emit('n', 5);
    expect(writeFrameDirect(socket, eventFrame('n', 6))).toBe(true);
    await until('six events', () => received.length === 6);
    expect(received).toEqual([1, 2, 3, 4, 5, 6]);
  });

  test('declines long-polling and closed connections without writing anything', async () => {
    const polling = await pair(['polling']);
    expect(writeFrameDirect(polling.socket, eventFrame('n', 1))).toBe(false);
    const ws = await pair(['websocket']);
    ws.socket.disconnect(true);
    expect(writeFrameDirect(ws.socket, eventFrame('n', 1))).toBe(false);
    polling.socket.emit('n', 2);
    await until('the polled event', () => polling.received.length === 1);
    expect(polling.received).toEqual([2]);
    expect(ws.received).toEqual([]);
  });
});
