/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// (The page callbacks below run in the browser.)
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { createPool, type Pool } from '@redpool/pool';
import { createPublisher } from '@redpool/realtime';
import { startRedis, stopAll } from '@redpool/testkit';
import { type Browser, chromium, type Page } from 'playwright-core';
import type { WsServer } from '../../src/index.js';
import { startInstances, stopAllServers } from '../helpers.js';

/** Debian's `chromium` package (installed by .ci/run). */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

afterAll(stopAll);

let servers: WsServer[] = [];
let browser: Browser;
let pool: Pool;

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `${CHROMIUM} not found: install Debian's chromium package ("apt-get install -y chromium")`,
    );
  const redis = await startRedis();
  servers = await startInstances({ url: redis.url });
  pool = createPool({ url: redis.url, name: 'e2e-worker', maxConnections: 4 });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true, timeout: 20_000 });
}, 30_000);

afterAll(async () => {
  await browser?.close();
  await pool?.close();
  await stopAllServers(servers);
});

async function joinAs(page: Page, url: string, name: string, room: string): Promise<void> {
  await page.goto(url);
  await page.fill('#name', name);
  await page.fill('#room', room);
  await page.click('#join');
  await page.waitForFunction(() => !(document.getElementById('send') as HTMLButtonElement).disabled, null, {
    timeout: 10_000,
  });
}

test('two tabs on two instances join a room, talk, and see notifications', async () => {
  const [a, b] = servers as [WsServer, WsServer];
  const context = await browser.newContext();
  try {
    const alice = await context.newPage();
    const bob = await context.newPage();
    await joinAs(alice, a.address.url, 'alice', 'e2e');
    await joinAs(bob, b.address.url, 'bob', 'e2e');
    await expect(alice.textContent('#status')).resolves.toContain('connected as alice');

    await alice.fill('#text', 'hello bob');
    await alice.click('#send');
    await bob.waitForFunction(
      () =>
        [...document.querySelectorAll('#messages li')].some((li) => li.textContent === 'alice: hello bob'),
      null,
      { timeout: 10_000 },
    );
    await bob.fill('#text', 'hi alice <b>not bold</b>');
    await bob.press('#text', 'Enter');
    await alice.waitForFunction(
      () =>
        [...document.querySelectorAll('#messages li')].some((li) =>
          li.textContent?.startsWith('bob: hi alice'),
        ),
      null,
      { timeout: 10_000 },
    );
    expect(await alice.$$eval('#messages li', (lis) => lis.map((li) => li.textContent))).toEqual([
      'alice: hello bob',
      'bob: hi alice <b>not bold</b>',
    ]);
    expect(await alice.$('#messages b')).toBeNull(); // rendered as text, never as HTML

    // A notification from the server side (what the worker does), to bob only.
    const worker = createPublisher(pool, {
      channels: a.publisher.options.channels,
      keyPrefix: a.config.keyPrefix,
      adapterPrefix: a.config.adapterPrefix,
    });
    await worker.publish('notifications.bob', { text: 'Your export is ready' });
    await bob.waitForFunction(
      () => document.querySelector('#notifications li')?.textContent === 'Your export is ready',
      null,
      { timeout: 10_000 },
    );
    // …and the page's own button, through /dev/notify.
    await alice.click('#notify');
    await alice.waitForFunction(
      () => document.querySelector('#notifications li')?.textContent?.startsWith('Hello alice'),
      null,
      { timeout: 10_000 },
    );
    expect(await alice.$$eval('#notifications li', (lis) => lis.length)).toBe(1); // not bob's
  } finally {
    await context.close();
  }
}, 60_000);
