import type { Socket } from 'socket.io';
import { DEV_JWT_SECRET, type WsConfig } from '../config/config.js';
import { ClientError, WsError, type WsErrorCode } from '../errors.js';
import type { User } from './authorization.js';
import { TokenVerifier } from './jwt.js';
import { tokenKeyOf } from './token-key.js';

type Middleware = (socket: Socket, next: (err?: Error) => void) => void;

/**
 * The namespace middleware that admits a connection only with a valid token (see
 * {@link TokenVerifier}), taken from the handshake's `auth.token` or an `Authorization: Bearer`
 * header; the user lands in `socket.data.user` and the token's end in `socket.data.expiresAt`
 * (s). A refusal reaches the client as a `connect_error` whose `data` is the error body
 * (`WS_ERR_UNAUTHENTICATED`, `WS_ERR_TOKEN_EXPIRED`…), and is counted by `onRefused`.
 */
export function authenticate(config: WsConfig, onRefused: (code: WsErrorCode) => void): Middleware {
  const verifier = new TokenVerifier({
    key: tokenKeyOf(config, DEV_JWT_SECRET),
    issuer: config.jwtIssuer || undefined,
    audience: config.jwtAudience || undefined,
    clockToleranceSeconds: config.jwtClockToleranceSeconds,
    maxAgeSeconds: config.jwtMaxAgeSeconds,
  });
  return (socket, next) => {
    const auth = socket.handshake.auth as Record<string, unknown> | undefined;
    const header = socket.handshake.headers.authorization;
    const token = auth?.token ?? (header?.startsWith('Bearer ') ? header.slice(7) : undefined);
    verifier.verify(token).then(
      ({ claims, expiresAt }) => {
        socket.data.user = { id: claims.sub, claims } satisfies User;
        socket.data.expiresAt = expiresAt;
        next();
      },
      (err: unknown) => {
        const error =
          err instanceof WsError ? err : new ClientError('WS_ERR_UNAUTHENTICATED', 'invalid token');
        onRefused(error.code);
        const refusal = new Error(error.message) as Error & { data: unknown };
        refusal.data = error.toBody();
        next(refusal);
      },
    );
  };
}
