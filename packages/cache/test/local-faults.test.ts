import { afterAll, describe, expect, test } from '@jest/globals';
import { createPool } from '@redpool/pool';
import { type RedisServer, sleep, startRedis, stopAll, waitUntil } from '@redpool/testkit';
import { type Cache, createCache } from '../src/index.js';

afterAll(stopAll);

const KEYS = Array.from({ length: 8 }, (_, i) => `k${i}`);

interface Violation {
  key: string;
  read: number | undefined;
  floor: number;
  phase: string;
}

/**
 * A second client writes increasing numbers to a few keys while this process reads them through
 * the client-side cache and faults are injected. A read must return at least the last value
 * whose write was acknowledged before the read started (it may return a newer one: a write in
 * flight may already be applied). Acknowledged writes survive SIGKILL (appendfsync always), so
 * any older value is a stale read served by the local layer.
 */
class StaleReadProbe {
  readonly acked = new Map<string, number>(KEYS.map((k) => [k, 0]));
  readonly violations: Violation[] = [];
  reads = 0;
  readErrors = 0;
  writes = 0;
  writeErrors = 0;
  phase = 'steady';
  /** A fault is being injected: a write that failed waits for it to end (see writer()). */
  faulted = false;
  private running = true;
  private readonly tasks: Promise<void>[] = [];

  constructor(
    private readonly reader: Cache,
    private readonly writer: Cache,
  ) {}

  start(readers: number): void {
    this.tasks.push(this.write());
    for (let i = 0; i < readers; i++) this.tasks.push(this.read(i));
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.tasks);
  }

  private async write(): Promise<void> {
    let n = 0;
    while (this.running) {
      const key = KEYS[n % KEYS.length]!;
      const value = ++n;
      try {
        await this.writer.set(key, value);
        this.writes++;
        this.acked.set(key, Math.max(this.acked.get(key)!, value));
      } catch {
        this.writeErrors++;
        // A write cut off by the fault may still be applied when Redis answers again, on its old
        // socket, after a later write on a new one. So the writer waits until the fault is over
        // and Redis has drained what it had queued, as a client retrying after an error does.
        while (this.faulted && this.running) await sleep(20);
        await sleep(300);
      }
      await sleep(3);
    }
  }

  private async read(id: number): Promise<void> {
    let i = id;
    while (this.running) {
      const key = KEYS[i++ % KEYS.length]!;
      const floor = this.acked.get(key)!;
      try {
        const value = await this.reader.get<number>(key);
        this.reads++;
        if (value === undefined || value < floor)
          this.violations.push({ key, read: value, floor, phase: this.phase });
      } catch {
        this.readErrors++;
        await sleep(10);
      }
      // Local hits settle without I/O: let the sockets (and the other callers) be served.
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
}

async function trackingBack(cache: Cache, what: string): Promise<void> {
  await waitUntil(() => cache.local!.trackingState === 'tracking', 10_000, `tracking back after ${what}`);
}

/** Runs the probe for `ms` and returns the local hits served meanwhile. */
async function steady(probe: StaleReadProbe, cache: Cache, ms: number, phase: string): Promise<number> {
  probe.phase = phase;
  const before = cache.local!.counters.hits;
  await sleep(ms);
  return cache.local!.counters.hits - before;
}

describe('client-side cache under faults', () => {
  test('no stale read through tracking-connection kills, freezes and Redis restarts', async () => {
    const redis: RedisServer = await startRedis({ extraConfig: { appendonly: true, appendfsync: 'always' } });
    const readerPool = createPool({ url: redis.url, name: 'reader', commandTimeoutMs: 500 });
    const writerPool = createPool({ url: redis.url, name: 'writer', commandTimeoutMs: 500 });
    const reader = createCache(readerPool, {
      keyPrefix: 'fc',
      local: { pingIntervalMs: 200, replyTimeoutMs: 300 },
    });
    const writer = createCache(writerPool, { keyPrefix: 'fc' });
    for (const key of KEYS) await writer.set(key, 0);
    await trackingBack(reader, 'start');

    const probe = new StaleReadProbe(reader, writer);
    probe.start(4);
    const hits: Record<string, number> = {};
    hits.start = await steady(probe, reader, 1_000, 'start');

    for (let cycle = 1; cycle <= 2; cycle++) {
      probe.phase = `tracking kill ${cycle}`;
      await redis.command('CLIENT', 'KILL', 'TYPE', 'pubsub');
      await trackingBack(reader, 'CLIENT KILL');
      hits[`after kill ${cycle}`] = await steady(probe, reader, 800, `after kill ${cycle}`);

      probe.phase = `freeze ${cycle}`;
      probe.faulted = true;
      await redis.freeze();
      await sleep(1_200);
      await redis.thaw();
      probe.faulted = false;
      await trackingBack(reader, 'SIGCONT');
      hits[`after freeze ${cycle}`] = await steady(probe, reader, 800, `after freeze ${cycle}`);

      probe.phase = `restart ${cycle}`;
      probe.faulted = true;
      await redis.kill();
      await sleep(500);
      await redis.restart();
      probe.faulted = false;
      await trackingBack(reader, 'restart');
      hits[`after restart ${cycle}`] = await steady(probe, reader, 800, `after restart ${cycle}`);
    }
    await probe.stop();

    expect(probe.violations).toEqual([]);
    expect(probe.reads).toBeGreaterThan(1_000);
    expect(probe.writes).toBeGreaterThan(300);
    // The local layer served between the faults (else the check above would prove nothing).
    for (const [phase, n] of Object.entries(hits)) expect([phase, n > 0]).toEqual([phase, true]);
    // Each fault dropped everything at least once: kill, freeze (PING unanswered), restart.
    expect(reader.local!.counters.flushes).toBeGreaterThanOrEqual(6);

    await reader.close();
    await readerPool.close();
    await writerPool.close();
  }, 90_000);
});
