import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';

/** The endpoints that expose internals (counts, pool state, drain progress). */
export const OPERATIONS_PATHS: ReadonlySet<string> = new Set(['/metrics', '/stats', '/drain']);

/** Which listener a request arrived on: the client port (`WS_PORT`) or the operations port (`WS_ADMIN_PORT`). */
export type Listener = 'client' | 'operations';

/** The settings that decide who may read the operations endpoints. */
export interface OperationsSettings {
  adminPort: number | null;
  adminToken: string;
}

/** A refusal: the status and JSON body to answer with. */
export interface Refusal {
  status: 401 | 403 | 404;
  body: { error: string };
  headers?: Record<string, string>;
}

/**
 * Whether `address` (a socket's `remoteAddress`) is this machine: 127.0.0.0/8, ::1, or an
 * IPv4-mapped 127.x address. Anything else — including an unknown address — is not.
 */
export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  if (isIP(v4) === 4) return v4.startsWith('127.');
  return address === '::1';
}

/**
 * Who may read `/metrics`, `/stats` and `/drain`:
 * - with `WS_ADMIN_PORT`, only the operations listener serves them (the client port answers 404);
 * - with `WS_ADMIN_TOKEN`, a request needs `Authorization: Bearer <token>` (compared in constant time);
 * - with neither, only loopback callers.
 */
export class OperationsAccess {
  private readonly tokenDigest: Buffer | undefined;

  constructor(private readonly settings: OperationsSettings) {
    this.tokenDigest = settings.adminToken ? digest(settings.adminToken) : undefined;
  }

  /** The refusal of an operations request on `listener`, or undefined when it may be served. */
  check(req: IncomingMessage, listener: Listener): Refusal | undefined {
    if (listener === 'client' && this.settings.adminPort !== null)
      return { status: 404, body: { error: 'not found' } };
    if (this.tokenDigest) {
      const header = req.headers.authorization ?? '';
      const given = header.startsWith('Bearer ') ? header.slice(7) : '';
      // Digests have one length, so the comparison takes the same time whatever was sent.
      if (!timingSafeEqual(digest(given), this.tokenDigest))
        return {
          status: 401,
          body: { error: 'operations endpoints need Authorization: Bearer <WS_ADMIN_TOKEN>' },
          headers: { 'www-authenticate': 'Bearer realm="redpool-operations"' },
        };
      return undefined;
    }
    if (listener === 'client' && !isLoopback(req.socket.remoteAddress))
      return {
        status: 403,
        body: {
          error:
            'operations endpoints answer loopback callers only: set WS_ADMIN_PORT (and WS_ADMIN_HOST) or WS_ADMIN_TOKEN to reach them from the network',
        },
      };
    return undefined;
  }
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
