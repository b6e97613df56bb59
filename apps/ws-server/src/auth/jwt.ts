import { createHmac, type KeyObject } from 'node:crypto';
import { createRemoteJWKSet, errors, type JWTVerifyGetKey, jwtVerify } from 'jose';
import { ClientError } from '../errors.js';
import type { TokenKey } from './token-key.js';

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

/** A token that passed verification. */
export interface VerifiedToken {
  claims: TokenClaims;
  /** When the token stops being valid (s since the epoch): its `exp`, else `iat` + the max age. */
  expiresAt: number;
}

/** How tokens are checked. */
export interface VerifyOptions {
  /** The key and accepted algorithms (`tokenKeyOf(config)`). */
  key: TokenKey;
  issuer?: string;
  audience?: string;
  clockToleranceSeconds?: number;
  /** Lifetime of a token without `exp`, from its `iat`. @defaultValue 86400 */
  maxAgeSeconds?: number;
  /** Current time in ms (tests). @defaultValue Date.now() */
  now?: () => number;
}

/** Tokens longer than this are refused before any parsing. */
export const MAX_TOKEN_LENGTH = 8192;
/** How long a JSON Web Key Set fetch may take. */
const JWKS_TIMEOUT_MS = 5_000;
/** A key set is refetched for an unknown `kid` at most this often. */
const JWKS_COOLDOWN_MS = 30_000;
/** A fetched key set is used for this long. */
const JWKS_MAX_AGE_MS = 600_000;

/**
 * Verifies client tokens (RFC 7519) with `jose`: the signature with the configured secret, public
 * key or JSON Web Key Set and only the configured algorithms (never `none`); `exp`/`nbf` with the
 * clock tolerance; `iss`/`aud` when configured. A token without `exp` lives `maxAgeSeconds` from
 * its `iat`; one with neither is refused. `sub` must be a non-empty string.
 */
export class TokenVerifier {
  private readonly key: Uint8Array | KeyObject;
  private readonly getKey: JWTVerifyGetKey | undefined;

  constructor(private readonly options: VerifyOptions) {
    const key = options.key;
    this.getKey =
      key.kind === 'jwks'
        ? createRemoteJWKSet(key.url, {
            timeoutDuration: JWKS_TIMEOUT_MS,
            cooldownDuration: JWKS_COOLDOWN_MS,
            cacheMaxAge: JWKS_MAX_AGE_MS,
          })
        : undefined;
    this.key = key.kind === 'secret' ? key.secret : key.kind === 'public-key' ? key.key : new Uint8Array();
  }

  /**
   * @throws ClientError `WS_ERR_UNAUTHENTICATED` (missing, malformed, bad signature, algorithm not
   *   accepted, wrong issuer/audience, not yet valid, claims of the wrong type),
   *   `WS_ERR_TOKEN_EXPIRED`, or `WS_ERR_UNAVAILABLE` when the key set cannot be fetched. Messages
   *   never contain the token.
   */
  async verify(token: unknown): Promise<VerifiedToken> {
    if (typeof token !== 'string' || token.length === 0)
      throw unauthenticated('no token: send it as auth.token');
    if (token.length > MAX_TOKEN_LENGTH)
      throw unauthenticated(`token longer than ${MAX_TOKEN_LENGTH} characters`);
    const { options } = this;
    const nowMs = options.now?.() ?? Date.now();
    const verifyOptions = {
      algorithms: options.key.algorithms,
      issuer: options.issuer,
      audience: options.audience,
      clockTolerance: options.clockToleranceSeconds ?? 0,
      currentDate: new Date(nowMs),
    };
    let payload: Record<string, unknown>;
    try {
      const result = this.getKey
        ? await jwtVerify(token, this.getKey, verifyOptions)
        : await jwtVerify(token, this.key, verifyOptions);
      payload = result.payload;
    } catch (err) {
      throw refusal(err);
    }
    const { sub, exp, iat } = payload;
    if (typeof sub !== 'string' || sub.length === 0 || sub.length > 128)
      throw unauthenticated('token subject (sub) must be a string of 1-128 characters');
    let expiresAt: number;
    if (typeof exp === 'number') expiresAt = exp;
    else if (typeof iat === 'number') expiresAt = iat + (options.maxAgeSeconds ?? 86_400);
    else throw unauthenticated('token has neither exp nor iat: its lifetime cannot be bounded');
    if (nowMs / 1000 - (options.clockToleranceSeconds ?? 0) >= expiresAt) throw expired();
    return { claims: payload as TokenClaims, expiresAt };
  }
}

/**
 * Signs claims as an HS256 token, for tests, the development endpoint and services that mint
 * tokens for clients. `iat` is set to now unless given.
 * @example
 * const token = signToken({ sub: 'alice', exp: Math.floor(Date.now() / 1000) + 3600 }, secret);
 */
export function signToken(claims: Record<string, unknown>, secret: string): string {
  const header = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const payload = base64url(JSON.stringify({ iat: Math.floor(Date.now() / 1000), ...claims }));
  const signature = createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url');
  return `${header}.${payload}.${signature}`;
}

function base64url(text: string): string {
  return Buffer.from(text).toString('base64url');
}

/** The client-facing error of a jose failure; jose's own messages are not passed on. */
function refusal(err: unknown): ClientError {
  if (err instanceof errors.JWTExpired) return expired();
  if (err instanceof errors.JWKSTimeout || (err instanceof TypeError && err.message === 'fetch failed'))
    return new ClientError('WS_ERR_UNAVAILABLE', 'the signing keys could not be fetched: try again later');
  if (err instanceof errors.JWTClaimValidationFailed) {
    switch (err.claim) {
      case 'nbf':
        return unauthenticated(
          err.reason === 'check_failed' ? 'token not valid yet (nbf)' : 'token nbf must be a number',
        );
      case 'iss':
        return unauthenticated('token issuer not accepted');
      case 'aud':
        return unauthenticated('token audience not accepted');
      default:
        return unauthenticated(`token claim ${err.claim} is invalid`);
    }
  }
  if (err instanceof errors.JOSEAlgNotAllowed) return unauthenticated('token algorithm not accepted');
  if (err instanceof errors.JWSSignatureVerificationFailed) return unauthenticated('invalid token signature');
  if (err instanceof errors.JWKSNoMatchingKey) return unauthenticated('no known key signed this token');
  if (
    err instanceof errors.JOSEError &&
    err.code === 'ERR_JOSE_GENERIC' &&
    /JSON Web Key Set/.test(err.message)
  )
    return new ClientError('WS_ERR_UNAVAILABLE', 'the signing keys could not be fetched: try again later');
  return unauthenticated('malformed token');
}

function expired(): ClientError {
  return new ClientError('WS_ERR_TOKEN_EXPIRED', 'token expired: get a new one and reconnect');
}

function unauthenticated(message: string): ClientError {
  return new ClientError('WS_ERR_UNAUTHENTICATED', message);
}
