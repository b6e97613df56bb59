import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Redis } from 'ioredis';
import { type RedisServer, startRedis, stopAll } from '../src/index.js';
import { pingWith } from './helpers.js';

afterAll(stopAll);

describe('startRedis({ tls: true })', () => {
  let redis: RedisServer;

  beforeAll(async () => {
    redis = await startRedis({ tls: true, password: 'tls-pass' });
  });

  test('exposes a throw-away CA and a server certificate for 127.0.0.1 signed by it', () => {
    const { ca, cert, key } = redis.tls!;
    expect(key).toMatch(/BEGIN PRIVATE KEY/);
    const caCert = new X509Certificate(ca);
    const serverCert = new X509Certificate(cert);
    expect(caCert.ca).toBe(true);
    expect(serverCert.checkIssued(caCert)).toBe(true);
    expect(serverCert.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(redis.url).toBe(`rediss://:tls-pass@127.0.0.1:${redis.port}`);
  });

  test('reachable over TLS with the CA (ioredis tls: { ca })', async () => {
    const client = new Redis({
      port: redis.port,
      password: 'tls-pass',
      tls: { ca: redis.tls!.ca },
      lazyConnect: true,
    });
    await client.connect();
    expect(await client.ping()).toBe('PONG');
    await client.quit();
  });

  test('not reachable in plaintext, nor without trusting the CA', async () => {
    expect(await pingWith({ port: redis.port, password: 'tls-pass' })).not.toBe('PONG');
    expect(await pingWith({ port: redis.port, password: 'tls-pass', tls: {} })).toMatch(
      /self-signed certificate/,
    );
  });

  test('the plain port is disabled: only the TLS port listens', async () => {
    const plainPort = (await redis.command('CONFIG', 'GET', 'port')) as string[];
    expect(plainPort[1]).toBe('0');
    const tlsPort = (await redis.command('CONFIG', 'GET', 'tls-port')) as string[];
    expect(tlsPort[1]).toBe(String(redis.port));
  });

  test('restart() keeps TLS', async () => {
    await redis.restart();
    expect(await pingWith({ port: redis.port, password: 'tls-pass', tls: { ca: redis.tls!.ca } })).toBe(
      'PONG',
    );
  });
});
