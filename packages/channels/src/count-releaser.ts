import type { Pool } from '@redpool/pool';
import type { Logger } from 'pino';
import type { TagInbox } from './channel-state.js';
import { SCRIPTS } from './scripts.js';

/** Most channels released in one call. */
const CHUNK = 1_000;

/**
 * Writes released capacity back to the count hashes of specific channels: one release call per
 * inbox at a time, batching everything released while the previous call was in flight. After a
 * Redis error it retries with backoff, so counts never stay too high once Redis is back.
 */
export class CountReleaser {
  private readonly inFlight = new Set<Promise<void>>();
  private stopped = false;

  constructor(
    private readonly pool: Pool,
    private readonly log: Logger,
  ) {}

  /** Starts writing `inbox.releases` unless a write for this inbox is already running. */
  schedule(inbox: TagInbox): void {
    if (inbox.releasing || this.stopped) return;
    inbox.releasing = true;
    const run = this.flush(inbox).finally(() => {
      inbox.releasing = false;
      this.inFlight.delete(run);
    });
    this.inFlight.add(run);
  }

  /** Waits for the writes in flight (at most `timeoutMs`), then stops retrying. */
  async idle(timeoutMs = 2_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(this.inFlight),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    this.stopped = true;
  }

  private async flush(inbox: TagInbox): Promise<void> {
    let failures = 0;
    while (inbox.releases.size > 0 && !this.stopped) {
      const batch = [...inbox.releases].slice(0, CHUNK);
      for (const [local] of batch) inbox.releases.delete(local);
      try {
        await this.pool.runScript(SCRIPTS.release, [inbox.countKey], batch.flat());
        failures = 0;
      } catch (err) {
        for (const [local, n] of batch) inbox.releases.set(local, (inbox.releases.get(local) ?? 0) + n);
        failures++;
        this.log.debug({ err: (err as Error).message, inbox: inbox.key }, 'count release failed; retrying');
        await new Promise((resolve) => setTimeout(resolve, Math.min(1_000, 50 * 2 ** Math.min(failures, 5))));
      }
    }
  }
}
