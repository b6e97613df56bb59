import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Logger } from 'pino';
import { prometheusContentType } from 'prom-client';
import { type Listener, OPERATIONS_PATHS, type OperationsAccess } from '../http/operations-access.js';
import { answerParseErrors, sendJson } from '../http/request-handler.js';
import type { WholeServer } from './whole-server.js';

/** The paths the supervisor answers itself, for the whole server: every other request goes to a worker. */
const SUPERVISOR_PATHS = new Set(['/metrics', '/stats', '/drain', '/readyz', '/healthz']);

/**
 * Whether the request of `requestLine` (`GET /metrics HTTP/1.1`, or the absolute form
 * `GET http://host/metrics HTTP/1.1`) is for the supervisor itself.
 */
export function isSupervisorEndpoint(requestLine: string): boolean {
  const target = requestLine.split(' ', 2)[1] ?? '';
  if (!URL.canParse(target, 'http://localhost')) return false;
  return SUPERVISOR_PATHS.has(new URL(target, 'http://localhost').pathname);
}

/**
 * The supervisor's own HTTP endpoints — `/metrics`, `/stats`, `/drain`, `/readyz` and `/healthz`
 * of the whole server — so that a scrape or a probe sees every worker, whichever it would have
 * landed on. On the shared port the supervisor hands these connections here instead of to a
 * worker; each is closed after its response, so the next request on it is routed again. With
 * `WS_ADMIN_PORT` they are also served on the operations listener, and `access` decides who may
 * read `/metrics`, `/stats` and `/drain` on each.
 */
export class SupervisorEndpoints {
  private readonly http: Server;
  private operationsHttp: Server | undefined;

  constructor(
    private readonly server: WholeServer,
    private readonly access: OperationsAccess,
    private readonly log: Logger,
  ) {
    this.http = this.createListener('client');
  }

  /** Starts the operations listener; resolves with the bound address. */
  async listenOperations(port: number, host: string): Promise<AddressInfo> {
    const http = this.createListener('operations');
    this.operationsHttp = http;
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(port, host, () => {
        http.off('error', reject);
        resolve();
      });
    });
    return http.address() as AddressInfo;
  }

  /** Closes the operations listener. */
  close(): void {
    this.operationsHttp?.closeAllConnections();
    this.operationsHttp?.close();
  }

  /** Serves a connection whose first bytes, `head`, were already read by the supervisor. */
  accept(socket: Socket, head: Buffer): void {
    if (head.length > 0) socket.unshift(head);
    this.http.emit('connection', socket);
    socket.resume();
  }

  private createListener(listener: Listener): Server {
    const http = createServer((req, res) => {
      void this.handle(req, res, listener).catch((err: unknown) => {
        this.log.error({ err: (err as Error).message, url: req.url?.split('?')[0] }, 'endpoint failed');
        if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
        else res.destroy();
      });
    });
    answerParseErrors(http);
    return http;
  }

  private async handle(req: IncomingMessage, res: ServerResponse, listener: Listener): Promise<void> {
    if (listener === 'client') res.setHeader('connection', 'close');
    const method = req.method ?? 'GET';
    if (method !== 'GET' && method !== 'HEAD')
      return sendJson(res, 405, { error: 'method not allowed' }, { allow: 'GET, HEAD' });
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (OPERATIONS_PATHS.has(path)) {
      const refusal = this.access.check(req, listener);
      if (refusal) return sendJson(res, refusal.status, refusal.body, refusal.headers);
    }
    switch (path) {
      case '/metrics': {
        const body = await this.server.metricsText();
        res.writeHead(200, { 'content-type': prometheusContentType, 'cache-control': 'no-store' });
        res.end(body);
        return;
      }
      case '/stats':
        return sendJson(res, 200, await this.server.stats());
      case '/drain':
        return sendJson(res, 200, await this.server.drainStatus());
      case '/readyz': {
        const readiness = await this.server.readiness();
        return sendJson(res, readiness.ready ? 200 : 503, readiness);
      }
      case '/healthz':
        return sendJson(res, 200, this.server.health());
      default:
        return sendJson(res, 404, { error: 'not found' });
    }
  }
}
