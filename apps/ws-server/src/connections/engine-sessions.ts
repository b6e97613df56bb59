import { randomBytes } from 'node:crypto';
import type { Server as HttpServer, IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ConnectionTracker } from './connection-tracker.js';

/** The Engine.IO session internals the server touches (tracking, drain, dead peers). */
export interface EngineSession {
  readonly transport: { readonly name: string; socket?: { terminate?: () => void } };
  close(discard?: boolean): void;
  once(event: 'close', fn: (reason: string) => void): unknown;
  on(event: 'upgrade', fn: (transport: { name: string }) => void): unknown;
}

/** The Engine.IO server internals the server touches. */
export interface EngineInternals {
  clients: Record<string, EngineSession>;
  generateId: (req: IncomingMessage) => string;
  on(event: 'connection', fn: (socket: EngineSession) => void): unknown;
}

/**
 * Counts sessions by transport as they open, upgrade and close; gives sessions a routing prefix
 * (supervisor workers); cuts a dead peer's socket at once (a ping timeout means it stopped
 * answering: waiting for its WebSocket close handshake would keep the socket for 30 s).
 */
export function watchSessions(
  engine: EngineInternals,
  tracker: ConnectionTracker,
  sessionIdPrefix: string | undefined,
): void {
  if (sessionIdPrefix !== undefined)
    engine.generateId = () => `${sessionIdPrefix}${randomBytes(15).toString('base64url')}`;
  engine.on('connection', (session) => {
    tracker.trackSession(session);
    session.once('close', (reason) => {
      if (reason === 'ping timeout' || reason === 'transport error') session.transport.socket?.terminate?.();
    });
  });
}

/** Closes a session at once (end of a drain's grace period), discarding what it had queued. */
export function forceClose(session: EngineSession): void {
  const socket = session.transport.socket;
  session.close(true);
  socket?.terminate?.();
}

/** Options of {@link guardSessions}. */
export interface SessionGuardOptions {
  /** Where Engine.IO listens, with a trailing slash (`/socket.io/`). */
  enginePath: string;
  /** True while new sessions must be refused (draining). */
  refusing: () => boolean;
  /** Close the HTTP connection after every response (supervisor workers: each request is routed). */
  closeEveryResponse: boolean;
  onRefused: () => void;
}

const REFUSAL = JSON.stringify({
  code: 'WS_ERR_DRAINING',
  message: 'this instance is shutting down: connect to another instance',
});

/**
 * While `refusing()`, a request that would open a new Engine.IO session (no `sid`) is answered
 * `503` with `Retry-After: 1` (the Socket.IO client retries with backoff; a load balancer that
 * follows `/readyz` sends it elsewhere); WebSocket upgrades alike. Requests of existing sessions
 * and every other path go through. Wraps the listeners Socket.IO attached to `http`.
 */
export function guardSessions(http: HttpServer, options: SessionGuardOptions): void {
  const refuses = (req: IncomingMessage) =>
    options.refusing() && (req.url ?? '').startsWith(options.enginePath) && !/[?&]sid=/.test(req.url ?? '');
  type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;
  type UpgradeListener = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
  const requestListeners = http.listeners('request') as RequestListener[];
  http.removeAllListeners('request');
  http.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (options.closeEveryResponse) res.setHeader('connection', 'close');
    if (refuses(req)) {
      options.onRefused();
      res.writeHead(503, {
        'content-type': 'application/json; charset=utf-8',
        'retry-after': '1',
        connection: 'close',
        'cache-control': 'no-store',
      });
      res.end(REFUSAL);
      return;
    }
    for (const listener of requestListeners) listener.call(http, req, res);
  });
  const upgradeListeners = http.listeners('upgrade') as UpgradeListener[];
  http.removeAllListeners('upgrade');
  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (refuses(req)) {
      options.onRefused();
      socket.on('error', () => undefined);
      socket.end(
        'HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json; charset=utf-8\r\n' +
          `Retry-After: 1\r\nConnection: close\r\nContent-Length: ${Buffer.byteLength(REFUSAL)}\r\n\r\n${REFUSAL}`,
      );
      return;
    }
    for (const listener of upgradeListeners) listener.call(http, req, socket, head);
  });
}
