import type { ChannelMessage } from './message-codec.js';

/** A pending `receive()`. */
export interface Waiter {
  resolve(message: ChannelMessage): void;
  reject(error: Error): void;
}

/** A popped message waiting in process memory for a receive. */
export interface Pending {
  /** Expiry, epoch ms on the Redis clock. */
  expiresAt: number;
  /** The envelope to decode (shared by all the channels of one inbox entry). */
  envelope: Buffer;
  /** A general channel's stored element, to put back into its queue; null for specific channels. */
  element: Buffer | null;
}

/**
 * The inbox of the process-specific channels of one non-local name (`a.b!`, this layer's): one
 * list, watched by one blocking pop, plus the count hash that holds each channel's capacity use.
 */
export class TagInbox {
  /** Channels of this tag with at least one waiter. */
  wanted = 0;
  /** When the last waiter of this tag left (the inbox stays watched a while after). */
  lastWantedAt = 0;
  /** The inbox may hold entries the loop has not read yet: pop it on the next turn. */
  drain = true;
  /** Count releases not yet written to the count hash: local name → messages. */
  readonly releases = new Map<string, number>();
  releasing = false;

  constructor(
    readonly tag: string,
    readonly key: string,
    readonly countKey: string,
    readonly slot: number,
  ) {}
}

/** What this process knows about one channel it receives from. */
export class ChannelState {
  /** Pending receives, oldest first. */
  readonly waiters: Waiter[] = [];
  /**
   * Popped messages no receive has taken yet, oldest first. For a specific channel this is its
   * queue once the inbox entry is read (bounded by its capacity, counted in Redis until received);
   * for a general channel it only holds messages Redis refused to take back.
   */
  readonly buffer: Pending[] = [];
  /** General channel: the queue may hold messages the loop has not looked at. */
  dirty = true;
  /** Bumped whenever `dirty` is set, so a late pop reply cannot clear a newer mark. */
  epoch = 0;

  constructor(
    readonly name: string,
    /** The queue key of a general channel; the inbox key of a specific one. */
    readonly key: string,
    readonly slot: number,
    /** The inbox of a specific channel; null for a general channel. */
    readonly inbox: TagInbox | null,
    /** The part after `!` of a specific channel. */
    readonly local: string,
    readonly capacity: number,
    /** The `pattern` label of metrics. */
    readonly label: string,
  ) {}

  markDirty(): void {
    this.dirty = true;
    this.epoch++;
  }
}

/**
 * Appends to a FIFO of at most `capacity` items without dropping what it holds: returns what did
 * not fit, for the caller to put back into Redis or to count. (channels_redis' BoundedQueue drops
 * the oldest instead.)
 */
export function pushBounded<T>(queue: T[], items: readonly T[], capacity: number): T[] {
  const room = Math.max(0, capacity - queue.length);
  if (items.length <= room) {
    queue.push(...items);
    return [];
  }
  queue.push(...items.slice(0, room));
  return items.slice(room);
}
