/**
 * One load generator of `ws.bench.ts`, in its own process (forked with IPC) so that it never shares
 * an event loop with the servers it measures. The C clients are in rooms of R (room n = clients
 * nR … nR+R-1, each room spread over every URL); with K generators, generator g owns rooms g, g+K,
 * g+2K…: it opens those rooms' socket.io-client connections (WebSocket transport), publishes its
 * share of the M messages/s to them on a fixed-rate schedule, with both the scheduled and the actual
 * send time in the payload, and measures end-to-end latency at every receiver from each: from the
 * scheduled time (the figure a step passes or fails on: a generator that falls behind its schedule
 * counts that delay, as the users of a late server would) and from the actual send. Publisher and receivers of a message are in the same process: no
 * clocks are compared across processes. The parent (bench/generators.ts) merges the K results.
 *
 * Commands (process.send / 'message'): connect, run, disconnect; each answered with one message.
 */
import { performance } from 'node:perf_hooks';
import { io, type Socket } from 'socket.io-client';
import { signToken } from '../src/auth/jwt.js';
import { type Histogram, newHistogram, recordLatency, type SparseHistogram, toSparse } from './histogram.js';

export type ServerKind = 'redpool' | 'baseline';

export interface ConnectCommand {
  cmd: 'connect';
  kind: ServerKind;
  urls: string[];
  /** All clients, of all generators. */
  connections: number;
  roomSize: number;
  /** This generator (0 … generators-1): it owns the rooms g, g+K, g+2K… */
  generator: number;
  generators: number;
  /** redpool: the JWT secret. */
  secret?: string;
  /** redpool: publish with an acknowledgement callback (the baseline has none). */
  acks?: boolean;
}

export interface ConnectResult {
  /** Connections this generator opened. */
  connected: number;
  /** Rooms this generator owns. */
  rooms: number;
  ms: number;
}

export interface RunCommand {
  cmd: 'run';
  /** This generator's share of the publish rate, msgs/s. */
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
  /** Latency from the moment the message was actually sent, ms. */
  p50: number;
  p99: number;
  max: number;
  /** Latency from the message's scheduled send time (start + seq / rate), ms: what a step is judged on. */
  scheduledP50: number;
  scheduledP99: number;
  scheduledMax: number;
  /** Largest delay of the publishing timer behind schedule, ms (load generator saturation). */
  maxLagMs: number;
  disconnects: number;
}

/** One generator's answer to `run`: its counts and its histogram; the parent merges them. */
export interface GeneratorResult
  extends Omit<RunResult, 'p50' | 'p99' | 'max' | 'scheduledP50' | 'scheduledP99' | 'scheduledMax'> {
  /** Latency from the actual send. */
  histogram: SparseHistogram;
  /** Latency from the scheduled send time. */
  scheduled: SparseHistogram;
}

type Command = ConnectCommand | RunCommand | { cmd: 'disconnect' };

const now = () => performance.timeOrigin + performance.now();
const PAYLOAD_TEXT = 'The quick brown fox jumps over the lazy dog, twice! 0123456789';

let sockets: Socket[] = [];
/** The members of each room this generator owns, by local room index. */
let rooms: { name: string; members: Socket[] }[] = [];
let kind: ServerKind = 'redpool';
let disconnects = 0;
let acks = false;
// state of the current run
let histogram: Histogram = newHistogram();
let scheduled: Histogram = newHistogram();
let counts = new Uint16Array(0);
let runId = 0;
let received = 0;

const roomName = (room: number) => (kind === 'redpool' ? `chat.bench-${room}` : `bench-${room}`);

function record(data: unknown): void {
  const d = data as { r?: number; s?: number; t?: number; q?: number } | null;
  if (!d || d.r !== runId || typeof d.s !== 'number' || typeof d.t !== 'number' || typeof d.q !== 'number')
    return;
  const at = now();
  recordLatency(histogram, at - d.t);
  recordLatency(scheduled, at - d.q);
  if (d.s < counts.length) counts[d.s]!++;
  received++;
}

