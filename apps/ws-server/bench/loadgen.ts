/**
 * The load generator of `ws.bench.ts`, in its own process (forked with IPC) so that it never shares
 * an event loop with the servers it measures. It opens C socket.io-client connections (WebSocket
 * transport) across the given URLs, puts them in rooms of R (each room spread over every URL),
 * publishes M messages/s with the send time in the payload, and measures end-to-end latency at
 * every receiver.
 *
 * Commands (process.send / 'message'): connect, run, disconnect; each answered with one message.
 */
import { performance } from 'node:perf_hooks';
import { io, type Socket } from 'socket.io-client';
import { signToken } from '../src/jwt.js';

export type ServerKind = 'redpool' | 'baseline';

export interface ConnectCommand {
  cmd: 'connect';
  kind: ServerKind;
  urls: string[];
  connections: number;
  roomSize: number;
  /** redpool: the JWT secret. */
  secret?: string;
  /** redpool: publish with an acknowledgement callback (the baseline has none). */
  acks?: boolean;
}

export interface RunCommand {
  cmd: 'run';
  rate: number;
  durationMs: number;
  /** How long to wait for late deliveries after the last publish. */
  drainMs: number;
}

export interface RunResult {
  rate: number;
  sent: number;
  /** Publishes the server acknowledged (redpool) or emitted (baseline). */
  accepted: number;
  expected: number;
  received: number;
  lost: number;
  duplicates: number;
  p50: number;
  p99: number;
  max: number;
  /** Largest delay of the publishing timer behind schedule, ms (load generator saturation). */
  maxLagMs: number;
  disconnects: number;
}

type Command = ConnectCommand | RunCommand | { cmd: 'disconnect' };

const now = () => performance.timeOrigin + performance.now();
/** Latency histogram: 0.05 ms buckets up to 10 s. */
const BUCKET_MS = 0.05;
const BUCKETS = 200_000;
const PAYLOAD_TEXT = 'The quick brown fox jumps over the lazy dog, twice! 0123456789';

let sockets: Socket[] = [];
let kind: ServerKind = 'redpool';
let roomSize = 10;
let rooms = 0;
let disconnects = 0;
let acks = false;
// state of the current run
let histogram = new Uint32Array(BUCKETS);
let counts = new Uint16Array(0);
let runId = 0;
let received = 0;

const roomName = (room: number) => (kind === 'redpool' ? `chat.bench-${room}` : `bench-${room}`);

function record(data: unknown): void {
  const d = data as { r?: number; s?: number; t?: number } | null;
  if (!d || d.r !== runId || typeof d.s !== 'number' || typeof d.t !== 'number') return;
  const latency = now() - d.t;
  histogram[Math.min(BUCKETS - 1, Math.max(0, Math.floor(latency / BUCKET_MS)))]!++;
  if (d.s < counts.length) counts[d.s]!++;
  received++;
}

function percentile(p: number, total: number): number {
  if (total === 0) return 0;
  const target = Math.ceil(total * p);
  let seen = 0;
  for (let i = 0; i < BUCKETS; i++) {
    seen += histogram[i]!;
    if (seen >= target) return (i + 1) * BUCKET_MS;
  }
  return BUCKETS * BUCKET_MS;
}

/** One client: connects, joins its room, records every message; redpool clients recover on reconnect. */
function openClient(i: number, url: string, secret: string | undefined): Promise<void> {
  const room = Math.floor(i / roomSize);
  const channel = roomName(room);
  const socket = io(url, {
    transports: ['websocket'],
    forceNew: true,
    reconnectionDelay: 500,
    reconnectionDelayMax: 2_000,
    timeout: 20_000,
    ...(kind === 'redpool'
      ? {
          auth: {
            token: signToken({ sub: `bench-${i}`, exp: Math.floor(Date.now() / 1000) + 86_400 }, secret!),
          },
        }
      : {}),
  });
  sockets.push(socket);
  let position: { epoch: string; offset: number } | undefined;
  let first = true;
  return new Promise((resolve, reject) => {
    socket.on('connect_error', (err) => {
      if (first) reject(err);
    });
    socket.on('disconnect', () => {
      disconnects++;
    });
    socket.on('connect', () => {
      const joined = () => {
        if (first) {
          first = false;
          resolve();
        }
      };
      if (kind === 'baseline') {
        socket.timeout(20_000).emit('join', channel, (err: Error | null) => (err ? reject(err) : joined()));
        return;
      }
      socket
        .timeout(20_000)
        .emit('subscribe', { channel, ...position }, (err: Error | null, ack: Record<string, unknown>) => {
          if (err || !ack?.ok) {
            if (first) reject(err ?? new Error(JSON.stringify(ack)));
            return;
          }
          for (const pub of ack.publications as { data: unknown }[]) record(pub.data);
          position = { epoch: ack.epoch as string, offset: ack.offset as number };
          joined();
        });
    });
    if (kind === 'redpool')
      socket.on('message', (pub: { epoch: string; offset: number; data: unknown }) => {
        position = { epoch: pub.epoch, offset: pub.offset };
        record(pub.data);
      });
    else socket.on('message', (data: unknown) => record(data));
  });
}

