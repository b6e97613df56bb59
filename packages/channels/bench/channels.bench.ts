/**
 * @redpool/channels against channels_redis itself, in the same run, on the same Redis (started by
 * the testkit), with the same ~100-byte message:
 *   1. send/s with 50 concurrent senders (one general channel each),
 *   2. receive/s: a general channel holding N messages drained by 50 concurrent receivers
 *      (and, reported only, by one sequential receiver),
 *   3. groupSend/s to a group of 100 process-specific channels, 50 concurrent senders: all of
 *      one receiving process (channels_redis' best case: one key, one ZADD), and (reported
 *      only) spread over 10 receiving processes, 10 channels each.
 * channels_redis runs in /usr/bin/python3 (Debian package python3-channels-redis, installed with
 * apt when missing) through bench/channels_redis_bench.py. Each side runs `rounds` times,
 * alternating, and the best round counts (the machine is shared). The last line printed is one
 * JSON object with the ratios (redpool ÷ channels_redis).
 *
 * Usage: pnpm --filter @redpool/channels bench [--quick]
 */
import { execFileSync, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createPool, type Pool } from '@redpool/pool';
import { startRedis, stopAll } from '@redpool/testkit';
import { createChannelLayer } from '../src/index.js';

const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('./channels_redis_bench.py', import.meta.url));
const quick = process.argv.includes('--quick');
const N = quick ? 5_000 : 20_000;
const GROUP_SENDS = quick ? 1_000 : 4_000;
const ROUNDS = quick ? 1 : 2;
const CONCURRENCY = 50;
const GROUP_SIZE = 100;

/** ~100 bytes as MessagePack; the Python side sends the same dict. */
const MESSAGE = {
  type: 'chat.message',
  room: 'room-42',
  user: 'user-1234',
  text: 'The quick brown fox jumps over the lazy dog, twice!',
  ts: 1700000000123,
};

interface Figures {
  send_per_s: number;
  receive_per_s: number;
  receive_sequential_per_s: number;
  group_send_per_s: number;
  group_send_spread_per_s: number;
}

