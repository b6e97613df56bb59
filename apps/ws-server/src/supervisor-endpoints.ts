import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { prometheusContentType } from 'prom-client';
import { sendJson } from './http.js';
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
 * The supervisor's own HTTP endpoints on the shared port — `/metrics`, `/stats`, `/drain`,
 * `/readyz` and `/healthz` of the whole server — so that a scrape or a probe sees every worker,
 * whichever it would have landed on. The
 * supervisor hands these connections here instead of to a worker; each is closed after its
 * response, so the next request on it is routed again.
 */
export class SupervisorEndpoints {
  private readonly http: Server;

  constructor(
    private readonly server: WholeServer,
    private readonly log: Logger,
  ) {
    this.http = createServer((req, res) => {
      void this.handle(req, res).catch((err: unknown) => {
        this.log.error({ err: (err as Error).message, url: req.url?.split('?')[0] }, 'endpoint failed');
        if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
        else res.destroy();
      });
    });
  }

  /** Serves a connection whose first bytes, `head`, were already read by the supervisor. */
  accept(socket: Socket, head: Buffer): void {
    if (head.length > 0) socket.unshift(head);
    this.http.emit('connection', socket);
    socket.resume();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.setHeader('connection', 'close');
    const method = req.method ?? 'GET';
    if (method !== 'GET' && method !== 'HEAD')
      return sendJson(res, 405, { error: 'method not allowed' }, { allow: 'GET, HEAD' });
    switch (new URL(req.url ?? '/', 'http://localhost').pathname) {
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
