import type { Pool } from '@redpool/pool';
import type { Logger } from 'pino';
import type { CapacityTable } from './capacity.js';
import { ChannelRegistry } from './channel-registry.js';
import type { ChannelState, Pending, TagInbox, Waiter } from './channel-state.js';
import { CountReleaser } from './count-releaser.js';
import { parseInboxEntry, parseQueueElement } from './elements.js';
import { HeldMessages } from './held-messages.js';
import type { ChannelCounters, DropReason } from './instruments.js';
import type { ChannelKeys } from './keys.js';
import type { ChannelMessage, MessageCodec } from './message-codec.js';
import { REQUEUE_CHUNK, SCRIPTS } from './scripts.js';
import { type ReceiveOptions, waitForMessage } from './waiter.js';

/** An inbox stays watched this long after its last waiter left, so a receive loop per channel needs no kicks. */
const INBOX_LINGER_MS = 30_000;

/** What the receiver needs from its layer. */
export interface ReceiverContext {
  pool: Pool;
  keys: ChannelKeys;
  capacities: CapacityTable;
  codec: MessageCodec;
  counters: ChannelCounters;
  log: Logger;
  /** Redis time minus local time, in ms, as last measured. */
  clockOffsetMs(): number;
  /** Tells the loop that there is new work (a channel to look at or to watch). */
  nudge(): void;
  dropped(channel: string, reason: DropReason, count: number): void;
}

/**
 * The in-process side of receiving: pending receives per channel, popped messages not yet taken,
 * and delivery. The {@link ReceiveLoop} does the Redis side and hands messages in.
 */
export class Receiver {
  readonly registry: ChannelRegistry;
  /** Wanted general channels whose queue must be looked at. */
  readonly dirty = new Set<ChannelState>();
  /** Wanted general channels: their queues are watched by the blocking pop. */
  readonly generalWanted = new Set<ChannelState>();
  /** Bumped when a key must be added to the blocking pop. */
  addVersion = 0;
  pending = 0;
  private readonly releaser: CountReleaser;
  private readonly held: HeldMessages;

  constructor(private readonly ctx: ReceiverContext) {
    this.registry = new ChannelRegistry(ctx.keys, ctx.capacities, ctx.pool.isCluster);
    this.held = new HeldMessages({
      registry: this.registry,
      log: ctx.log,
      isExpired: (p) => this.isExpired(p),
      released: (state) => this.release(state.inbox!, state.local),
      dropped: ctx.dropped,
    });
    this.releaser = new CountReleaser(ctx.pool, ctx.log);
  }

  /** Waits for the next message of `channel` (already validated). */
  receive(channel: string, options: ReceiveOptions): Promise<ChannelMessage> {
    const state = this.registry.state(channel);
    const pending = this.takeBuffered(state);
    if (pending !== undefined)
      return new Promise((resolve, reject) => this.hand(state, { resolve, reject }, pending));
    const waiting = waitForMessage(
      channel,
      options,
      (waiter) => this.add(state, waiter),
      (waiter) => this.remove(state, waiter),
    );
    this.ctx.nudge();
    return waiting;
  }

  /** Messages held in memory for receives to come. */
  get buffered(): number {
    return this.held.count;
  }

  /** Whether the blocking pop must watch this inbox. */
  watched(inbox: TagInbox, now = Date.now()): boolean {
    return inbox.wanted > 0 || now - inbox.lastWantedAt < INBOX_LINGER_MS;
  }

  /**
   * Hands popped elements of a general channel to its waiters in order and returns those nobody
   * took. `redisNow`: the time the dequeue script judged expiry by; absent for a blocking pop.
   */
  deliverGeneral(state: ChannelState, elements: readonly Buffer[], redisNow?: number): Buffer[] {
    const leftovers: Buffer[] = [];
    for (const element of elements) {
      const pending = parseQueueElement(element);
      if (pending === null) {
        this.ctx.log.warn({ channel: state.name }, 'dropping a queue element this layer did not write');
        this.ctx.dropped(state.name, 'decode', 1);
        continue;
      }
      if (redisNow === undefined && this.isExpired(pending)) {
        this.ctx.dropped(state.name, 'expired', 1);
        continue;
      }
      const waiter = state.waiters.shift();
      if (waiter === undefined) {
        leftovers.push(element);
        continue;
      }
      this.settled(state);
      this.hand(state, waiter, pending);
    }
    return leftovers;
  }

  /** Hands inbox entries of a tag to the waiters of the channels they name; the rest waits in memory. */
  distribute(inbox: TagInbox, entries: readonly Buffer[], redisNow?: number): void {
    const now = redisNow ?? Date.now() + this.ctx.clockOffsetMs();
    for (const entry of entries) {
      const parsed = parseInboxEntry(entry);
      if (parsed === null) {
        this.ctx.log.warn({ inbox: inbox.key }, 'dropping an inbox entry this layer did not write');
        continue;
      }
      const { locals, pending } = parsed;
      for (const local of locals) {
        const name = inbox.tag + local;
        if (pending.expiresAt <= now) {
          this.release(inbox, local);
          this.ctx.dropped(name, 'expired', 1);
          continue;
        }
        const state = this.registry.state(name);
        const waiter = state.waiters.shift();
        if (waiter === undefined) {
          // The count hash keeps this within capacity; twice that means the counts were reset (flush).
          if (this.held.hold(state, [pending], state.capacity * 2) > 0) this.release(inbox, local);
          continue;
        }
        this.settled(state);
        this.hand(state, waiter, pending);
      }
    }
  }

