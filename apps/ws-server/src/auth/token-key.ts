import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { InvalidConfigError } from '../errors.js';

/** The JWS algorithms a client token may be signed with. */
export const JWT_ALGORITHMS = [
  'HS256',
  'HS384',
  'HS512',
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
] as const;

export type JwtAlgorithm = (typeof JWT_ALGORITHMS)[number];

/** The settings that decide how client tokens are verified (fields of the ws-server's config). */
export interface TokenKeySettings {
  jwtSecret: string;
  jwtAlgorithms: readonly JwtAlgorithm[];
  jwtPublicKey: string;
  jwtPublicKeyFile: string;
  jwtJwksUrl: string;
}

/** What verifies client tokens: the HMAC secret, one public key, or a remote JSON Web Key Set. */
export type TokenKey =
  | { kind: 'secret'; secret: Uint8Array; algorithms: JwtAlgorithm[] }
  | { kind: 'public-key'; key: KeyObject; algorithms: JwtAlgorithm[] }
  | { kind: 'jwks'; url: URL; algorithms: JwtAlgorithm[] };

const PUBLIC_KEY_SOURCES = ['WS_JWT_PUBLIC_KEY', 'WS_JWT_PUBLIC_KEY_FILE', 'WS_JWT_JWKS_URL'] as const;
const DEFAULT_PUBLIC_ALGORITHMS: JwtAlgorithm[] = ['RS256', 'ES256'];
/** Which algorithms a public key of each type can verify. */
const ALGORITHMS_OF_KEY_TYPE: Record<string, readonly string[]> = {
  rsa: ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'],
  'rsa-pss': ['PS256', 'PS384', 'PS512'],
  ec: ['ES256', 'ES384', 'ES512'],
  ed25519: ['EdDSA'],
};

/** The variable of the public key source configured (tokens are then not verified with the secret), if any. */
export function publicKeySource(settings: TokenKeySettings): string | undefined {
  return configuredSources(settings)[0];
}

/**
 * The key that verifies client tokens, checked now: exactly one source (the secret, or one of
 * `WS_JWT_PUBLIC_KEY`, `WS_JWT_PUBLIC_KEY_FILE`, `WS_JWT_JWKS_URL`), algorithms that fit it (HMAC
 * ones only with the secret) and a public key that parses.
 * @param developmentSecret the secret used when none is configured: it does not count as a source.
 * @throws InvalidConfigError naming the variable to change.
 */
export function tokenKeyOf(settings: TokenKeySettings, developmentSecret?: string): TokenKey {
  const sources = configuredSources(settings);
  if (sources.length > 1)
    throw new InvalidConfigError(
      sources[1]!,
      '(set)',
      `unset while ${sources[0]} is set: exactly one of ${PUBLIC_KEY_SOURCES.join(', ')}`,
    );
  const source = sources[0];
  if (source && developmentSecret !== undefined && settings.jwtSecret !== developmentSecret)
    throw new InvalidConfigError(
      'WS_JWT_SECRET',
      '***',
      `unset while ${source} is set: tokens are verified with exactly one key source`,
    );
  const algorithms = [...settings.jwtAlgorithms];
  const hmac = algorithms.filter((alg) => alg.startsWith('HS'));
  if (!source) {
    const refused = algorithms.find((alg) => !alg.startsWith('HS'));
    if (refused)
      throw new InvalidConfigError(
        'WS_JWT_ALGORITHMS',
        algorithms.join(','),
        `HS256, HS384 or HS512 with WS_JWT_SECRET (${refused} needs one of ${PUBLIC_KEY_SOURCES.join(', ')})`,
      );
    return {
      kind: 'secret',
      secret: new TextEncoder().encode(settings.jwtSecret),
      algorithms: algorithms.length > 0 ? algorithms : ['HS256'],
    };
  }
  if (hmac.length > 0)
    throw new InvalidConfigError(
      'WS_JWT_ALGORITHMS',
      algorithms.join(','),
      `public key algorithms (RS*, PS*, ES*, EdDSA) with ${source}; ${hmac[0]} needs WS_JWT_SECRET`,
    );
  const accepted = algorithms.length > 0 ? algorithms : DEFAULT_PUBLIC_ALGORITHMS;
  if (source === 'WS_JWT_JWKS_URL')
    return { kind: 'jwks', url: jwksUrl(settings.jwtJwksUrl), algorithms: accepted };
  const key = publicKey(settings, source);
  const fitting = ALGORITHMS_OF_KEY_TYPE[key.asymmetricKeyType ?? ''] ?? [];
  const usable = accepted.filter((alg) => fitting.includes(alg));
  if (usable.length === 0)
    throw new InvalidConfigError(
      'WS_JWT_ALGORITHMS',
      accepted.join(','),
      `one that a ${key.asymmetricKeyType} key (${source}) verifies: ${fitting.join(', ') || 'none'}`,
    );
  return { kind: 'public-key', key, algorithms: usable };
}

function configuredSources(settings: TokenKeySettings): string[] {
  const values = [settings.jwtPublicKey, settings.jwtPublicKeyFile, settings.jwtJwksUrl];
  return PUBLIC_KEY_SOURCES.filter((_, i) => values[i] !== '');
}

function jwksUrl(raw: string): URL {
  const url = URL.canParse(raw) ? new URL(raw) : undefined;
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:'))
    throw new InvalidConfigError(
      'WS_JWT_JWKS_URL',
      raw,
      'an https:// (or http://) URL of a JSON Web Key Set',
    );
  return url;
}

function publicKey(settings: TokenKeySettings, source: string): KeyObject {
  let pem = settings.jwtPublicKey.replaceAll('\\n', '\n');
  if (source === 'WS_JWT_PUBLIC_KEY_FILE') {
    try {
      pem = readFileSync(settings.jwtPublicKeyFile, 'utf8');
    } catch (err) {
      throw new InvalidConfigError(
        source,
        settings.jwtPublicKeyFile,
        `a readable file holding a PEM public key (${(err as NodeJS.ErrnoException).code ?? 'unreadable'})`,
      );
    }
  }
  try {
    const key = createPublicKey(pem);
    if (key.type !== 'public') throw new Error('not a public key');
    return key;
  } catch {
    throw new InvalidConfigError(
      source,
      source === 'WS_JWT_PUBLIC_KEY' ? '(unreadable PEM)' : settings.jwtPublicKeyFile,
      'a PEM public key (-----BEGIN PUBLIC KEY-----) or certificate of an RSA, EC or Ed25519 key',
    );
  }
}
