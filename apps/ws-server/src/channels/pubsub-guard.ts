import type { RedisConnection } from '@redpool/pool';
import type { Logger } from 'pino';
import { ClientError } from '../errors.js';

type AsyncMethod = (...args: unknown[]) => Promise<unknown>;

interface Entry {
  active: boolean;
  /** When the channel was last asked for (or lost) while not active: Date.now(). */
  pendingSince: number;
  waiters: Set<() => void>;
  retry?: NodeJS.Timeout;
  method: string;
}

const SUBSCRIBE = ['subscribe', 'psubscribe', 'ssubscribe'] as const;
const UNSUBSCRIBE = {
  unsubscribe: 'subscribe',
  punsubscribe: 'psubscribe',
  sunsubscribe: 'ssubscribe',
} as const;
const PUBLISH = ['publish', 'spublish'] as const;
const RETRY_MS = 500;
/**
 * A subscription not active after this long counts against health. Shorter waits are normal: the
 * sharded adapter subscribes a room's channel when its first member joins, which takes a round
 * trip, and readiness must not flap whenever a user opens a new room.
 */
export const SUBSCRIBE_GRACE_MS = 2_000;

/**
 * Wraps the redis-adapter's clients (connections from the pool) so that:
 * - no promise the adapter drops can end the process: it calls `publish`, `ssubscribe`,
 *   `psubscribe`… without handling the result, and a rejection while Redis is down would be an
 *   unhandled rejection;
 * - a (S)SUBSCRIBE that failed (Redis unreachable) is retried while the channel is still wanted,
 *   because ioredis only re-subscribes channels that were subscribed successfully;
 * - the server can wait until the per-room SSUBSCRIBE the sharded adapter issues on `create-room`
 *   has taken effect ({@link PubSubGuard.ready}) before it reads a channel's position, so no
 *   message falls between the read and the subscription.
 */
export class PubSubGuard {
  private readonly entries = new Map<string, Entry>();
  private readonly originals = new Map<string, AsyncMethod>();
  private closed = false;

  constructor(
    readonly client: RedisConnection,
    private readonly log: Logger,
    role: 'subscriber' | 'publisher',
  ) {
    const target = client as unknown as Record<string, AsyncMethod>;
    if (role === 'publisher') {
      for (const name of PUBLISH) {
        const original = target[name]!.bind(client);
        target[name] = (...args) => handled(original(...args), (err) => this.onPublishError(name, err));
      }
      return;
    }
    for (const name of SUBSCRIBE) {
      const original = target[name]!.bind(client);
      this.originals.set(name, original);
      target[name] = (...args) => this.subscribe(name, args);
    }
    for (const [name, kind] of Object.entries(UNSUBSCRIBE)) {
      const original = target[name]!.bind(client);
      target[name] = (...args) => {
        for (const channel of channelsOf(args)) this.forget(channel, kind);
        return handled(original(...args), () => undefined);
      };
    }
    // A standalone connection loses its subscriptions with its socket; ioredis re-subscribes on
    // `ready` through the wrapped methods, which marks them active again.
    client.on('close', () => {
      if (this.closed || 'nodes' in client) return;
      const now = Date.now();
      for (const entry of this.entries.values()) {
        entry.active = false;
        entry.pendingSince = now;
      }
    });
  }

  /** Resolves once `channel` is subscribed; rejects with `WS_ERR_UNAVAILABLE` after `timeoutMs`. */
  ready(channel: string, timeoutMs: number): Promise<void> {
    const entry = this.entries.get(channel);
    if (entry?.active) return Promise.resolve();
    if (!entry)
      return Promise.reject(new ClientError('WS_ERR_INTERNAL', 'channel subscription was not requested'));
    return new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        entry.waiters.delete(done);
        reject(new ClientError('WS_ERR_UNAVAILABLE', 'Redis is unreachable: subscribe again later'));
      }, timeoutMs);
      entry.waiters.add(done);
    });
  }

  /** Whether every wanted channel is subscribed, or was asked for less than {@link SUBSCRIBE_GRACE_MS} ago. */
  get healthy(): boolean {
    const stuckBefore = Date.now() - SUBSCRIBE_GRACE_MS;
    for (const entry of this.entries.values())
      if (!entry.active && entry.pendingSince < stuckBefore) return false;
    return true;
  }

  /** Stops retrying (before the clients are closed). */
  close(): void {
    this.closed = true;
    for (const entry of this.entries.values()) clearTimeout(entry.retry);
  }

  private subscribe(method: string, args: unknown[]): Promise<unknown> {
    const channels = channelsOf(args);
    for (const channel of channels) {
      let entry = this.entries.get(channel);
      if (!entry) {
        entry = { active: false, pendingSince: Date.now(), waiters: new Set(), method };
        this.entries.set(channel, entry);
      }
      clearTimeout(entry.retry);
      entry.retry = undefined;
    }
    const result = this.originals.get(method)!(...args);
    result.then(
      () => {
        for (const channel of channels) {
          const entry = this.entries.get(channel);
          if (!entry) continue;
          entry.active = true;
          for (const waiter of entry.waiters) waiter();
          entry.waiters.clear();
        }
      },
      (err: Error) => {
        for (const channel of channels) this.scheduleRetry(channel, err);
      },
    );
    return result;
  }

  private scheduleRetry(channel: string, err: Error): void {
    const entry = this.entries.get(channel);
    if (!entry || entry.active || entry.retry || this.closed) return;
    this.log.debug({ channel, err: err.message }, 'subscription failed; retrying');
    entry.retry = setTimeout(
      () => {
        entry.retry = undefined;
        if (this.entries.get(channel) === entry && !entry.active && !this.closed) {
          const target = this.client as unknown as Record<string, AsyncMethod>;
          void handled(target[entry.method]!(channel), () => undefined);
        }
      },
      RETRY_MS + Math.random() * RETRY_MS,
    );
  }

  private forget(channel: string, kind: string): void {
    const entry = this.entries.get(channel);
    if (!entry || entry.method !== kind) return;
    clearTimeout(entry.retry);
    this.entries.delete(channel);
  }

  private onPublishError(method: string, err: unknown): void {
    this.log.debug({ method, err: (err as Error)?.message }, 'adapter publish failed');
  }
}

function channelsOf(args: unknown[]): string[] {
  return args.flat().filter((a): a is string => typeof a === 'string');
}

/** Returns `promise` after making sure its rejection is handled. */
function handled<T>(promise: Promise<T>, onError: (err: unknown) => void): Promise<T> {
  promise.catch(onError);
  return promise;
}