async function connectAll(command: ConnectCommand): Promise<{ connected: number; ms: number }> {
  const started = Date.now();
  kind = command.kind;
  roomSize = command.roomSize;
  rooms = Math.ceil(command.connections / roomSize);
  disconnects = 0;
  acks = command.acks === true;
  const BATCH = 250;
  for (let i = 0; i < command.connections; i += BATCH) {
    const batch: Promise<void>[] = [];
    for (let j = i; j < Math.min(command.connections, i + BATCH); j++)
      // consecutive clients (one room) alternate between the URLs
      batch.push(openClient(j, command.urls[j % command.urls.length]!, command.secret));
    await Promise.all(batch);
  }
  return { connected: sockets.length, ms: Date.now() - started };
}

async function run(command: RunCommand): Promise<RunResult> {
  runId++;
  histogram = new Uint32Array(BUCKETS);
  const total = Math.ceil((command.rate * command.durationMs) / 1000);
  counts = new Uint16Array(total);
  received = 0;
  const disconnectsBefore = disconnects;
  let sent = 0;
  let accepted = 0;
  let maxLagMs = 0;
  const started = now();
  await new Promise<void>((resolve) => {
    const tick = () => {
      const elapsed = now() - started;
      const due = Math.min(total, Math.floor((command.rate * elapsed) / 1000));
      // how late the oldest due message is: the generator's own saturation
      if (due > sent) maxLagMs = Math.max(maxLagMs, elapsed - (sent * 1000) / command.rate);
      while (sent < due) {
        const seq = sent++;
        const room = seq % rooms;
        const member = Math.floor(seq / rooms) % roomSize;
        const socket = sockets[Math.min(sockets.length - 1, room * roomSize + member)]!;
        const data = { r: runId, s: seq, t: now(), text: PAYLOAD_TEXT };
        if (kind === 'redpool' && acks)
          socket.emit('publish', { channel: roomName(room), data }, (ack: { ok: boolean }) => {
            if (ack?.ok) accepted++;
          });
        else if (kind === 'redpool') {
          socket.emit('publish', { channel: roomName(room), data });
          accepted++;
        } else {
          socket.emit('publish', { room: roomName(room), data });
          accepted++;
        }
      }
      if (sent >= total) resolve();
      else setTimeout(tick, 2);
    };
    tick();
  });
  // late deliveries
  const expected = total * roomSize;
  const deadline = Date.now() + command.drainMs;
  while (received < expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  let lost = 0;
  let duplicates = 0;
  let perRoom = roomSize;
  for (let seq = 0; seq < total; seq++) {
    // the last room may be smaller when C is not a multiple of R
    const room = seq % rooms;
    perRoom = Math.min(roomSize, sockets.length - room * roomSize);
    const c = counts[seq]!;
    if (c < perRoom) lost += perRoom - c;
    else duplicates += c - perRoom;
  }
  return {
    rate: command.rate,
    sent,
    accepted,
    expected,
    received,
    lost,
    duplicates,
    p50: percentile(0.5, received),
    p99: percentile(0.99, received),
    max: percentile(1, received),
    maxLagMs: Math.round(maxLagMs * 10) / 10,
    disconnects: disconnects - disconnectsBefore,
  };
}

async function disconnectAll(): Promise<{ closed: number }> {
  const closed = sockets.length;
  for (const socket of sockets) socket.disconnect();
  sockets = [];
  await new Promise((r) => setTimeout(r, 500));
  return { closed };
}

process.on('message', (command: Command) => {
  const answer = (promise: Promise<unknown>) =>
    promise.then(
      (result) => process.send?.({ ok: true, result }),
      (err: unknown) => process.send?.({ ok: false, error: (err as Error).message ?? String(err) }),
    );
  if (command.cmd === 'connect') void answer(connectAll(command));
  else if (command.cmd === 'run') void answer(run(command));
  else if (command.cmd === 'disconnect') void answer(disconnectAll());
});
process.send?.({ ok: true, result: 'ready' });
