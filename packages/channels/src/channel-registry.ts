import type { CapacityTable } from './capacity.js';
import { ChannelState, TagInbox } from './channel-state.js';
import type { ChannelKeys } from './keys.js';
import { nonLocalName } from './names.js';
import { keySlot } from './slot.js';

/** Channels remembered after their last receive. */
const MAX_IDLE_STATES = 50_000;

/** The channels and inboxes a layer receives from, created on first use and evicted when idle. */
export class ChannelRegistry {
  readonly states = new Map<string, ChannelState>();
  readonly inboxes = new Map<string, TagInbox>();

  constructor(
    private readonly keys: ChannelKeys,
    private readonly capacities: CapacityTable,
    private readonly isCluster: boolean,
  ) {}

  /** The state of a channel, created on first use. */
  state(channel: string): ChannelState {
    let state = this.states.get(channel);
    if (state !== undefined) return state;
    const { capacity, label } = this.capacities.lookup(channel);
    const tag = nonLocalName(channel);
    if (tag === channel) {
      const key = this.keys.queue(channel);
      state = new ChannelState(channel, key, this.slot(key), null, '', capacity, label);
    } else {
      const inbox = this.inbox(tag);
      state = new ChannelState(
        channel,
        inbox.key,
        inbox.slot,
        inbox,
        channel.slice(tag.length),
        capacity,
        label,
      );
    }
    if (this.states.size >= MAX_IDLE_STATES) this.evictIdle();
    this.states.set(channel, state);
    return state;
  }

  /** Moves a channel to the end of the eviction order. */
  touch(state: ChannelState): void {
    this.states.delete(state.name);
    this.states.set(state.name, state);
  }

  private inbox(tag: string): TagInbox {
    let inbox = this.inboxes.get(tag);
    if (inbox === undefined) {
      const key = this.keys.inbox(tag);
      inbox = new TagInbox(tag, key, this.keys.count(tag), this.slot(key));
      this.inboxes.set(tag, inbox);
    }
    return inbox;
  }

  private slot(key: string): number {
    return this.isCluster ? keySlot(key) : 0;
  }

  /** Forgets idle channels (no waiter, nothing buffered), oldest first, down to 90% of the limit. */
  private evictIdle(): void {
    for (const [name, state] of this.states) {
      if (this.states.size < MAX_IDLE_STATES * 0.9) break;
      if (state.waiters.length === 0 && state.buffer.length === 0) this.states.delete(name);
    }
  }
}
