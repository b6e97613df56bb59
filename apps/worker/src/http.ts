import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

/** What the operations endpoints report. */
export interface Probe {
  /** Liveness: false only once the process is closed. */
  live(): boolean;
  /** Readiness: null when ready, else why not (503). */
  notReadyReason(): string | null;
}

export interface OpsServer {
  readonly server: Server;
  /** The bound port (useful with port 0). */
  readonly port: number;
  close(): Promise<void>;
}

function send(res: import('node:http').ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}

/** Starts `/healthz`, `/readyz` and `/metrics` on `host:port`; resolves once listening. */
export async function startOpsServer(
  host: string,
  port: number,
  probe: Probe,
  registry: Registry,
  onError: (err: Error) => void,
): Promise<OpsServer> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(res, 405, 'text/plain', 'method not allowed\n');
      return;
    }
    if (path === '/healthz') {
      const live = probe.live();
      send(res, live ? 200 : 503, 'application/json', JSON.stringify({ status: live ? 'ok' : 'closed' }));
    } else if (path === '/readyz') {
      const reason = probe.notReadyReason();
      send(
        res,
        reason === null ? 200 : 503,
        'application/json',
        JSON.stringify(reason === null ? { status: 'ready' } : { status: 'not ready', reason }),
      );
    } else if (path === '/metrics') {
      registry.metrics().then(
        (text) => send(res, 200, registry.contentType, text),
        (err: Error) => {
          onError(err);
          send(res, 500, 'text/plain', 'metrics unavailable\n');
        },
      );
    } else {
      send(res, 404, 'text/plain', 'not found: try /healthz, /readyz, /metrics\n');
    }
  });
  server.keepAliveTimeout = 5_000;
  server.requestTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', onError);
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