/** One client: connects, joins its room, records every message; redpool clients recover on reconnect. */
function openClient(
  i: number,
  url: string,
  room: { name: string; members: Socket[] },
  secret: string | undefined,
): Promise<void> {
  const channel = room.name;
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
  room.members.push(socket);
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

async function connectAll(command: ConnectCommand): Promise<ConnectResult> {
  const started = Date.now();
  kind = command.kind;
  rooms = [];
  disconnects = 0;
  acks = command.acks === true;
  const { connections, roomSize, generator, generators } = command;
  const clients: { i: number; room: (typeof rooms)[number] }[] = [];
  for (let room = generator; room * roomSize < connections; room += generators) {
    const owned = { name: roomName(room), members: [] as Socket[] };
    rooms.push(owned);
    for (let i = room * roomSize; i < Math.min(connections, (room + 1) * roomSize); i++)
      clients.push({ i, room: owned });
  }
  // as many handshakes in flight over all K generators as one generator had alone
  const BATCH = Math.ceil(250 / generators);
  for (let b = 0; b < clients.length; b += BATCH)
    await Promise.all(
      clients
        .slice(b, b + BATCH)
        // consecutive clients (one room) alternate between the URLs
        .map(({ i, room }) => openClient(i, command.urls[i % command.urls.length]!, room, command.secret)),
    );
  return { connected: sockets.length, rooms: rooms.length, ms: Date.now() - started };
}

/** The room (local index) and member of the seq-th message: round-robin over rooms, then members. */
function publisherOf(seq: number): { room: (typeof rooms)[number]; socket: Socket } {
  const room = rooms[seq % rooms.length]!;
  return { room, socket: room.members[Math.floor(seq / rooms.length) % room.members.length]! };
}

async function run(command: RunCommand): Promise<GeneratorResult> {
  runId++;
  histogram = newHistogram();
  scheduled = newHistogram();
  const total = rooms.length === 0 ? 0 : Math.ceil((command.rate * command.durationMs) / 1000);
  counts = new Uint16Array(total);
  received = 0;
  // every member of the message's room receives it (the last room may be smaller than R)
  let expected = 0;
  for (let seq = 0; seq < total; seq++) expected += rooms[seq % rooms.length]!.members.length;
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
        const { room, socket } = publisherOf(seq);
        // q: when this message was due on the fixed-rate schedule; t: when it actually left
        const data = {
          r: runId,
          s: seq,
          q: started + (seq * 1000) / command.rate,
          t: now(),
          text: PAYLOAD_TEXT,
        };
        if (kind === 'redpool' && acks)
          socket.emit('publish', { channel: room.name, data }, (ack: { ok: boolean }) => {
            if (ack?.ok) accepted++;
          });
        else if (kind === 'redpool') {
          socket.emit('publish', { channel: room.name, data });
          accepted++;
        } else {
          socket.emit('publish', { room: room.name, data });
          accepted++;
        }
      }
      if (sent >= total) resolve();
      else setTimeout(tick, 2);
    };
    tick();
  });
  // late deliveries
  const deadline = Date.now() + command.drainMs;
  while (received < expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  let lost = 0;
  let duplicates = 0;
  for (let seq = 0; seq < total; seq++) {
    const members = rooms[seq % rooms.length]!.members.length;
    const c = counts[seq]!;
    if (c < members) lost += members - c;
    else duplicates += c - members;
  }
  return {
    rate: command.rate,
    sent,
    accepted,
    expected,
    received,
    lost,
    duplicates,
    histogram: toSparse(histogram),
    scheduled: toSparse(scheduled),
    maxLagMs: Math.round(maxLagMs * 10) / 10,
    disconnects: disconnects - disconnectsBefore,
  };
}

async function disconnectAll(): Promise<{ closed: number }> {
  const closed = sockets.length;
  for (const socket of sockets) socket.disconnect();
  sockets = [];
  rooms = [];
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