function hasChannelsRedis(): boolean {
  try {
    execFileSync(PYTHON, ['-c', 'import channels_redis'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Installs python3-channels-redis with apt when /usr/bin/python3 cannot import it. */
function ensureChannelsRedis(): void {
  if (hasChannelsRedis()) return;
  console.log('channels_redis missing: apt-get install -y python3-channels-redis');
  const apt = (...args: string[]) =>
    execFileSync('apt-get', args, {
      stdio: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  try {
    apt('install', '-y', 'python3-channels-redis');
  } catch {
    apt('update');
    apt('install', '-y', 'python3-channels-redis');
  }
  if (!hasChannelsRedis())
    throw new Error('python3-channels-redis installed but /usr/bin/python3 cannot import channels_redis');
}

/** Runs `total` calls of `work(i)` over `count` concurrent loops; returns calls per second. */
async function rate(count: number, total: number, work: (i: number) => Promise<unknown>): Promise<number> {
  const perLoop = Math.floor(total / count);
  const started = performance.now();
  await Promise.all(
    Array.from({ length: count }, async (_, loop) => {
      for (let i = 0; i < perLoop; i++) await work(loop * perLoop + i);
    }),
  );
  return (perLoop * count) / ((performance.now() - started) / 1000);
}

async function fill(pool: Pool, channel: string, count: number): Promise<void> {
  const layer = createChannelLayer(pool, { prefix: 'rpbench', capacity: count + 1_000, expirySeconds: 600 });
  for (let i = 0; i < count; i += 500) {
    await Promise.all(Array.from({ length: Math.min(500, count - i) }, () => layer.send(channel, MESSAGE)));
  }
  await layer.close();
}

async function redpool(url: string): Promise<Figures> {
  const pool = createPool({ url, name: 'bench' });
  const layer = createChannelLayer(pool, { prefix: 'rpbench', capacity: N + 1_000, expirySeconds: 600 });
  try {
    await layer.flush();
    // Warm-up (JIT, script cache, connections), not measured; the Python side does the same.
    await rate(CONCURRENCY, 2_000, (i) => layer.send(`bench-warm-${i % CONCURRENCY}`, MESSAGE));
    await rate(CONCURRENCY, 2_000, (i) => layer.receive(`bench-warm-${i % CONCURRENCY}`));
    const send_per_s = await rate(CONCURRENCY, N, (i) =>
      layer.send(`bench-send-${i % CONCURRENCY}`, MESSAGE),
    );
    await layer.flush();
    await fill(pool, 'bench-recv', N);
    const receive_per_s = await rate(CONCURRENCY, N, () => layer.receive('bench-recv'));
    const m = Math.max(1_000, N / 10);
    await fill(pool, 'bench-recv-seq', m);
    const receive_sequential_per_s = await rate(1, m, () => layer.receive('bench-recv-seq'));
    await layer.flush();
    const options = { prefix: 'rpbench', capacity: GROUP_SENDS + 1_000, expirySeconds: 600 };
    const receiver = createChannelLayer(pool, options);
    const sender = createChannelLayer(pool, options);
    for (let i = 0; i < GROUP_SIZE; i++) await sender.groupAdd('bench-group', receiver.newChannel());
    await rate(CONCURRENCY, 200, () => sender.groupSend('bench-group', MESSAGE));
    const group_send_per_s = await rate(CONCURRENCY, GROUP_SENDS, () =>
      sender.groupSend('bench-group', MESSAGE),
    );
    await sender.flush();
    const spread = Array.from({ length: 10 }, () => createChannelLayer(pool, options));
    for (let i = 0; i < GROUP_SIZE; i++) await sender.groupAdd('bench-spread', spread[i % 10]!.newChannel());
    await rate(CONCURRENCY, 200, () => sender.groupSend('bench-spread', MESSAGE));
    const group_send_spread_per_s = await rate(CONCURRENCY, GROUP_SENDS, () =>
      sender.groupSend('bench-spread', MESSAGE),
    );
    await sender.flush();
    await Promise.all([receiver.close(), sender.close(), ...spread.map((l) => l.close())]);
    return { send_per_s, receive_per_s, receive_sequential_per_s, group_send_per_s, group_send_spread_per_s };
  } finally {
    await layer.close();
    await pool.close();
  }
}

function channelsRedis(url: string): Promise<Figures> {
  const args = [SCRIPT, '--url', url, '--messages', String(N), '--group-sends', String(GROUP_SENDS)];
  args.push('--concurrency', String(CONCURRENCY), '--group-size', String(GROUP_SIZE));
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 600_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const last = out.trim().split('\n').pop() ?? '';
      if (code !== 0) reject(new Error(`channels_redis benchmark exited with ${code}: ${out}`));
      else resolve(JSON.parse(last) as Figures);
    });
  });
}

function best(runs: Figures[]): Figures {
  const pick = (k: keyof Figures) => Math.max(...runs.map((r) => r[k]));
  return {
    send_per_s: pick('send_per_s'),
    receive_per_s: pick('receive_per_s'),
    receive_sequential_per_s: pick('receive_sequential_per_s'),
    group_send_per_s: pick('group_send_per_s'),
    group_send_spread_per_s: pick('group_send_spread_per_s'),
  };
}

async function main(): Promise<void> {
  ensureChannelsRedis();
  const redis = await startRedis();
  const ours: Figures[] = [];
  const theirs: Figures[] = [];
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      ours.push(await redpool(redis.url));
      console.log(`round ${round} redpool        ${JSON.stringify(ours.at(-1))}`);
      theirs.push(await channelsRedis(redis.url));
      console.log(`round ${round} channels_redis ${JSON.stringify(theirs.at(-1))}`);
    }
  } finally {
    await stopAll();
  }
  const a = best(ours);
  const b = best(theirs);
  const ratio = (k: keyof Figures) => Math.round((a[k] / b[k]) * 100) / 100;
  const row = (name: string, k: keyof Figures) =>
    `${name.padEnd(34)}${Math.round(a[k]).toLocaleString('en-US').padStart(12)}${Math.round(b[k]).toLocaleString('en-US').padStart(16)}${ratio(k).toFixed(2).padStart(8)}x`;
  console.log(`\nN=${N} messages, ${GROUP_SENDS} group sends, ${ROUNDS} round(s), best round per side`);
  console.log(
    `${'workload (ops/s)'.padEnd(34)}${'redpool'.padStart(12)}${'channels_redis'.padStart(16)}${'ratio'.padStart(9)}`,
  );
  console.log(row(`send, ${CONCURRENCY} concurrent senders`, 'send_per_s'));
  console.log(row(`receive, ${CONCURRENCY} concurrent receivers`, 'receive_per_s'));
  console.log(row('receive, 1 sequential receiver', 'receive_sequential_per_s'));
  console.log(row(`groupSend, ${GROUP_SIZE} members, 1 process`, 'group_send_per_s'));
  console.log(row(`groupSend, ${GROUP_SIZE} members, 10 processes`, 'group_send_spread_per_s'));
  const round = (f: Figures) => Object.fromEntries(Object.entries(f).map(([k, v]) => [k, Math.round(v)]));
  console.log(
    JSON.stringify({
      send_ratio: ratio('send_per_s'),
      receive_ratio: ratio('receive_per_s'),
      group_send_ratio: ratio('group_send_per_s'),
      receive_sequential_ratio: ratio('receive_sequential_per_s'),
      group_send_spread_ratio: ratio('group_send_spread_per_s'),
      redpool: round(a),
      channels_redis: round(b),
      messages: N,
      group_sends: GROUP_SENDS,
      group_size: GROUP_SIZE,
      concurrency: CONCURRENCY,
      rounds: ROUNDS,
    }),
  );
}

await main();
