import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

/** A RESP2 reply. Errors are returned (not thrown) as {@link RespReplyError} only inside arrays. */
export type RespValue = string | number | null | RespReplyError | RespValue[];

/** An error reply (`-ERR ...`) from Redis. */
export class RespReplyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RespReplyError';
  }
}

/** Where and how to reach a server for internal admin commands. */
export interface AdminEndpoint {
  host: string;
  port: number;
  username?: string | undefined;
  password?: string | undefined;
  tls?: { ca: string; cert?: string; key?: string } | undefined;
}

interface Parsed {
  value: RespValue;
  end: number;
}

function lineEnd(buf: Buffer, from: number): number {
  const idx = buf.indexOf('\r\n', from);
  return idx;
}

/** Parse one RESP2 value at `offset`; undefined when the buffer is incomplete. */
export function parseResp(buf: Buffer, offset = 0): Parsed | undefined {
  if (offset >= buf.length) return undefined;
  const eol = lineEnd(buf, offset);
  if (eol < 0) return undefined;
  const type = String.fromCharCode(buf[offset]!);
  const line = buf.toString('utf8', offset + 1, eol);
  const next = eol + 2;
  switch (type) {
    case '+':
      return { value: line, end: next };
    case '-':
      return { value: new RespReplyError(line), end: next };
    case ':':
      return { value: Number(line), end: next };
    case '$': {
      const len = Number(line);
      if (len < 0) return { value: null, end: next };
      if (buf.length < next + len + 2) return undefined;
      return { value: buf.toString('utf8', next, next + len), end: next + len + 2 };
    }
    case '*': {
      const count = Number(line);
      if (count < 0) return { value: null, end: next };
      const items: RespValue[] = [];
      let pos = next;
      for (let i = 0; i < count; i++) {
        const item = parseResp(buf, pos);
        if (item === undefined) return undefined;
        items.push(item.value);
        pos = item.end;
      }
      return { value: items, end: pos };
    }
    default:
      throw new Error(`unexpected RESP type byte ${JSON.stringify(type)}`);
  }
}

/** Encode a command as a RESP array of bulk strings. */
export function encodeCommand(args: readonly (string | number)[]): Buffer {
  const parts: string[] = [`*${args.length}\r\n`];
  for (const arg of args) {
    const s = String(arg);
    parts.push(`$${Buffer.byteLength(s)}\r\n${s}\r\n`);
  }
  return Buffer.from(parts.join(''));
}

function open(endpoint: AdminEndpoint): Socket {
  if (endpoint.tls === undefined) return netConnect({ host: endpoint.host, port: endpoint.port });
  return tlsConnect({
    host: endpoint.host,
    port: endpoint.port,
    ca: endpoint.tls.ca,
    ...(endpoint.tls.cert !== undefined ? { cert: endpoint.tls.cert } : {}),
    ...(endpoint.tls.key !== undefined ? { key: endpoint.tls.key } : {}),
  });
}

/**
 * Open a short-lived connection, authenticate when credentials are set, send one command and return
 * its reply. Rejects on an error reply, a socket error, or when nothing came back within `timeoutMs`.
 */
export function sendCommand(
  endpoint: AdminEndpoint,
  args: readonly (string | number)[],
  timeoutMs = 2000,
): Promise<RespValue> {
  return new Promise((resolve, reject) => {
    const payload: Buffer[] = [];
    if (endpoint.password !== undefined) {
      payload.push(
        encodeCommand(
          endpoint.username !== undefined
            ? ['AUTH', endpoint.username, endpoint.password]
            : ['AUTH', endpoint.password],
        ),
      );
    }
    payload.push(encodeCommand(args));
    const expected = payload.length;
    const replies: RespValue[] = [];
    let buf: Buffer = Buffer.alloc(0);
    let settled = false;
    const socket = open(endpoint);
    const finish = (err: Error | undefined, value?: RespValue): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (err !== undefined) reject(err);
      else resolve(value ?? null);
    };
    const timer = setTimeout(
      () =>
        finish(
          new Error(
            `no reply to ${String(args[0])} from ${endpoint.host}:${endpoint.port} in ${timeoutMs} ms`,
          ),
        ),
      timeoutMs,
    );
    socket.setNoDelay(true);
    socket.on('error', (err) => finish(err));
    socket.on('close', () => finish(new Error(`connection to ${endpoint.host}:${endpoint.port} closed`)));
    socket.on('data', (chunk: Buffer) => {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      try {
        for (let parsed = parseResp(buf); parsed !== undefined; parsed = parseResp(buf)) {
          buf = buf.subarray(parsed.end);
          replies.push(parsed.value);
        }
      } catch (err) {
        finish(err instanceof Error ? err : new Error(String(err)));
        return;
      }
      if (replies.length < expected) return;
      const firstError = replies.find((r): r is RespReplyError => r instanceof RespReplyError);
      if (firstError !== undefined) finish(firstError);
      else finish(undefined, replies[expected - 1]);
    });
    socket.write(Buffer.concat(payload));
  });
}

/** Parse INFO output into a flat `field -> value` record (section headers and blank lines skipped). */
export function parseInfo(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const idx = line.indexOf(':');
    if (idx <= 0) continue;
    out[line.slice(0, idx)] = line.slice(idx + 1);
  }
  return out;
}
