import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { nonLoopbackAddress, startRedis, stopAll } from '@redpool/testkit';
import { exportJWK, SignJWT } from 'jose';
import { io } from 'socket.io-client';
import { handshake, token, withDeadline } from '../helpers.js';
import { killAll, serverEnv, spawnServer } from '../processes.js';

// Servers run as processes bound to every interface; clients connect from a real interface
// address of this machine, as clients on the network do.
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 });
let redisUrl: string;
let network: string;
let jwks: Server;
let jwksUrl: string;
let jwksRequests = 0;

beforeAll(async () => {
  network = nonLoopbackAddress();
  redisUrl = (await startRedis()).url;
  const keys = [
    { ...(await exportJWK(rsa.publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' },
    { ...(await exportJWK(ec.publicKey)), kid: 'ec-1', alg: 'ES256', use: 'sig' },
  ];
  jwks = createServer((_req, res) => {
    jwksRequests++;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys }));
  });
  await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
  jwksUrl = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/.well-known/jwks.json`;
});
afterAll(async () => {
  await killAll();
  await stopAll();
  jwks.close();
});

const now = () => Math.floor(Date.now() / 1000);

function sign(
  alg: 'RS256' | 'ES256',
  key: KeyObject,
  kid: string | undefined,
  claims: Record<string, unknown> = {},
) {
  return new SignJWT({ sub: 'alice', iat: now(), exp: now() + 600, ...claims })
    .setProtectedHeader(kid ? { alg, kid } : { alg })
    .sign(key);
}

/** Environment of a server verifying tokens with `keys` instead of the secret, open to the network. */
function publicKeyEnv(keys: Record<string, string>): Record<string, string> {
  const { WS_JWT_SECRET: _, ...env } = serverEnv(redisUrl, { WS_HOST: '0.0.0.0', ...keys });
  return env;
}

/** Connects from the network address; resolves 'connected' or the connect_error's data. */
async function handshakeFromNetwork(port: number, tokenText: string): Promise<unknown> {
  const answer = await handshake(`http://${network}:${port}`, { token: tokenText });
  return answer === 'connected' ? answer : (answer as { data: unknown }).data;
}

const portOf = (url: string) => Number(new URL(url).port);

describe('tokens signed by an identity provider', () => {
  test('JWKS: RS256 and ES256 tokens are accepted by their kid; others are refused', async () => {
    const server = await spawnServer(publicKeyEnv({ WS_JWT_JWKS_URL: jwksUrl }));
    const port = portOf(server.url);
    expect(await handshakeFromNetwork(port, await sign('RS256', rsa.privateKey, 'rsa-1'))).toBe('connected');
    expect(await handshakeFromNetwork(port, await sign('ES256', ec.privateKey, 'ec-1'))).toBe('connected');
    expect(jwksRequests).toBeGreaterThan(0);
    // A key the provider does not publish, under a known kid or an unknown one.
    expect(await handshakeFromNetwork(port, await sign('RS256', stranger.privateKey, 'rsa-1'))).toMatchObject(
      {
        code: 'WS_ERR_UNAUTHENTICATED',
        message: 'invalid token signature',
      },
    );
    expect(await handshakeFromNetwork(port, await sign('RS256', stranger.privateKey, 'other'))).toMatchObject(
      {
        code: 'WS_ERR_UNAUTHENTICATED',
      },
    );
    // The development secret signs nothing here, and neither do HS256 tokens at all.
    expect(await handshakeFromNetwork(port, token('alice'))).toMatchObject({
      code: 'WS_ERR_UNAUTHENTICATED',
      message: 'token algorithm not accepted',
    });
    expect(
      await handshakeFromNetwork(port, await sign('RS256', rsa.privateKey, 'rsa-1', { exp: now() - 60 })),
    ).toMatchObject({
      code: 'WS_ERR_TOKEN_EXPIRED',
    });
    server.kill('SIGKILL');
  });

  test('PEM: an EC key from a file, an RSA key inline (one line)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ws-keys-'));
    const file = join(dir, 'ec.pem');
    writeFileSync(file, ec.publicKey.export({ type: 'spki', format: 'pem' }));
    const fromFile = await spawnServer(publicKeyEnv({ WS_JWT_PUBLIC_KEY_FILE: file }));
    expect(
      await handshakeFromNetwork(portOf(fromFile.url), await sign('ES256', ec.privateKey, undefined)),
    ).toBe('connected');
    expect(
      await handshakeFromNetwork(portOf(fromFile.url), await sign('RS256', rsa.privateKey, undefined)),
    ).toMatchObject({
      code: 'WS_ERR_UNAUTHENTICATED',
    });
    fromFile.kill('SIGKILL');
    const inline = (rsa.publicKey.export({ type: 'spki', format: 'pem' }) as string).replaceAll('\n', '\\n');
    const fromEnv = await spawnServer(publicKeyEnv({ WS_JWT_PUBLIC_KEY: inline }));
    expect(
      await handshakeFromNetwork(portOf(fromEnv.url), await sign('RS256', rsa.privateKey, undefined)),
    ).toBe('connected');
    fromEnv.kill('SIGKILL');
  });

  test('a token without exp expires WS_JWT_MAX_AGE_SECONDS after its iat, also while connected', async () => {
    const server = await spawnServer(
      publicKeyEnv({
        WS_JWT_JWKS_URL: jwksUrl,
        WS_JWT_MAX_AGE_SECONDS: '60',
        WS_JWT_CLOCK_TOLERANCE_SECONDS: '0',
      }),
    );
    const port = portOf(server.url);
    const noExp = (iat: number) =>
      new SignJWT({ sub: 'alice', iat })
        .setProtectedHeader({ alg: 'ES256', kid: 'ec-1' })
        .sign(ec.privateKey);
    expect(await handshakeFromNetwork(port, await noExp(now() - 61))).toMatchObject({
      code: 'WS_ERR_TOKEN_EXPIRED',
    });
    expect(
      await handshakeFromNetwork(
        port,
        await new SignJWT({ sub: 'alice' })
          .setProtectedHeader({ alg: 'ES256', kid: 'ec-1' })
          .sign(ec.privateKey),
      ),
    ).toMatchObject({
      code: 'WS_ERR_UNAUTHENTICATED',
      message: 'token has neither exp nor iat: its lifetime cannot be bounded',
    });
    // Issued 57 s ago: valid for 3 s more, then the server closes the connection.
    const issued = now() - 57;
    const socket = io(`http://${network}:${port}`, {
      transports: ['websocket'],
      auth: { token: await noExp(issued) },
      forceNew: true,
      reconnection: false,
    });
    const closing = await withDeadline(
      new Promise<{ code: string; at: number }>((resolve, reject) => {
        socket.once('connect_error', reject);
        socket.once('closing', (event: { code: string }) =>
          resolve({ code: event.code, at: Date.now() / 1000 }),
        );
      }),
      10_000,
      'closing at max age',
    );
    socket.disconnect();
    expect(closing.code).toBe('WS_ERR_TOKEN_EXPIRED');
    expect(closing.at).toBeGreaterThanOrEqual(issued + 60 - 0.05);
    expect(closing.at).toBeLessThan(issued + 60 + 2);
    server.kill('SIGKILL');
  });
});
