import type { Socket } from 'node:net';

/** Longest request line the supervisor reads before routing. */
const MAX_HEAD_BYTES = 8 * 1024;
/** A connection that sends no request line within this is closed. */
const HEAD_TIMEOUT_MS = 10_000;

/** The worker a request belongs to, from the `sid` of its request line; undefined for a new session. */
export function workerOfRequestLine(line: string): number | undefined {
  const sid = /[?&]sid=w(\d+)\./.exec(line.split(' ', 2)[1] ?? '');
  return sid ? Number(sid[1]) : undefined;
}

/**
 * Stops this process from reading `socket` any further, for good: the bytes the client sends next
 * stay in the kernel for the process the socket is handed to. `pause()` alone is not enough: libuv
 * keeps reading into this process, and once Node has sent the handle to a worker it drops what it
 * reads until the worker acknowledges — a WebSocket client's CONNECT or a poll request lost that
 * way under load. Call it in the same tick as the last read, just before handing the socket over.
 */
export function stopReading(socket: Socket): void {
  const handle = (socket as unknown as { _handle?: { reading: boolean; readStop(): number } | null })._handle;
  if (!handle) return;
  handle.readStop();
  // net.Socket#_read restarts a handle it believes stopped; it stays stopped until it moves.
  handle.reading = true;
}

/**
 * Reads a new connection up to the end of its request line (at most 8 KiB, within 10 s, else it
 * is closed), pauses it and calls `onLine` with the line and every byte read so far (`head`),
 * which the next reader must be given first.
 */
export function readRequestLine(socket: Socket, onLine: (line: string, head: Buffer) => void): void {
  socket.on('error', () => undefined);
  let head: Buffer = Buffer.alloc(0);
  const timer = setTimeout(() => socket.destroy(), HEAD_TIMEOUT_MS);
  const onData = (chunk: Buffer) => {
    head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
    const end = head.indexOf('\r\n');
    if (end < 0 && head.length < MAX_HEAD_BYTES) return;
    socket.off('data', onData);
    socket.pause();
    clearTimeout(timer);
    onLine(head.subarray(0, end < 0 ? head.length : end).toString('latin1'), head);
  };
  socket.on('data', onData);
  socket.once('close', () => clearTimeout(timer));
}
