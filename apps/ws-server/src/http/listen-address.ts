import type { Server as HttpServer } from 'node:http';
import { isLoopback } from './operations-access.js';

/** A listening address: `host` as bound (`0.0.0.0` for every interface), `url` reachable from this machine. */
export interface ListenAddress {
  host: string;
  port: number;
  url: string;
}

/** The address bound to, and a URL reaching it from this machine (every interface → loopback). */
export function listenAddress(host: string, port: number): ListenAddress {
  const local = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return { host, port, url: `http://${local.includes(':') ? `[${local}]` : local}:${port}` };
}

/**
 * The start line's account of an address: the bound address itself, and who can reach it.
 * @example describeAddress(listenAddress('0.0.0.0', 3000)); // 'http://0.0.0.0:3000 (every interface)'
 */
export function describeAddress(address: ListenAddress): string {
  const { host, port } = address;
  const scope =
    host === '0.0.0.0' || host === '::'
      ? 'every interface'
      : isLoopback(host)
        ? 'loopback only'
        : 'this interface only';
  return `http://${host.includes(':') ? `[${host}]` : host}:${port} (${scope})`;
}

/** Binds `http` to `host`:`port`. */
export function listen(http: HttpServer, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(port, host, () => {
      http.off('error', reject);
      resolve();
    });
  });
}
