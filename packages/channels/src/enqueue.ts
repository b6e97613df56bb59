import type { Pool } from '@redpool/pool';
import type { ChannelKeys } from './keys.js';
import { SCRIPTS } from './scripts.js';

/** The specific channels of one tag in a batch. */
interface TagPart {
  inbox: string;
  count: string;
  channels: string[];
  locals: string[];
  capacities: number[];
}

/**
 * The arguments of one enqueue script call (`send`): channels sharing a slot. A general channel
 * gets its own queue element; the specific channels of one tag share one inbox entry.
 */
export class EnqueueBatch {
  readonly general: string[] = [];
  private readonly queues: string[] = [];
  private readonly capacities: number[] = [];
  private readonly tags = new Map<string, TagPart>();
  size = 0;

  /** Adds a channel; `bang` is the index of its `!` (-1 for a general channel). */
  add(keys: ChannelKeys, channel: string, bang: number, capacity: number): void {
    this.size++;
    if (bang < 0) {
      this.general.push(channel);
      this.queues.push(keys.queue(channel));
      this.capacities.push(capacity);
      return;
    }
    const tag = channel.slice(0, bang + 1);
    let part = this.tags.get(tag);
    if (part === undefined) {
      part = { inbox: keys.inbox(tag), count: keys.count(tag), channels: [], locals: [], capacities: [] };
      this.tags.set(tag, part);
    }
    part.channels.push(channel);
    part.locals.push(channel.slice(bang + 1));
    part.capacities.push(capacity);
  }

  /** Runs the enqueue script; resolves with the channels that were full. */
  async run(pool: Pool, envelope: Buffer, expiryMs: number): Promise<string[]> {
    const keys = [...this.queues];
    const args: Array<string | number | Buffer> = [
      envelope,
      expiryMs,
      this.queues.length,
      this.tags.size,
      ...this.capacities,
    ];
    const order = [...this.general];
    for (const part of this.tags.values()) {
      keys.push(part.inbox, part.count);
      args.push(part.locals.length, ...part.locals, ...part.capacities);
      order.push(...part.channels);
    }
    const reply = await pool.runScript<number[]>(SCRIPTS.enqueue, keys, args);
    const full: string[] = [];
    for (let i = 1; i < reply.length; i++) full.push(order[Number(reply[i]) - 1]!);
    return full;
  }
}
