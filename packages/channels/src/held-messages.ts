import type { Logger } from 'pino';
import type { ChannelRegistry } from './channel-registry.js';
import { type ChannelState, type Pending, pushBounded } from './channel-state.js';
import type { DropReason } from './instruments.js';

const SWEEP_INTERVAL_MS = 1_000;

/** What {@link HeldMessages} needs from the receiver. */
export interface HeldMessagesContext {
  registry: ChannelRegistry;
  log: Logger;
  isExpired(pending: Pending): boolean;
  /** A specific channel's message left the layer: release its count in Redis. */
  released(state: ChannelState): void;
  dropped(channel: string, reason: DropReason, count: number): void;
}

/**
 * Popped messages that wait in process memory for a receive: a specific channel's messages once
 * its inbox entry was read (bounded by the channel's capacity, which counts them in Redis until
 * they are received), and a general channel's messages that Redis refused to take back. Expired
 * ones are dropped by a sweep every second, so buffers never outlive their messages.
 */
export class HeldMessages {
  /** Messages held, all channels together. */
  count = 0;
  private sweepTimer: NodeJS.Timeout | undefined;

  constructor(private readonly ctx: HeldMessagesContext) {}

  /** Holds messages for `state`, at most `limit` in all; returns how many did not fit (counted as lost). */
  hold(state: ChannelState, pending: readonly Pending[], limit: number): number {
    const before = state.buffer.length;
    const lost = pushBounded(state.buffer, pending, limit);
    this.count += state.buffer.length - before;
    if (lost.length > 0) {
      this.ctx.log.error({ channel: state.name, count: lost.length }, 'receive buffer full: messages lost');
      this.ctx.dropped(state.name, 'lost', lost.length);
    }
    this.scheduleSweep();
    return lost.length;
  }

  /** The oldest unexpired message held for `state`, dropping expired ones on the way. */
  take(state: ChannelState): Pending | undefined {
    while (state.buffer.length > 0) {
      const pending = state.buffer.shift()!;
      this.count--;
      if (!this.ctx.isExpired(pending)) return pending;
      this.expired(state);
    }
    return undefined;
  }

  /** Takes everything held (layer closing), by channel. */
  takeAll(): Array<[ChannelState, Pending[]]> {
    clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
    const all: Array<[ChannelState, Pending[]]> = [];
    for (const state of this.ctx.registry.states.values()) {
      if (state.buffer.length > 0) all.push([state, state.buffer.splice(0)]);
    }
    this.count = 0;
    return all;
  }

  /** Forgets everything held (after flush deleted the keys). */
  clear(): void {
    for (const state of this.ctx.registry.states.values()) state.buffer.length = 0;
    this.count = 0;
  }

  private expired(state: ChannelState): void {
    if (state.inbox !== null) this.ctx.released(state);
    this.ctx.dropped(state.name, 'expired', 1);
  }

  private scheduleSweep(): void {
    if (this.sweepTimer !== undefined || this.count === 0) return;
    this.sweepTimer = setInterval(() => this.sweep(), SWEEP_INTERVAL_MS);
    this.sweepTimer.unref();
  }

  private sweep(): void {
    for (const state of this.ctx.registry.states.values()) {
      while (state.buffer.length > 0 && this.ctx.isExpired(state.buffer[0]!)) {
        state.buffer.shift();
        this.count--;
        this.expired(state);
      }
    }
    if (this.count === 0) {
      clearInterval(this.sweepTimer);
      this.sweepTimer = undefined;
    }
  }
}
