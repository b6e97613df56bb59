import { createHmac } from 'node:crypto';
import { describe, expect, test } from '@jest/globals';
import { signToken, verifyToken } from '../../src/jwt.js';

const secret = 'unit-secret-unit-secret-unit-secret';
const now = 1_700_000_000_000;
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
const sign = (header: unknown, payload: unknown, key = secret) => {
  const body = `${b64(header)}.${b64(payload)}`;
  return `${body}.${createHmac('sha256', key).update(body).digest('base64url')}`;
};
const verify = (token: unknown, extra = {}) => verifyToken(token, { secret, now, ...extra });
const code = (fn: () => unknown) => {
  try {
    fn();
    return 'ok';
  } catch (err) {
    return (err as { code?: string }).code;
  }
};

describe('verifyToken', () => {
  test('accepts a valid HS256 token and returns its claims', () => {
    const token = signToken({ sub: 'alice', exp: now / 1000 + 60, rooms: ['a'] }, secret);
    expect(verify(token)).toEqual({ sub: 'alice', exp: now / 1000 + 60, rooms: ['a'] });
    expect(verify(signToken({ sub: 42 }, secret)).sub).toBe('42');
  });

  test('refuses other algorithms, bad signatures and malformed tokens', () => {
    const claims = { sub: 'alice' };
    expect(code(() => verify(sign({ alg: 'none' }, claims)))).toBe('WS_ERR_UNAUTHENTICATED');
    expect(code(() => verify(sign({ alg: 'HS512' }, claims)))).toBe('WS_ERR_UNAUTHENTICATED');
    expect(code(() => verify(sign({ alg: 'RS256' }, claims)))).toBe('WS_ERR_UNAUTHENTICATED');
    expect(code(() => verify(sign({ alg: 'HS256' }, claims, 'other')))).toBe('WS_ERR_UNAUTHENTICATED');
    const good = signToken(claims, secret);
    const [h, , s] = good.split('.');
    expect(code(() => verify(`${h}.${b64({ sub: 'mallory' })}.${s}`))).toBe('WS_ERR_UNAUTHENTICATED');
    expect(code(() => verify(`${good}x`))).toBe('WS_ERR_UNAUTHENTICATED');
    for (const junk of [undefined, null, '', 'a.b', 'a.b.c.d', '...', '%%%.%%%.%%%', 7, {}, ['a']])
      expect(code(() => verify(junk))).toBe('WS_ERR_UNAUTHENTICATED');
    expect(code(() => verify(sign({ alg: 'HS256' }, ['not', 'an', 'object'])))).toBe(
      'WS_ERR_UNAUTHENTICATED',
    );
    expect(code(() => verify(sign({ alg: 'HS256' }, { sub: '' })))).toBe('WS_ERR_UNAUTHENTICATED');
    expect(code(() => verify(sign({ alg: 'HS256' }, { sub: { id: 1 } })))).toBe('WS_ERR_UNAUTHENTICATED');
  });

  test('checks exp and nbf with the clock tolerance', () => {
    const t = now / 1000;
    expect(code(() => verify(signToken({ sub: 'a', exp: t - 1 }, secret)))).toBe('WS_ERR_TOKEN_EXPIRED');
    expect(code(() => verify(signToken({ sub: 'a', exp: t }, secret)))).toBe('WS_ERR_TOKEN_EXPIRED');
    expect(
      code(() => verify(signToken({ sub: 'a', exp: t - 1 }, secret), { clockToleranceSeconds: 5 })),
    ).toBe('ok');
    expect(code(() => verify(signToken({ sub: 'a', exp: 'soon' }, secret)))).toBe('WS_ERR_TOKEN_EXPIRED');
    expect(code(() => verify(signToken({ sub: 'a', nbf: t + 10 }, secret)))).toBe('WS_ERR_UNAUTHENTICATED');
    expect(
      code(() => verify(signToken({ sub: 'a', nbf: t + 3 }, secret), { clockToleranceSeconds: 5 })),
    ).toBe('ok');
  });

  test('error messages never contain the token', () => {
    const token = signToken({ sub: 'alice', exp: 1 }, secret);
    try {
      verify(token);
    } catch (err) {
      expect((err as Error).message).not.toContain(token.split('.')[2]);
      expect((err as Error).message).toBe('token expired: get a new one and reconnect');
    }
  });
});
