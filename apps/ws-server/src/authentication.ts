import type { Socket } from 'socket.io';
import type { User } from './authorization.js';
import type { WsConfig } from './config.js';
import { ClientError, WsError, type WsErrorCode } from './errors.js';
import { verifyToken } from './jwt.js';

type Middleware = (socket: Socket, next: (err?: Error) => void) => void;

/**
 * The namespace middleware that admits a connection only with a valid HS256 JWT, taken from the
 * handshake's `auth.token` or an `Authorization: Bearer` header; the user lands in
 * `socket.data.user`. A refusal reaches the client as a `connect_error` whose `data` is the error
 * body (`WS_ERR_UNAUTHENTICATED`, `WS_ERR_TOKEN_EXPIRED`…), and is counted by `onRefused`.
 */
export function authenticate(config: WsConfig, onRefused: (code: WsErrorCode) => void): Middleware {
  const options = {
    secret: config.jwtSecret,
    issuer: config.jwtIssuer || undefined,
    audience: config.jwtAudience || undefined,
    clockToleranceSeconds: config.jwtClockToleranceSeconds,
  };
  return (socket, next) => {
    try {
      const auth = socket.handshake.auth as Record<string, unknown> | undefined;
      const header = socket.handshake.headers.authorization;
      const token = auth?.token ?? (header?.startsWith('Bearer ') ? header.slice(7) : undefined);
      const claims = verifyToken(token, options);
      socket.data.user = { id: claims.sub, claims } satisfies User;
      next();
    } catch (err) {
      const error = err instanceof WsError ? err : new ClientError('WS_ERR_UNAUTHENTICATED', 'invalid token');
      onRefused(error.code);
      const refusal = new Error(error.message) as Error & { data: unknown };
      refusal.data = error.toBody();
      next(refusal);
    }
  };
}