  /** Puts general-channel elements nobody took back at the head of their queue; keeps them in memory if Redis refuses. */
  async requeue(state: ChannelState, elements: Buffer[]): Promise<void> {
    if (elements.length === 0) return;
    try {
      for (let i = 0; i < elements.length; i += REQUEUE_CHUNK) {
        await this.ctx.pool.runScript(SCRIPTS.requeue, [state.key], elements.slice(i, i + REQUEUE_CHUNK));
      }
      this.ctx.counters.requeued += elements.length;
    } catch (err) {
      this.ctx.log.warn(
        { err: (err as Error).message, channel: state.name, count: elements.length },
        'could not put messages back; keeping them in memory',
      );
      const held = elements.map(parseQueueElement).filter((p): p is Pending => p !== null);
      this.held.hold(state, held, state.capacity);
    }
    this.markDirty(state);
  }

  /** Marks a general channel as possibly holding messages in Redis. */
  markDirty(state: ChannelState): void {
    state.markDirty();
    if (state.waiters.length > 0) this.dirty.add(state);
  }

  /** After an error, nothing known about any queue can be trusted. */
  markAllDirty(): void {
    for (const state of this.generalWanted) this.markDirty(state);
    for (const inbox of this.registry.inboxes.values()) inbox.drain = true;
  }

  /** Rejects every pending receive (layer closing). */
  rejectAll(error: Error): void {
    for (const state of this.registry.states.values()) {
      const waiters = state.waiters.splice(0);
      if (waiters.length === 0) continue;
      this.pending -= waiters.length;
      this.unwanted(state);
      for (const w of waiters) w.reject(error);
    }
  }

  /**
   * Layer closing: puts general-channel messages held in memory back into Redis; messages of this
   * layer's own specific channels die with it (no other layer can receive them), counted as `closed`.
   */
  async returnBuffered(): Promise<void> {
    for (const [state, held] of this.held.takeAll()) {
      if (state.inbox !== null) this.ctx.dropped(state.name, 'closed', held.length);
      else
        await this.requeue(
          state,
          held.map((p) => p.element!),
        );
    }
    await this.releaser.idle();
  }

  /** Forgets messages held in memory (after flush deleted their keys). */
  clearBuffers(): void {
    this.held.clear();
    for (const inbox of this.registry.inboxes.values()) inbox.releases.clear();
  }

  private takeBuffered(state: ChannelState): Pending | undefined {
    return state.waiters.length > 0 ? undefined : this.held.take(state);
  }

  private hand(state: ChannelState, waiter: Waiter, pending: Pending): void {
    if (state.inbox !== null) this.release(state.inbox, state.local);
    let message: ChannelMessage;
    try {
      message = this.ctx.codec.decode(state.name, pending.envelope);
    } catch (err) {
      const reason = (err as { code?: string }).code === 'CHANNEL_ERR_DECRYPT' ? 'decrypt' : 'decode';
      this.ctx.log.warn({ channel: state.name, err: (err as Error).message }, 'message dropped');
      this.ctx.dropped(state.name, reason, 1);
      waiter.reject(err as Error);
      return;
    }
    this.ctx.counters.add(this.ctx.counters.delivered, state.label);
    waiter.resolve(message);
  }

  private release(inbox: TagInbox, local: string): void {
    inbox.releases.set(local, (inbox.releases.get(local) ?? 0) + 1);
    this.releaser.schedule(inbox);
  }

  private isExpired(pending: Pending): boolean {
    return pending.expiresAt <= Date.now() + this.ctx.clockOffsetMs();
  }

  private add(state: ChannelState, waiter: Waiter): void {
    state.waiters.push(waiter);
    this.pending++;
    if (state.waiters.length > 1) return;
    const inbox = state.inbox;
    if (inbox !== null) {
      if (!this.watched(inbox)) {
        inbox.drain = true;
        this.addVersion++;
      }
      inbox.wanted++;
    } else {
      state.markDirty();
      this.dirty.add(state);
      this.generalWanted.add(state);
      this.addVersion++;
    }
    this.registry.touch(state);
  }

  /** Removes a waiter that timed out or was aborted; false if it was already served. */
  private remove(state: ChannelState, waiter: Waiter): boolean {
    const at = state.waiters.indexOf(waiter);
    if (at < 0) return false;
    state.waiters.splice(at, 1);
    this.settled(state);
    return true;
  }

  /** One waiter left `state.waiters` (served, timed out or aborted). */
  private settled(state: ChannelState): void {
    this.pending--;
    if (state.waiters.length === 0) this.unwanted(state);
  }

  private unwanted(state: ChannelState): void {
    const inbox = state.inbox;
    if (inbox !== null) {
      if (--inbox.wanted === 0) inbox.lastWantedAt = Date.now();
    } else {
      this.dirty.delete(state);
      this.generalWanted.delete(state);
    }
  }
}
