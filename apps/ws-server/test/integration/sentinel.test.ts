import { afterAll, expect, test } from '@jest/globals';
import { startSentinel, stopAll } from '@redpool/testkit';
import { TestClient } from '../helpers.js';
import { killAll, serverEnv, spawnServer } from '../processes.js';

const clients: TestClient[] = [];

afterAll(async () => {
  for (const c of clients) c.close();
  await killAll();
  await stopAll();
});

test('behind Sentinel (REDIS_SENTINELS, REDIS_SENTINEL_NAME): two instances carry a chat, as the worker does', async () => {
  const sentinel = await startSentinel({ masterName: 'core' });
  // REDIS_URL names no Redis: with Sentinel it only supplies credentials.
  const env = serverEnv('redis://127.0.0.1:1', {
    REDIS_SENTINELS: sentinel.sentinelAddresses.map((s) => `${s.host}:${s.port}`).join(','),
    REDIS_SENTINEL_NAME: 'core',
  });
  const [a, b] = await Promise.all([spawnServer(env), spawnServer(env)]);
  const writer = new TestClient(a.url, 'writer');
  const reader = new TestClient(b.url, 'reader');
  clients.push(writer, reader);
  await Promise.all([writer.connected(), reader.connected()]);
  expect((await reader.subscribe('chat.sentinel')).ok).toBe(true);
  expect((await writer.publish('chat.sentinel', 'hello')).ok).toBe(true);
  const deadline = Date.now() + 5_000;
  while (reader.data('chat.sentinel').length === 0 && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 20));
  expect(reader.data('chat.sentinel')).toEqual(['hello']);
  // The history lives on the master the sentinels name.
  expect(await sentinel.master.command('DBSIZE')).toBeGreaterThan(0);
}, 60_000);
