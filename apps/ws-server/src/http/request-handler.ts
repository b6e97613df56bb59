import { readFile } from 'node:fs/promises';
import {
  type IncomingMessage,
  maxHeaderSize,
  type RequestListener,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { Socket } from 'node:net';
import type { Publisher } from '@redpool/realtime';
import { isValidChannel } from '@redpool/realtime';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { MAX_TOKEN_LENGTH, signToken } from '../auth/jwt.js';
import type { WsConfig } from '../config/config.js';
import type { ConnectionTracker } from '../connections/connection-tracker.js';
import type { DrainStatus, WsServerStatus, WsStats } from '../status.js';
import { isLoopback, type Listener, OPERATIONS_PATHS, type OperationsAccess } from './operations-access.js';

/** What the request handler reads from the server it serves (the ws-server). */
export interface ServedServer {
  readonly config: WsConfig;
  readonly log: Logger;
  readonly tracker: ConnectionTracker;
  readonly ready: boolean;
  readonly status: WsServerStatus;
  readonly metrics: { readonly registry: Registry };
  readonly publisher: Publisher;
  drainStatus(): DrainStatus;
  stats(): WsStats;
}

/** The demo page and its script, next to `src/` and `dist/`. */
const PUBLIC_DIR = new URL('../../public/', import.meta.url);
const STATIC: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/index.html': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
};
const DEV_TOKEN_TTL_SECONDS = 3600;
const MAX_BODY_BYTES = 16 * 1024;

/**
 * Everything on the HTTP port that is not Socket.IO (`/socket.io/`, including the client script at
 * `/socket.io/socket.io.js`): `/healthz`, `/readyz`, `/metrics`, `/stats`, `/drain` (as `access`
 * allows), the chat page, and — in development only, to loopback callers only — `/dev/token` and
 * `/dev/notify`. On the operations listener only the endpoints are served. Each request is counted
 * while in flight (`http` in the connection counts).
 */
export function createRequestHandler(
  server: ServedServer,
  access: OperationsAccess,
  listener: Listener = 'client',
): RequestListener {
  const cache = new Map<string, Buffer>();
  return (req, res) => {
    server.tracker.trackRequest(res);
    void handle(server, cache, req, res, access, listener).catch((err: unknown) => {
      server.log.error({ err, url: req.url?.split('?')[0] }, 'http handler failed');
      if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
      else res.destroy();
    });
  };
}

async function handle(
  server: ServedServer,
  cache: Map<string, Buffer>,
  req: IncomingMessage,
  res: ServerResponse,
  access: OperationsAccess,
  listener: Listener,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const path = url.pathname;
  const method = req.method ?? 'GET';
  if (path.startsWith('/dev/') && listener === 'client') {
    if (!server.config.devEndpoints) return sendJson(res, 404, { error: 'not found' });
    // They mint identities: whatever the bind address, only this machine may ask.
    if (!isLoopback(req.socket.remoteAddress))
      return sendJson(res, 403, { error: 'development endpoints answer loopback callers only' });
    return dev(server, path, method, url, req, res);
  }
  if (method !== 'GET' && method !== 'HEAD')
    return sendJson(res, 405, { error: 'method not allowed' }, { allow: 'GET, HEAD' });
  if (OPERATIONS_PATHS.has(path)) {
    const refusal = access.check(req, listener);
    if (refusal) return sendJson(res, refusal.status, refusal.body, refusal.headers);
  }
  if (listener === 'operations' && !OPERATIONS_PATHS.has(path) && path !== '/healthz' && path !== '/readyz')
    return sendJson(res, 404, { error: 'not found' });
  switch (path) {
    case '/healthz':
      return sendJson(res, 200, { status: 'ok', instance: server.config.instanceId });
    case '/readyz':
      return server.ready
        ? sendJson(res, 200, { ready: true })
        : sendJson(res, 503, {
            ready: false,
            status: server.status,
            reason:
              server.status === 'draining'
                ? 'draining: clients are moving to other instances'
                : server.status === 'running'
                  ? 'Redis unreachable'
                  : 'not running',
          });
    case '/drain':
      return sendJson(res, 200, server.drainStatus());
    case '/metrics': {
      const registry = server.metrics.registry;
      const body = await registry.metrics();
      res.writeHead(200, { 'content-type': registry.contentType, 'cache-control': 'no-store' });
      res.end(body);
      return;
    }
    case '/stats':
      return sendJson(res, 200, server.stats());
    default: {
      const asset = STATIC[path];
      if (!asset) return sendJson(res, 404, { error: 'not found' });
      let body = cache.get(asset.file);
      if (!body) {
        body = await readFile(new URL(asset.file, PUBLIC_DIR));
        cache.set(asset.file, body);
      }
      res.writeHead(200, { 'content-type': asset.type, 'cache-control': 'no-cache' });
      res.end(method === 'HEAD' ? undefined : body);
    }
  }
}

/**
 * `GET /dev/token?user=alice[&rooms=a,b][&groups=g]` mints a token for anyone, and
 * `POST /dev/notify?user=alice` (body: text) publishes a notification to `notifications.alice`
 * through the same server-side API a worker uses. Refused in production (see config).
 */
async function dev(
  server: ServedServer,
  path: string,
  method: string,
  url: URL,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const user = url.searchParams.get('user') ?? '';
  if (!/^[A-Za-z0-9_.@-]{1,64}$/.test(user))
    return sendJson(res, 400, { error: 'user: 1-64 letters, digits and _ . @ -' });
  if (path === '/dev/token' && method === 'GET') {
    const claims: Record<string, unknown> = {
      sub: user,
      exp: Math.floor(Date.now() / 1000) + DEV_TOKEN_TTL_SECONDS,
    };
    for (const claim of ['rooms', 'groups']) {
      const list = url.searchParams.get(claim);
      if (list) claims[claim] = list.split(',').filter(Boolean);
    }
    return sendJson(res, 200, {
      token: signToken(claims, server.config.jwtSecret),
      expiresInSeconds: DEV_TOKEN_TTL_SECONDS,
    });
  }
  if (path === '/dev/notify' && method === 'POST') {
    const text = (await readBody(req)).trim() || 'Hello from the server';
    const channel = `notifications.${user}`;
    if (!isValidChannel(channel)) return sendJson(res, 400, { error: 'invalid user' });
    const result = await server.publisher.publish(channel, {
      text: text.slice(0, 1000),
      from: 'dev',
      at: Date.now(),
    });
    return sendJson(res, 200, { channel, epoch: result.epoch, offset: result.offset });
  }
  return sendJson(res, 404, { error: 'not found' });
}

/**
 * Answers a request the HTTP parser refused with a JSON reason instead of a bare status: headers
 * over Node's limit (`maxHeaderSize`, 16 KiB by default — a huge `Authorization` header, say) get
 * 431 with the limits to respect, other malformed requests 400.
 */
export function answerParseErrors(http: Server): void {
  http.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    if (err.code === 'ECONNRESET' || !socket.writable) return socket.destroy();
    const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
    const body = JSON.stringify({
      error: tooLarge
        ? `request headers larger than ${maxHeaderSize} bytes; send the token as auth.token in the handshake (at most ${MAX_TOKEN_LENGTH} characters)`
        : 'malformed HTTP request',
    });
    const status = tooLarge ? '431 Request Header Fields Too Large' : '400 Bad Request';
    socket.end(
      `HTTP/1.1 ${status}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  });
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error('body too large'));
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Answers `body` as JSON, never cached. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(text);
}
