import { randomBytes } from 'node:crypto';
import type { Pool } from '@redpool/pool';
import type { Logger } from 'pino';
import { BlockingConnection } from './blocking-connection.js';
import type { ChannelCounters } from './instruments.js';
import type { ChannelKeys } from './keys.js';
import { type BlockPlan, type PopCall, planBlock, popCalls } from './loop-plan.js';
import type { Receiver } from './receiver.js';
import { INBOX_POP_MAX, SCRIPTS } from './scripts.js';

/** Most messages popped from one queue in one call. */
const MAX_POP = 1000;
/** An idle loop gives its connection back after this long. */
const LEASE_IDLE_MS = 1_000;

/** Reply of the dequeue script for one general queue: remaining length, expired count, then elements. */
type QueueReply = [number, number, ...Buffer[]];
/** Reply of the dequeue script: Redis time (ms), one QueueReply per queue, then the entries of each inbox. */
type DequeueReply = [number, ...Array<QueueReply | Buffer[]>];

export interface ReceiveLoopOptions {
  blockMs: number;
  clusterPollIntervalMs: number;
}

/**
 * The Redis side of receiving: one loop per layer that pops for every channel with pending
 * receives and multiplexes all of them over ONE connection leased from the pool's exclusive lane.
 *
 * Each turn it either pops (a non-blocking dequeue script per slot, for general queues that may
 * hold messages and inboxes that may hold entries) or blocks in one BLPOP on: the queues of the
 * general channels with pending receives, the inboxes of this layer's specific channels (one per
 * `newChannel` prefix), and its own kick list, which a new receive pushes to when the BLPOP must
 * be renewed with a new key. On Redis Cluster a BLPOP only takes keys of one slot: the loop blocks
 * on the slot with most channels and polls the others every `clusterPollIntervalMs`.
 */
export class ReceiveLoop {
  private readonly connection: BlockingConnection;
  private running: Promise<void> | null = null;
  private parked: (() => void) | null = null;
  private blocking: { kickKey: string; version: number; kicked: boolean } | null = null;
  private stopping = false;
  private failures = 0;
  private idleTimer: NodeJS.Timeout | undefined;
  private backoff: { timer: NodeJS.Timeout; resolve: () => void } | null = null;
  /** Redis time minus local time (ms), measured on every dequeue. */
  clockOffsetMs = 0;
  readonly loopId = randomBytes(6).toString('hex');
  private readonly isCluster: boolean;

  constructor(
    private readonly pool: Pool,
    private readonly receiver: Receiver,
    private readonly keys: ChannelKeys,
    private readonly counters: ChannelCounters,
    private readonly log: Logger,
    private readonly options: ReceiveLoopOptions,
    private readonly onError: (err: Error) => void,
    private readonly dropped: (channel: string, count: number) => void,
  ) {
    this.isCluster = pool.isCluster;
    this.connection = new BlockingConnection(pool);
  }

  /** New work: start the loop, wake it from idle, or interrupt its blocking pop if it must watch more. */
  nudge(): void {
    if (this.stopping) return;
    if (this.running === null) {
      this.running = this.run().finally(() => {
        this.running = null;
      });
      return;
    }
    if (this.parked !== null) {
      const wake = this.parked;
      this.parked = null;
      wake();
      return;
    }
    const b = this.blocking;
    if (b !== null && !b.kicked && (this.receiver.dirty.size > 0 || this.receiver.addVersion !== b.version))
      this.kick(b);
  }

