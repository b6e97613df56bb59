import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { startRedis, stopAll } from '@redpool/testkit';
import { type ChatMembership, signToken, type WsServer } from '../../src/index.js';
import { handshake, SECRET, startInstance, stopAllServers, TestClient, token, waitFor } from '../helpers.js';

afterAll(stopAll);

let server: WsServer;
let strict: WsServer;
const clients: TestClient[] = [];
const memberships: [string, string][] = [];

beforeAll(async () => {
  const redis = await startRedis();
  server = await startInstance({ url: redis.url }, { jwtClockToleranceSeconds: 0 });
  // A custom, async membership rule, plus issuer and audience checks.
  const chatMembership: ChatMembership = async (user, room) => {
    memberships.push([user.id, room]);
    await new Promise((r) => setTimeout(r, 5));
    return room.startsWith(`${user.id}-`) || room === 'public';
  };
  strict = await startInstance(
    { url: redis.url },
    { jwtIssuer: 'https://auth.example', jwtAudience: 'chat' },
    { chatMembership },
  );
});
afterAll(() => stopAllServers([server, strict], clients));

const now = () => Math.floor(Date.now() / 1000);

describe('authentication in the handshake', () => {
  test('missing, malformed, forged and expired tokens are refused with a clear error', async () => {
    const url = server.address.url;
    expect(await handshake(url, undefined)).toEqual({
      message: 'no token: send it as auth.token',
      data: { code: 'WS_ERR_UNAUTHENTICATED', message: 'no token: send it as auth.token' },
    });
    expect(await handshake(url, { token: 'not-a-jwt' })).toMatchObject({
      data: { code: 'WS_ERR_UNAUTHENTICATED' },
    });
    expect(await handshake(url, { token: 42 })).toMatchObject({ data: { code: 'WS_ERR_UNAUTHENTICATED' } });
    expect(
      await handshake(url, { token: token('alice', {}, 'another-secret-another-secret-42') }),
    ).toMatchObject({
      data: { code: 'WS_ERR_UNAUTHENTICATED', message: 'invalid token signature' },
    });
    const none = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from('{"sub":"alice"}').toString('base64url')}.`;
    expect(await handshake(url, { token: none })).toMatchObject({
      data: { code: 'WS_ERR_UNAUTHENTICATED', message: 'token algorithm not accepted' },
    });
    expect(
      await handshake(url, { token: signToken({ sub: 'alice', exp: now() - 60 }, SECRET) }),
    ).toMatchObject({
      data: { code: 'WS_ERR_TOKEN_EXPIRED' },
    });
    expect(
      await handshake(url, { token: signToken({ sub: 'alice', nbf: now() + 600 }, SECRET) }),
    ).toMatchObject({
      data: { code: 'WS_ERR_UNAUTHENTICATED', message: 'token not valid yet (nbf)' },
    });
    expect(await handshake(url, { token: signToken({ exp: now() + 60 }, SECRET) })).toMatchObject({
      data: {
        code: 'WS_ERR_UNAUTHENTICATED',
        message: 'token subject (sub) must be a string of 1-128 characters',
      },
    });
    expect(await handshake(url, { token: 'x'.repeat(9000) })).toMatchObject({
      data: { code: 'WS_ERR_UNAUTHENTICATED' },
    });
    expect(await handshake(url, { token: token('alice') })).toBe('connected');
    const metrics = await server.metrics.registry.metrics();
    expect(metrics).toMatch(/redpool_ws_drops_total\{reason="auth"\} ([1-9]\d*)/);
  });

  test('issuer and audience are checked when configured', async () => {
    const url = strict.address.url;
    const good = { iss: 'https://auth.example', aud: ['chat', 'api'] };
    expect(await handshake(url, { token: token('alice', good) })).toBe('connected');
    expect(
      await handshake(url, { token: token('alice', { ...good, iss: 'https://evil.example' }) }),
    ).toMatchObject({
      data: { code: 'WS_ERR_UNAUTHENTICATED', message: 'token issuer not accepted' },
    });
    expect(await handshake(url, { token: token('alice', { ...good, aud: 'api' }) })).toMatchObject({
      data: { code: 'WS_ERR_UNAUTHENTICATED', message: 'token audience not accepted' },
    });
  });

  test('a connection whose token expires is closed with WS_ERR_TOKEN_EXPIRED and may come back with a fresh one', async () => {
    let exp = now() + 2;
    const c = new TestClient(server.address.url, 'alice', { token: () => token('alice', { exp }) });
    clients.push(c);
    await c.connected();
    const firstId = c.socket.id;
    exp = now() + 600; // the next handshake gets a fresh token
    await waitFor('closing TOKEN_EXPIRED', () => c.closings.length === 1, 6000);
    expect(c.closings[0]).toMatchObject({ code: 'WS_ERR_TOKEN_EXPIRED', reconnect: true });
    await waitFor('reconnected', () => c.socket.connected && c.socket.id !== firstId, 5000);
  });
});

describe('authorization per channel', () => {
  test('notifications: own only, groups by claim, never published by clients', async () => {
    const alice = new TestClient(server.address.url, 'alice', {
      token: token('alice', { groups: ['staff'] }),
    });
    clients.push(alice);
    await alice.connected();
    expect((await alice.subscribe('notifications.alice')).ok).toBe(true);
    expect(await alice.subscribe('notifications.bob')).toMatchObject({
      ok: false,
      error: { code: 'WS_ERR_FORBIDDEN', message: 'not allowed to subscribe notifications.bob' },
    });
    expect((await alice.subscribe('notifications.group.staff')).ok).toBe(true);
    expect(await alice.subscribe('notifications.group.admins')).toMatchObject({
      error: { code: 'WS_ERR_FORBIDDEN' },
    });
    expect(await alice.publish('notifications.alice', 'x')).toMatchObject({
      error: { code: 'WS_ERR_FORBIDDEN' },
    });
    expect(await alice.subscribe('system.anything')).toMatchObject({ error: { code: 'WS_ERR_FORBIDDEN' } });
    expect(await alice.publish('system.anything', 1)).toMatchObject({ error: { code: 'WS_ERR_FORBIDDEN' } });
  });

  test('chat rooms: the default rule reads the rooms claim (globs allowed), open without it', async () => {
    const limited = new TestClient(server.address.url, 'bob', {
      token: token('bob', { rooms: ['team-*', 'lobby'] }),
    });
    const open = new TestClient(server.address.url, 'carol');
    clients.push(limited, open);
    await Promise.all([limited.connected(), open.connected()]);
    expect((await limited.subscribe('chat.team-red')).ok).toBe(true);
    expect((await limited.subscribe('chat.lobby')).ok).toBe(true);
    expect(await limited.subscribe('chat.secret')).toMatchObject({ error: { code: 'WS_ERR_FORBIDDEN' } });
    expect(await limited.publish('chat.secret', 'hi')).toMatchObject({ error: { code: 'WS_ERR_FORBIDDEN' } });
    expect((await limited.publish('chat.lobby', 'hi')).ok).toBe(true);
    expect((await open.subscribe('chat.secret')).ok).toBe(true);
  });

  test('a pluggable (async) membership function decides chat rooms', async () => {
    const dave = new TestClient(strict.address.url, 'dave', {
      token: token('dave', { iss: 'https://auth.example', aud: 'chat' }),
    });
    clients.push(dave);
    await dave.connected();
    expect((await dave.subscribe('chat.dave-and-erin')).ok).toBe(true);
    expect((await dave.subscribe('chat.public')).ok).toBe(true);
    expect(await dave.subscribe('chat.erin-only')).toMatchObject({ error: { code: 'WS_ERR_FORBIDDEN' } });
    expect(memberships).toEqual(
      expect.arrayContaining([
        ['dave', 'dave-and-erin'],
        ['dave', 'erin-only'],
      ]),
    );
    expect(await strict.metrics.registry.metrics()).toMatch(
      /redpool_ws_drops_total\{reason="forbidden",pattern="chat\.\*"\} [1-9]/,
    );
  });

  test('a throwing authorizer denies with WS_ERR_INTERNAL and the server keeps serving', async () => {
    const redisUrl = server.config.redisUrl;
    const custom = await startInstance(
      { url: redisUrl },
      {},
      {
        authorize: (_user, channel) => {
          if (channel === 'chat.boom') throw new Error('db down');
          return channel.startsWith('chat.');
        },
      },
    );
    try {
      const c = new TestClient(custom.address.url, 'erin');
      clients.push(c);
      await c.connected();
      expect(await c.subscribe('chat.boom')).toMatchObject({
        ok: false,
        error: { code: 'WS_ERR_INTERNAL', message: 'authorization check failed; try again' },
      });
      expect((await c.subscribe('chat.fine')).ok).toBe(true);
    } finally {
      await custom.stop();
    }
  });
});
