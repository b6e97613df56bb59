import { createHmac, timingSafeEqual } from 'node:crypto';
import { ClientError } from './errors.js';

/** Claims the ws-server reads from a client token. `sub` is the user id. */
export interface TokenClaims {
  sub: string;
  exp?: number;
  nbf?: number;
  iat?: number;
  iss?: string;
  aud?: string | string[];
  /** Chat rooms the user may join (`chat.<room>`); globs with `*` allowed. Absent: every room. */
  rooms?: string[];
  /** Groups whose notifications (`notifications.group.<group>`) the user may read. */
  groups?: string[];
  [claim: string]: unknown;
}

/** How tokens are checked. */
export interface VerifyOptions {
  secret: string;
  issuer?: string;
  audience?: string;
  clockToleranceSeconds?: number;
  /** Current time in ms (tests). @defaultValue Date.now() */
  now?: number;
}

/** Tokens longer than this are refused before any parsing. */
export const MAX_TOKEN_LENGTH = 8192;

const HEADER_HS256 = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));

/**
 * Verifies an HS256 JSON Web Token (RFC 7519) and returns its claims. Only `alg: HS256` is
 * accepted (never `none`), the signature is compared in constant time, `exp`/`nbf` are checked
 * with the clock tolerance, and `sub` must be a non-empty string (or a number).
 * @throws ClientError `WS_ERR_UNAUTHENTICATED` (missing, malformed, bad signature, wrong
 *   issuer/audience, not yet valid) or `WS_ERR_TOKEN_EXPIRED`. Messages never contain the token.
 */
export function verifyToken(token: unknown, options: VerifyOptions): TokenClaims {
  if (typeof token !== 'string' || token.length === 0)
    throw unauthenticated('no token: send it as auth.token');
  if (token.length > MAX_TOKEN_LENGTH)
    throw unauthenticated(`token longer than ${MAX_TOKEN_LENGTH} characters`);
  const parts = token.split('.');
  if (parts.length !== 3) throw unauthenticated('malformed token');
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
  const header = parseJson(headerPart);
  if (header?.alg !== 'HS256') throw unauthenticated('token algorithm must be HS256');
  const expected = createHmac('sha256', options.secret).update(`${headerPart}.${payloadPart}`).digest();
  const given = Buffer.from(signaturePart, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    throw unauthenticated('invalid token signature');
  const claims = parseJson(payloadPart);
  if (!claims) throw unauthenticated('malformed token claims');
  const now = (options.now ?? Date.now()) / 1000;
  const tolerance = options.clockToleranceSeconds ?? 0;
  if (claims.exp !== undefined && (typeof claims.exp !== 'number' || now - tolerance >= claims.exp))
    throw new ClientError('WS_ERR_TOKEN_EXPIRED', 'token expired: get a new one and reconnect');
  if (claims.nbf !== undefined && (typeof claims.nbf !== 'number' || now + tolerance < claims.nbf))
    throw unauthenticated('token not valid yet (nbf)');
  if (options.issuer && claims.iss !== options.issuer) throw unauthenticated('token issuer not accepted');
  if (options.audience) {
    const aud = claims.aud;
    const ok = Array.isArray(aud) ? aud.includes(options.audience) : aud === options.audience;
    if (!ok) throw unauthenticated('token audience not accepted');
  }
  const sub = typeof claims.sub === 'number' ? String(claims.sub) : claims.sub;
  if (typeof sub !== 'string' || sub.length === 0 || sub.length > 128)
    throw unauthenticated('token has no subject (sub)');
  return { ...claims, sub } as TokenClaims;
}

/**
 * Signs claims as an HS256 token, for tests, the development endpoint and services that mint
 * tokens for clients.
 * @example
 * const token = signToken({ sub: 'alice', exp: Math.floor(Date.now() / 1000) + 3600 }, secret);
 */
export function signToken(claims: Record<string, unknown>, secret: string): string {
  const payload = base64url(JSON.stringify(claims));
  const signature = createHmac('sha256', secret).update(`${HEADER_HS256}.${payload}`).digest('base64url');
  return `${HEADER_HS256}.${payload}.${signature}`;
}

function parseJson(part: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function base64url(text: string): string {
  return Buffer.from(text).toString('base64url');
}

function unauthenticated(message: string): ClientError {
  return new ClientError('WS_ERR_UNAUTHENTICATED', message);
}
