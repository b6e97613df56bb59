import { EventEmitter } from 'node:events';
import type { Pool } from '@redpool/pool';
import { type Logger, pino } from 'pino';
import { CapacityTable } from './capacity.js';
import { EnqueueBatch } from './enqueue.js';
import {
  ChannelFullError,
  ChannelLayerClosedError,
  ChannelNotLocalError,
  ChannelReceiveAbortedError,
  InvalidOptionError,
} from './errors.js';
import { unlinkMatching } from './flush.js';
import { type GroupSendContext, type GroupSendResult, sendToGroup } from './group-send.js';
import { ChannelCounters, type DropReason } from './instruments.js';
import { ChannelKeys } from './keys.js';
import { type ChannelMessage, MessageCodec } from './message-codec.js';
import {
  assertChannelName,
  assertGroupName,
  isOwnChannel,
  makeChannelName,
  newClientPrefix,
  nonLocalName,
} from './names.js';
import { type ChannelLayerOptions, type ResolvedChannelLayerOptions, resolveOptions } from './options.js';
import { ReceiveLoop } from './receive-loop.js';
import { Receiver } from './receiver.js';
import { SCRIPTS } from './scripts.js';
import type {
  ChannelLayerCloseOptions,
  ChannelLayerEvents,
  ChannelLayerStats,
  ChannelLayerStatus,
} from './status.js';
import type { ReceiveOptions } from './waiter.js';

/**
 * A channel layer on a `@redpool/pool`: bounded per-channel queues with message expiry, groups,
 * optional encryption, and receives multiplexed over one blocking connection.
 * @example
 * const layer = createChannelLayer(pool, { capacity: 100, channelCapacity: { 'chat.*': 2000 } });
 * const me = layer.newChannel();
 * await layer.groupAdd('room-42', me);
 * await layer.groupSend('room-42', { type: 'chat.message', text: 'hi' });
 * const message = await layer.receive(me, { timeoutMs: 5000 });
 */
export class ChannelLayer extends EventEmitter<ChannelLayerEvents> {
  readonly options: Readonly<ResolvedChannelLayerOptions>;
  /** Random per layer; ends the non-local part of the names `newChannel()` makes. */
  readonly clientPrefix = newClientPrefix();
  /** Cumulative counters; `registerChannelMetrics` reads them. */
  readonly counters = new ChannelCounters();
  /** Builds every Redis key of this layer (README, "Data layout"). */
  readonly keys: ChannelKeys;
  private readonly log: Logger;
  private readonly capacities: CapacityTable;
  private readonly codec: MessageCodec;
  private readonly receiver: Receiver;
  private readonly loop: ReceiveLoop;
  private readonly groupContext: GroupSendContext;
  private currentStatus: ChannelLayerStatus = 'open';
  private closing: Promise<void> | null = null;

  constructor(
    readonly pool: Pool,
    options: ChannelLayerOptions = {},
  ) {
    super();
    if (pool === null || typeof pool !== 'object' || typeof pool.runScript !== 'function') {
      throw new InvalidOptionError('pool', pool, 'a Pool from @redpool/pool createPool()');
    }
    this.options = resolveOptions(options);
    const o = this.options;
    this.log = (o.logger ?? pino({ level: 'warn', name: 'redpool-channels' })).child({
      channelLayer: o.prefix,
    });
    this.keys = new ChannelKeys(o.prefix);
    this.capacities = new CapacityTable(o.capacityRules, o.capacity);
    this.codec = new MessageCodec(o);
    this.groupContext = {
      pool,
      keys: this.keys,
      capacities: this.capacities,
      expiryMs: o.expirySeconds * 1000,
      groupExpiryMs: o.groupExpirySeconds * 1000,
    };
    this.receiver = new Receiver({
      pool,
      keys: this.keys,
      capacities: this.capacities,
      codec: this.codec,
      counters: this.counters,
      log: this.log,
      clockOffsetMs: () => this.loop.clockOffsetMs,
      nudge: () => this.loop.nudge(),
      dropped: (channel, reason, count) => this.dropped(channel, reason, count),
    });
    this.loop = new ReceiveLoop(
      pool,
      this.receiver,
      this.keys,
      this.counters,
      this.log,
      { blockMs: o.receiveBlockMs, clusterPollIntervalMs: o.clusterPollIntervalMs },
      (err) => this.emit('receiveFailed', err),
      (channel, count) => this.dropped(channel, 'expired', count),
    );
  }