  /** Stops the loop: interrupts the blocking pop, waits up to `timeoutMs`, then drops the connection. */
  async stop(timeoutMs: number): Promise<void> {
    this.stopping = true;
    this.parked?.();
    this.parked = null;
    this.backoff?.resolve();
    if (this.blocking !== null) this.kick(this.blocking);
    const running = this.running;
    if (running !== null) {
      let timer: NodeJS.Timeout | undefined;
      const late = await Promise.race([
        running.then(() => false),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(true), timeoutMs);
        }),
      ]);
      clearTimeout(timer);
      if (late) {
        await this.connection.destroy();
        await running;
      }
    }
    await this.connection.release();
  }

  /** Stops at once: the connection is closed under a blocking pop (a message it popped may be lost). */
  async destroy(): Promise<void> {
    this.stopping = true;
    this.parked?.();
    this.parked = null;
    this.backoff?.resolve();
    await this.connection.destroy();
    await this.running;
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      try {
        const calls = popCalls(this.receiver);
        if (calls.length > 0) {
          const results = await Promise.allSettled(calls.map((c) => this.pop(c)));
          const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
          if (failed !== undefined) throw failed.reason;
        } else {
          const plan = planBlock(this.receiver, this.keys, this.loopId, this.isCluster, this.options);
          if (plan === null) await this.park();
          else await this.block(plan);
        }
        this.failures = 0;
      } catch (err) {
        if (this.stopping) break;
        this.failures++;
        this.counters.receiveErrors++;
        this.receiver.markAllDirty();
        this.log.warn(
          { err: (err as Error).message, failures: this.failures },
          'receive loop error; retrying',
        );
        this.onError(err as Error);
        await this.pause(Math.min(1_000, 25 * 2 ** Math.min(this.failures, 6)) * (0.5 + Math.random() / 2));
      }
    }
  }

  private async pop(call: PopCall): Promise<void> {
    const { states, inboxes } = call;
    const epochs = states.map((s) => s.epoch);
    const counts = states.map((s) => Math.min(MAX_POP, Math.max(1, s.waiters.length)));
    for (const s of states) this.receiver.dirty.delete(s);
    for (const inbox of inboxes) inbox.drain = false;
    const keys = [...states.map((s) => s.key), ...inboxes.map((i) => i.key)];
    const sentAt = Date.now();
    let reply: DequeueReply;
    try {
      reply = await this.pool.runScript(
        SCRIPTS.dequeue,
        keys,
        [states.length, inboxes.length, ...counts, INBOX_POP_MAX],
        {
          buffer: true,
        },
      );
    } catch (err) {
      for (const inbox of inboxes) inbox.drain = true;
      for (const s of states) this.receiver.markDirty(s);
      throw err;
    }
    const redisNow = Number(reply[0]);
    this.clockOffsetMs = redisNow - sentAt;
    for (let j = 0; j < inboxes.length; j++) {
      const inbox = inboxes[j]!;
      const entries = reply[1 + states.length + j] as Buffer[];
      if (entries.length >= INBOX_POP_MAX) inbox.drain = true;
      this.receiver.distribute(inbox, entries, redisNow);
    }
    for (let i = 0; i < states.length; i++) {
      const state = states[i]!;
      const [remaining, expired, ...elements] = reply[1 + i] as QueueReply;
      if (Number(expired) > 0) this.dropped(state.name, Number(expired));
      const leftovers = this.receiver.deliverGeneral(state, elements, redisNow);
      if (Number(remaining) === 0 && state.epoch === epochs[i]) state.dirty = false;
      else this.receiver.markDirty(state);
      await this.receiver.requeue(state, leftovers);
    }
  }

  private async block(plan: BlockPlan): Promise<void> {
    await this.connection.ensure();
    // Work may have arrived while the lease was being acquired: do it before blocking.
    if (this.stopping || this.receiver.dirty.size > 0 || this.receiver.addVersion !== plan.version) return;
    const blocking = { kickKey: plan.kickKey, version: plan.version, kicked: false };
    this.blocking = blocking;
    let reply: [Buffer, Buffer] | null;
    try {
      reply = await this.connection.blpop(plan.keys, plan.timeoutMs);
    } finally {
      this.blocking = null;
    }
    for (const list of plan.others) {
      for (const t of list) {
        if ('tag' in t) t.drain = true;
        else this.receiver.markDirty(t);
      }
    }
    if (reply === null) return;
    const target = plan.targets.get(reply[0].toString());
    if (target === undefined) return; // the kick list
    if ('tag' in target) {
      target.drain = true;
      this.receiver.distribute(target, [reply[1]]);
      return;
    }
    const leftovers = this.receiver.deliverGeneral(target, [reply[1]]);
    if (target.waiters.length > 0) this.receiver.markDirty(target);
    await this.receiver.requeue(target, leftovers);
  }

  private kick(blocking: { kickKey: string; kicked: boolean }): void {
    blocking.kicked = true;
    this.counters.kicks++;
    this.pool
      .runScript(SCRIPTS.kick, [blocking.kickKey], [this.options.blockMs + 5_000])
      .catch((err: Error) => {
        this.log.debug({ err: err.message }, 'kick failed; the blocking pop ends at its timeout');
      });
  }

  private park(): Promise<void> {
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => void this.connection.release(), LEASE_IDLE_MS);
    return new Promise<void>((resolve) => {
      this.parked = resolve;
    }).finally(() => clearTimeout(this.idleTimer));
  }

  private pause(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.backoff = null;
        resolve();
      }, ms);
      this.backoff = {
        timer,
        resolve: () => {
          clearTimeout(timer);
          this.backoff = null;
          resolve();
        },
      };
    });
  }
}
