import { createHmac, generateKeyPairSync } from 'node:crypto';
import { describe, expect, test } from '@jest/globals';
import { SignJWT } from 'jose';
import { signToken, TokenVerifier, type VerifyOptions } from '../../src/auth/jwt.js';
import { tokenKeyOf } from '../../src/auth/token-key.js';

const secret = 'unit-secret-unit-secret-unit-secret';
const now = 1_700_000_000_000;
const t = now / 1000;
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
const sign = (header: unknown, payload: unknown, key = secret) => {
  const body = `${b64(header)}.${b64(payload)}`;
  return `${body}.${createHmac('sha256', key).update(body).digest('base64url')}`;
};
const keys = { jwtSecret: secret, jwtAlgorithms: [], jwtPublicKey: '', jwtPublicKeyFile: '', jwtJwksUrl: '' };
const verifier = (extra: Partial<VerifyOptions> = {}) =>
  new TokenVerifier({ key: tokenKeyOf(keys), now: () => now, ...extra });
const verify = (token: unknown, extra: Partial<VerifyOptions> = {}) => verifier(extra).verify(token);
const code = async (promise: Promise<unknown>) => {
  try {
    await promise;
    return 'ok';
  } catch (err) {
    return (err as { code?: string }).code;
  }
};

describe('TokenVerifier with the secret', () => {
  test('accepts a valid HS256 token and returns its claims and end', async () => {
    const token = signToken({ sub: 'alice', exp: t + 60, iat: t, rooms: ['a'] }, secret);
    expect(await verify(token)).toEqual({
      claims: { sub: 'alice', exp: t + 60, iat: t, rooms: ['a'] },
      expiresAt: t + 60,
    });
  });

  test('refuses other algorithms, bad signatures and malformed tokens', async () => {
    const claims = { sub: 'alice', iat: t };
    expect(await code(verify(sign({ alg: 'none' }, claims)))).toBe('WS_ERR_UNAUTHENTICATED');
    expect(await code(verify(sign({ alg: 'HS512' }, claims)))).toBe('WS_ERR_UNAUTHENTICATED');
    expect(await code(verify(sign({ alg: 'RS256' }, claims)))).toBe('WS_ERR_UNAUTHENTICATED');
    expect(await code(verify(sign({ alg: 'HS256' }, claims, 'other')))).toBe('WS_ERR_UNAUTHENTICATED');
    const good = signToken(claims, secret);
    const [h, , s] = good.split('.');
    expect(await code(verify(`${h}.${b64({ sub: 'mallory', iat: t })}.${s}`))).toBe('WS_ERR_UNAUTHENTICATED');
    expect(await code(verify(`${good}x`))).toBe('WS_ERR_UNAUTHENTICATED');
    for (const junk of [undefined, null, '', 'a.b', 'a.b.c.d', '...', '%%%.%%%.%%%', 7, {}, ['a']])
      expect(await code(verify(junk))).toBe('WS_ERR_UNAUTHENTICATED');
    expect(await code(verify(sign({ alg: 'HS256' }, ['not', 'an', 'object'])))).toBe(
      'WS_ERR_UNAUTHENTICATED',
    );
    expect(await code(verify(sign({ alg: 'HS256' }, { sub: '', iat: t })))).toBe('WS_ERR_UNAUTHENTICATED');
    expect(await code(verify(sign({ alg: 'HS256' }, { sub: { id: 1 }, iat: t })))).toBe(
      'WS_ERR_UNAUTHENTICATED',
    );
    expect(await code(verify('x'.repeat(9000)))).toBe('WS_ERR_UNAUTHENTICATED');
  });

  test('a non-string sub or a non-numeric exp is WS_ERR_UNAUTHENTICATED', async () => {
    expect(await code(verify(signToken({ sub: 42, exp: t + 60 }, secret)))).toBe('WS_ERR_UNAUTHENTICATED');
    expect(await code(verify(signToken({ sub: 'a', exp: 'soon' }, secret)))).toBe('WS_ERR_UNAUTHENTICATED');
    expect(await code(verify(signToken({ sub: 'a', exp: null }, secret)))).toBe('WS_ERR_UNAUTHENTICATED');
    expect(await code(verify(signToken({ sub: 'a', iat: 'today' }, secret)))).toBe('WS_ERR_UNAUTHENTICATED');
  });

  test('checks exp and nbf with the clock tolerance', async () => {
    expect(await code(verify(signToken({ sub: 'a', exp: t - 1 }, secret)))).toBe('WS_ERR_TOKEN_EXPIRED');
    expect(await code(verify(signToken({ sub: 'a', exp: t }, secret)))).toBe('WS_ERR_TOKEN_EXPIRED');
    expect(
      await code(verify(signToken({ sub: 'a', exp: t - 1 }, secret), { clockToleranceSeconds: 5 })),
    ).toBe('ok');
    expect(await code(verify(signToken({ sub: 'a', nbf: t + 10, iat: t }, secret)))).toBe(
      'WS_ERR_UNAUTHENTICATED',
    );
    expect(
      await code(verify(signToken({ sub: 'a', nbf: t + 3, iat: t }, secret), { clockToleranceSeconds: 5 })),
    ).toBe('ok');
  });

  test('a token without exp lives the max age from its iat; one with neither is refused', async () => {
    const day = 86_400;
    const fresh = signToken({ sub: 'a', iat: t - day + 10 }, secret);
    expect(await verify(fresh)).toMatchObject({ expiresAt: t + 10 });
    expect(await code(verify(signToken({ sub: 'a', iat: t - day }, secret)))).toBe('WS_ERR_TOKEN_EXPIRED');
    expect(await verify(signToken({ sub: 'a', iat: t - 50 }, secret), { maxAgeSeconds: 60 })).toMatchObject({
      expiresAt: t + 10,
    });
    expect(await code(verify(signToken({ sub: 'a', iat: t - 60 }, secret), { maxAgeSeconds: 60 }))).toBe(
      'WS_ERR_TOKEN_EXPIRED',
    );
    expect(await code(verify(sign({ alg: 'HS256' }, { sub: 'a' })))).toBe('WS_ERR_UNAUTHENTICATED');
  });

  test('error messages never contain the token', async () => {
    const token = signToken({ sub: 'alice', exp: 1 }, secret);
    const err = await verify(token).catch((e: Error) => e);
    expect((err as Error).message).not.toContain(token.split('.')[2]);
    expect((err as Error).message).toBe('token expired: get a new one and reconnect');
  });
});