  /** `open`, `closing` or `closed`. */
  get status(): ChannelLayerStatus {
    return this.currentStatus;
  }

  /**
   * Stores `message` in `channel`'s queue. Rejects with `ChannelFullError` when the channel holds
   * its capacity of unexpired messages (checked and added atomically), and with the pool's error
   * when Redis cannot be reached: a send that resolved was stored.
   */
  async send(channel: string, message: ChannelMessage): Promise<void> {
    this.assertOpen();
    assertChannelName(channel);
    const envelope = this.codec.encode(message);
    const { capacity, label } = this.capacities.lookup(channel);
    const batch = new EnqueueBatch();
    batch.add(this.keys, channel, channel.indexOf('!'), capacity);
    const full = await batch.run(this.pool, envelope, this.groupContext.expiryMs);
    if (full.length > 0) {
      this.counters.addFull('send', label);
      throw new ChannelFullError(channel, capacity);
    }
    this.counters.add(this.counters.sent, label);
  }

  /**
   * The next message of `channel`, oldest first. Pending receives of all channels share one
   * blocking connection. A receive that times out or is aborted takes no message: one already
   * popped for it goes back to the head of its queue (general channel) or waits in this layer
   * for the next receive (process-specific channel).
   */
  receive<T extends ChannelMessage = ChannelMessage>(
    channel: string,
    options: ReceiveOptions = {},
  ): Promise<T> {
    try {
      this.assertOpen();
      assertChannelName(channel);
      if (channel.includes('!') && !isOwnChannel(channel, this.clientPrefix)) {
        throw new ChannelNotLocalError(channel, this.clientPrefix);
      }
      const { timeoutMs, signal } = options;
      if (
        timeoutMs !== undefined &&
        (!Number.isInteger(timeoutMs) || timeoutMs < 0 || timeoutMs > 2_147_483_647)
      ) {
        throw new InvalidOptionError('timeoutMs', timeoutMs, 'an integer from 0 to 2147483647');
      }
      if (signal?.aborted) throw new ChannelReceiveAbortedError(channel, signal.reason);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.receiver.receive(channel, options) as Promise<T>;
  }

  /** A new process-specific channel name, `${prefix}.${clientPrefix}!${random}`; only this layer receives it. */
  newChannel(prefix = 'specific'): string {
    this.assertOpen();
    return makeChannelName(prefix, this.clientPrefix);
  }

  /**
   * Adds `channel` to `group` (or refreshes its membership) for `groupExpirySeconds`: its local
   * name goes into the roster of its tag in the group, and the tag into the group.
   */
  async groupAdd(group: string, channel: string): Promise<void> {
    this.assertOpen();
    assertGroupName(group);
    assertChannelName(channel);
    const tag = nonLocalName(channel);
    const expiryMs = this.groupContext.groupExpiryMs;
    await Promise.all([
      this.pool.runScript(
        SCRIPTS.groupAdd,
        [this.keys.roster(tag, group)],
        [channel.slice(tag.length), expiryMs],
      ),
      this.pool.runScript(SCRIPTS.groupAdd, [this.keys.group(group)], [tag, expiryMs]),
    ]);
  }

  /** Removes `channel` from `group`; nothing happens if it is not a member. */
  async groupDiscard(group: string, channel: string): Promise<void> {
    this.assertOpen();
    assertGroupName(group);
    assertChannelName(channel);
    const tag = nonLocalName(channel);
    await this.pool.call('ZREM', this.keys.roster(tag, group), channel.slice(tag.length));
  }

  /**
   * Stores `message` for every current member of `group`. Full members do not get it: they are
   * returned in `full`, counted and logged, never dropped silently. Members older than
   * `groupExpirySeconds` are removed first.
   */
  async groupSend(group: string, message: ChannelMessage): Promise<GroupSendResult> {
    this.assertOpen();
    assertGroupName(group);
    const envelope = this.codec.encode(message);
    const { delivered, full, deliveredByTag } = await sendToGroup(this.groupContext, group, envelope);
    this.counters.groupSends++;
    for (const [tag, n] of deliveredByTag)
      this.counters.add(this.counters.sent, this.capacities.lookup(tag).label, n);
    for (const channel of full) this.counters.addFull('group_send', this.capacities.lookup(channel).label);
    if (full.length > 0) {
      this.log.info(
        { group, full },
        `${full.length} of ${delivered + full.length} channels over capacity in group ${group}`,
      );
    }
    return { delivered, full };
  }

  /** Deletes every key of this layer's prefix (found with SCAN, never KEYS). The layer stays usable. */
  async flush(): Promise<void> {
    this.assertOpen();
    await unlinkMatching(this.pool, this.keys.pattern());
    this.receiver.clearBuffers();
  }

  /**
   * Rejects pending receives with `ChannelLayerClosedError`, stops the receive loop (its blocking
   * pop is interrupted, the connection goes back to the pool), and puts popped-but-unclaimed
   * messages back into Redis. The pool stays open: it is the caller's.
   */
  close(options: ChannelLayerCloseOptions = {}): Promise<void> {
    if (this.closing !== null) return this.closing;
    const timeoutMs = options.timeoutMs ?? 5_000;
    this.setStatus('closing');
    this.receiver.rejectAll(new ChannelLayerClosedError(this.options.prefix));
    this.closing = (async () => {
      await this.loop.stop(timeoutMs);
      await this.receiver.returnBuffered();
      this.setStatus('closed');
      this.emit('closed');
    })();
    return this.closing;
  }

  /** Like `close()`, at once: the blocking connection is destroyed and nothing is put back. */
  async destroy(): Promise<void> {
    if (this.currentStatus === 'closed') return;
    if (this.currentStatus === 'open') this.setStatus('closing');
    this.receiver.rejectAll(new ChannelLayerClosedError(this.options.prefix));
    this.closing ??= this.loop.destroy().then(() => {
      this.setStatus('closed');
      this.emit('closed');
    });
    await this.closing;
  }

  /** Activity and counters. */
  stats(): ChannelLayerStats {
    let receiving = 0;
    for (const state of this.receiver.registry.states.values()) if (state.waiters.length > 0) receiving++;
    return {
      status: this.currentStatus,
      pendingReceives: this.receiver.pending,
      receivingChannels: receiving,
      bufferedMessages: this.receiver.buffered,
      counters: this.counters.snapshot(),
    };
  }

  private dropped(channel: string, reason: DropReason, count: number): void {
    this.counters.dropped[reason] += count;
    this.emit('messageDropped', { channel, reason, count });
  }

  private setStatus(next: ChannelLayerStatus): void {
    const previous = this.currentStatus;
    if (previous === next) return;
    this.currentStatus = next;
    this.log.debug({ from: previous, to: next }, 'status');
    process.nextTick(() => this.emit('status', next));
  }

  private assertOpen(): void {
    if (this.currentStatus !== 'open') throw new ChannelLayerClosedError(this.options.prefix);
  }
}

/**
 * Creates a channel layer on `pool` (which it never closes). Options are validated now; a bad
 * one throws `InvalidOptionError` naming the field, the value and what is allowed.
 */
export function createChannelLayer(pool: Pool, options: ChannelLayerOptions = {}): ChannelLayer {
  return new ChannelLayer(pool, options);
}
