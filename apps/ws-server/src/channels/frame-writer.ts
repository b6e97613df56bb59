import type { Socket } from 'socket.io';

/** ws' OPEN readyState and its Sender's idle state (ws 8). */
const WS_OPEN = 1;
const SENDER_IDLE = 0;

/** Socket.IO's Client method that queues already encoded packets on the Engine.IO socket. */
interface EnginePacketWriter {
  writeToEngine(encoded: unknown[], opts: unknown): void;
}

/** The Engine.IO 6 / ws 8 internals a direct write depends on; anything unexpected means "no". */
interface EngineSocketPath {
  readyState?: string;
  upgrading?: boolean;
  writeBuffer?: unknown[];
  transport?: {
    name?: string;
    perMessageDeflate?: unknown;
    socket?: {
      readyState?: number;
      _sender?: { _state?: number; _queue?: unknown[] };
      _socket?: { writable?: boolean; write(chunk: Buffer): boolean };
    };
  };
}

/**
 * Writes a complete WebSocket frame (built once per message and shared by every subscriber)
 * straight to the connection's TCP socket, when Engine.IO and ws have nothing queued for it.
 * These are the bytes Engine.IO itself writes for a pre-encoded broadcast packet (it also calls
 * ws' Sender directly), without its per-packet bookkeeping: packet objects, `flush` and `drain`
 * events, write callbacks. That bookkeeping was a fifth of a delivery's cost; the rest is the write.
 *
 * Returns false, writing nothing, when the connection cannot take a direct write (long-polling,
 * an upgrade in progress, packets waiting in Engine.IO or in ws, compression, a closing socket):
 * the caller then writes through Engine.IO. Bytes reach the TCP socket in call order either way,
 * because a direct write only happens when nothing is waiting ahead of it.
 */
export function writeFrameDirect(socket: Socket, frame: Buffer): boolean {
  const engine = socket.conn as unknown as EngineSocketPath;
  if (engine.readyState !== 'open' || engine.upgrading || engine.writeBuffer?.length !== 0) return false;
  const transport = engine.transport;
  if (transport?.name !== 'websocket' || transport.perMessageDeflate) return false;
  const ws = transport.socket;
  const sender = ws?._sender;
  const tcp = ws?._socket;
  if (
    ws?.readyState !== WS_OPEN ||
    !sender ||
    (sender._state !== undefined && sender._state !== SENDER_IDLE) ||
    sender._queue?.length !== 0 ||
    !tcp?.writable
  )
    return false;
  tcp.write(frame);
  return true;
}

/**
 * Writes one channel message to a subscriber: its `frame` directly (see {@link writeFrameDirect})
 * when it can, else through Engine.IO as the already `encoded` packets with `opts`.
 */
export function writeFrame(
  socket: Socket,
  frame: Buffer | undefined,
  encoded: unknown[],
  opts: unknown,
): void {
  if (frame && writeFrameDirect(socket, frame)) return;
  (socket.client as unknown as EnginePacketWriter).writeToEngine(encoded, opts);
}
