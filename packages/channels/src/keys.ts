import { nonLocalName } from './names.js';

/**
 * Every Redis key the layer uses, in one place. Each key carries a Cluster hash tag so that all
 * the keys one script touches share a slot:
 *
 * | key | type | content |
 * |---|---|---|
 * | `${prefix}:chan:{${channel}}` | list | a general channel's queue |
 * | `${prefix}:inbox:{${nonLocal}}` | list | messages for the process-specific channels of `nonLocal` (`a.b!`), each with the names it is for |
 * | `${prefix}:count:{${nonLocal}}` | hash | per specific channel, its messages not yet received (capacity) |
 * | `${prefix}:group:{${group}}` | sorted set | the tags with members in the group, scored by their latest join (ms) |
 * | `${prefix}:roster:{${tag}}:${group}` | sorted set | the group's members among the channels of `tag`: local name (`''` for a general channel) → join time (ms) |
 * | `${prefix}:kick:{${tag}}${loopId}` | list | wakes one layer's blocking receive (short TTL) |
 */
export class ChannelKeys {
  constructor(readonly prefix: string) {}

  /** The hash tag of a channel: its non-local name (the whole name for a general channel). */
  tag(channel: string): string {
    return nonLocalName(channel);
  }

  /** The queue of a general channel. */
  queue(channel: string): string {
    return `${this.prefix}:chan:{${channel}}`;
  }

  /** The inbox of the specific channels sharing `tag` (a non-local name ending in `!`). */
  inbox(tag: string): string {
    return `${this.prefix}:inbox:{${tag}}`;
  }

  /** The per-channel message counts of the specific channels sharing `tag`. */
  count(tag: string): string {
    return `${this.prefix}:count:{${tag}}`;
  }

  /** A group's membership. */
  group(group: string): string {
    return `${this.prefix}:group:{${group}}`;
  }

  /** The members of `group` among the channels of `tag`. */
  roster(tag: string, group: string): string {
    return `${this.prefix}:roster:{${tag}}:${group}`;
  }

  /** The kick list of one receive loop, in the slot of `tag`. */
  kick(tag: string, loopId: string): string {
    return `${this.prefix}:kick:{${tag}}${loopId}`;
  }

  /** SCAN pattern that matches every key of this prefix and nothing else. */
  pattern(): string {
    return `${this.prefix}:*`;
  }
}