describe('TokenVerifier with a PEM public key', () => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pem = (k: typeof rsa.publicKey) => k.export({ type: 'spki', format: 'pem' }).toString();
  const pemVerifier = (publicKey: string) =>
    new TokenVerifier({ key: tokenKeyOf({ ...keys, jwtPublicKey: publicKey }), now: () => now });
  const signed = (alg: string, key: typeof rsa.privateKey, claims: Record<string, unknown> = {}) =>
    new SignJWT({ sub: 'alice', ...claims })
      .setProtectedHeader({ alg })
      .setIssuedAt(t)
      .setExpirationTime(t + 60)
      .sign(key);

  test('RS256 and ES256 tokens are accepted with their key, and only with it', async () => {
    expect(
      (await pemVerifier(pem(rsa.publicKey)).verify(await signed('RS256', rsa.privateKey))).claims.sub,
    ).toBe('alice');
    expect(
      (await pemVerifier(pem(ec.publicKey)).verify(await signed('ES256', ec.privateKey))).claims.sub,
    ).toBe('alice');
    expect(await code(pemVerifier(pem(rsa.publicKey)).verify(await signed('ES256', ec.privateKey)))).toBe(
      'WS_ERR_UNAUTHENTICATED',
    );
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
    expect(await code(pemVerifier(pem(rsa.publicKey)).verify(await signed('RS256', other.privateKey)))).toBe(
      'WS_ERR_UNAUTHENTICATED',
    );
    // An HS256 token "signed" with the public key text is never accepted (algorithm confusion).
    expect(
      await code(
        pemVerifier(pem(rsa.publicKey)).verify(
          sign({ alg: 'HS256' }, { sub: 'a', iat: t }, pem(rsa.publicKey)),
        ),
      ),
    ).toBe('WS_ERR_UNAUTHENTICATED');
  });

  test('a key given with \\n escapes (one-line environment variable) works', async () => {
    const oneLine = pem(ec.publicKey).replaceAll('\n', '\\n');
    expect((await pemVerifier(oneLine).verify(await signed('ES256', ec.privateKey))).claims.sub).toBe(
      'alice',
    );
  });
});
