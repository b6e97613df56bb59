import type { ChannelRule, HistoryResult, Publication, Publisher } from '@redpool/realtime';
import type { Logger } from 'pino';
import type { Connection } from '../connections/connection.js';
import type { ResetEvent } from '../connections/protocol.js';
import type { WsMetrics } from '../metrics/metrics.js';
import type { Delivery } from './delivery.js';

/**
 * One connection's subscription to one channel. Until its subscribe request is answered
 * (`pending` is set) messages are buffered; afterwards only messages after `offset` of `epoch`
 * are delivered, so a client sees every message once, in order, after its subscribe ack.
 */
export class Subscription {
  pending: Delivery[] | null = [];
  epoch = '';
  offset = 0;
  removed = false;

  constructor(
    readonly connection: Connection<Subscription>,
    readonly local: LocalChannel,
  ) {}

  get channel(): string {
    return this.local.name;
  }
}

/** A channel with subscribers on this instance, and the last offset this instance delivered. */
export class LocalChannel {
  readonly subscriptions = new Set<Subscription>();
  epoch: string | null = null;
  offset = 0;
  repairing = false;
  backlog: Delivery[] = [];

  constructor(
    readonly name: string,
    readonly rule: ChannelRule,
  ) {}
}

/**
 * Delivers channel messages to this instance's subscribers. Pub/sub is at-most-once (a message
 * published while this instance's subscriber connection was reconnecting never arrives), so the
 * hub tracks each channel's offset: a gap is repaired from the history before later messages are
 * delivered, and if the history no longer has the missing messages (or the channel's epoch
 * changed) every subscriber gets a `reset` event instead of a silent gap.
 */
export class ChannelHub {
  private readonly channels = new Map<string, LocalChannel>();

  constructor(
    private readonly deps: {
      publisher: Publisher;
      metrics: WsMetrics;
      log: Logger;
      /** Most messages one recovery returns (0: the channel capacity). */
      recoveryMaxMessages: number;
    },
  ) {}

  /** Local channels (with subscribers here). */
  get size(): number {
    return this.channels.size;
  }

  /** Subscriptions over all local channels. */
  get subscriptionCount(): number {
    let n = 0;
    for (const channel of this.channels.values()) n += channel.subscriptions.size;
    return n;
  }

  /** Most messages a recovery of `rule`'s channels returns. */
  recoveryLimit(rule: ChannelRule): number {
    const max = this.deps.recoveryMaxMessages;
    return max > 0 ? Math.min(max, rule.capacity) : rule.capacity;
  }

  /** Registers a (pending) subscription. */
  add(connection: Connection<Subscription>, channel: string): Subscription {
    let local = this.channels.get(channel);
    if (!local) {
      local = new LocalChannel(channel, this.deps.publisher.options.channels.match(channel));
      this.channels.set(channel, local);
    }
    const subscription = new Subscription(connection, local);
    local.subscriptions.add(subscription);
    connection.subscriptions.set(channel, subscription);
    return subscription;
  }

  /** Removes a subscription; returns true when it was the channel's last one here. */
  remove(subscription: Subscription): boolean {
    if (subscription.removed) return false;
    subscription.removed = true;
    subscription.pending = null;
    const local = subscription.local;
    local.subscriptions.delete(subscription);
    if (subscription.connection.subscriptions.get(local.name) === subscription)
      subscription.connection.subscriptions.delete(local.name);
    if (local.subscriptions.size > 0) return false;
    if (this.channels.get(local.name) === local) this.channels.delete(local.name);
    return true;
  }

  /**
   * Starts delivering to a subscription once its subscribe ack (built from `position`) was sent:
   * messages buffered meanwhile follow, without the ones the ack already contained.
   */
  activate(subscription: Subscription, position: HistoryResult): void {
    if (subscription.removed) return;
    const local = subscription.local;
    subscription.epoch = position.epoch;
    subscription.offset = position.offset;
    const buffered = subscription.pending ?? [];
    if (local.epoch === null) {
      // The first subscription tells this instance where the channel is; messages that arrived
      // meanwhile (buffered) move it on.
      local.epoch = position.epoch;
      local.offset = position.offset;
      for (const { pub } of buffered)
        if (pub.epoch === local.epoch && pub.offset === local.offset + 1) local.offset = pub.offset;
    }
    subscription.pending = null;
    let delivered = 0;
    for (const delivery of buffered) if (this.deliver(subscription, delivery)) delivered++;
    this.deps.metrics.delivered(local.rule.pattern, delivered);
  }

  /** A message from the adapter (or the history, during a repair). */
  onMessage(delivery: Delivery): void {
    const local = this.channels.get(delivery.pub.channel);
    if (!local) return;
    this.deps.metrics.observeLatency(local.rule.pattern, (Date.now() - delivery.pub.ts) / 1000);
    if (local.repairing) local.backlog.push(delivery);
    else this.process(local, delivery);
  }

  /**
   * Checks every local channel against its stream's top offset and repairs the ones that fell
   * behind: run after the subscriber connection was re-established (messages published meanwhile
   * were never received).
   */
  async resyncAll(): Promise<void> {
    const channels = [...this.channels.values()];
    const CONCURRENCY = 32;
    let next = 0;
    const worker = async () => {
      while (next < channels.length) {
        const local = channels[next++]!;
        if (local.repairing || local.epoch === null || this.channels.get(local.name) !== local) continue;
        try {
          const position = await this.deps.publisher.position(local.name);
          if (position.epoch !== local.epoch || position.offset > local.offset) {
            this.startRepair(local, undefined);
          }
        } catch {
          return; // Redis is gone again; the next reconnect resyncs
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, channels.length) }, worker));
  }

  private process(local: LocalChannel, delivery: Delivery): void {
    const pub = delivery.pub;
    if (local.epoch !== null) {
      if (pub.epoch === local.epoch && pub.offset <= local.offset) return; // already delivered
      if (pub.epoch !== local.epoch || pub.offset !== local.offset + 1) {
        this.startRepair(local, delivery);
        return;
      }
      local.offset = pub.offset;
    }
    let delivered = 0;
    for (const subscription of local.subscriptions) if (this.deliver(subscription, delivery)) delivered++;
    this.deps.metrics.delivered(local.rule.pattern, delivered);
  }

  private deliver(subscription: Subscription, delivery: Delivery): boolean {
    // A connection being closed (drain, slow consumer) recovers on reconnect: nothing to track.
    if (subscription.connection.closing) return false;
    if (subscription.pending) {
      subscription.pending.push(delivery);
      return false;
    }
    const pub = delivery.pub;
    const local = subscription.local;
    if (local.epoch !== null && pub.epoch !== local.epoch) return false; // stale epoch
    if (pub.epoch !== subscription.epoch || pub.offset > subscription.offset + 1) {
      if (pub.epoch === subscription.epoch && pub.offset <= subscription.offset) return false;
      // Cannot happen with the ordering above; if it ever does, say so rather than skip silently.
      this.deps.metrics.gap('reset');
      this.deps.log.warn(
        { channel: pub.channel, from: subscription.offset, to: pub.offset },
        'subscriber gap; sending reset',
      );
      subscription.connection.reset(resetEvent(pub.channel, pub.epoch, pub.offset - 1, 'trimmed'));
      subscription.epoch = pub.epoch;
      subscription.offset = pub.offset - 1;
    }
    if (pub.offset <= subscription.offset) return false;
    if (!subscription.connection.deliver(delivery)) return false;
    subscription.offset = pub.offset;
    return true;
  }

  /** Fetches the messages this instance missed, then delivers them and the backlog in order. */
  private startRepair(local: LocalChannel, first: Delivery | undefined): void {
    local.repairing = true;
    if (first) local.backlog.push(first);
    void this.repair(local, first).catch((err: unknown) => {
      local.repairing = false;
      this.deps.log.error({ err, channel: local.name }, 'gap repair failed');
    });
  }

  private async repair(local: LocalChannel, first: Delivery | undefined): Promise<void> {
    const limit = this.recoveryLimit(local.rule);
    let result: HistoryResult | undefined;
    let restarted = false;
    try {
      result = await this.deps.publisher.recover(local.name, {
        epoch: local.epoch ?? '',
        offset: local.offset,
        limit,
      });
      if (result.status === 'epoch') {
        // The stream restarted (its history was lost, e.g. Redis restarted without persistence):
        // after a reset, subscribers get the new epoch from its start.
        const fresh = await this.deps.publisher.recover(local.name, {
          epoch: result.epoch,
          offset: 0,
          limit,
        });
        if (fresh.recovered) {
          result = fresh;
          restarted = true;
        }
      }
    } catch {
      result = undefined;
    }
    this.finishRepair(local, result, first, restarted);
  }

  private finishRepair(
    local: LocalChannel,
    result: HistoryResult | undefined,
    first: Delivery | undefined,
    restarted: boolean,
  ): void {
    if (result && restarted) {
      this.deps.metrics.gap('reset');
      this.resetSubscribers(local, result.epoch, 0, 'epoch');
    }
    if (result?.recovered) {
      if (!restarted) this.deps.metrics.gap('repaired');
      this.deps.log.debug(
        { channel: local.name, from: local.offset, to: result.offset },
        'repaired a fan-out gap from the history',
      );
      for (const pub of result.publications) {
        if (pub.offset <= local.offset) continue;
        local.offset = pub.offset;
        const delivery = historyDelivery(pub);
        let delivered = 0;
        for (const subscription of local.subscriptions) if (this.deliver(subscription, delivery)) delivered++;
        this.deps.metrics.delivered(local.rule.pattern, delivered);
      }
    } else {
      this.deps.metrics.gap('reset');
      const epoch = result?.epoch ?? first?.pub.epoch ?? local.epoch ?? '';
      const offset = result?.offset ?? (first ? first.pub.offset - 1 : local.offset);
      const reason = result ? (result.status as ResetEvent['reason']) : 'unavailable';
      this.resetSubscribers(local, epoch, offset, reason);
    }
    local.repairing = false;
    const backlog = local.backlog;
    local.backlog = [];
    for (const delivery of backlog) {
      if (local.repairing) local.backlog.push(delivery);
      else this.process(local, delivery);
    }
  }

  /** Tells every active subscriber that messages before `offset` of `epoch` cannot be delivered. */
  private resetSubscribers(
    local: LocalChannel,
    epoch: string,
    offset: number,
    reason: ResetEvent['reason'],
  ): void {
    this.deps.log.warn(
      { channel: local.name, epoch, from: local.offset, to: offset, reason },
      'fan-out gap cannot be repaired; sending reset',
    );
    for (const subscription of local.subscriptions) {
      if (subscription.pending) continue; // its subscribe ack brings the new position
      if (subscription.epoch === epoch && subscription.offset >= offset) continue;
      subscription.connection.reset(resetEvent(local.name, epoch, offset, reason));
      subscription.epoch = epoch;
      subscription.offset = offset;
    }
    local.epoch = epoch;
    local.offset = offset;
  }
}

/** A history message as a delivery (written with `socket.emit`). */
export function historyDelivery(pub: Publication): Delivery {
  return { pub, bytes: JSON.stringify(pub).length + 16 };
}

function resetEvent(
  channel: string,
  epoch: string,
  offset: number,
  reason: ResetEvent['reason'],
): ResetEvent {
  return { channel, epoch, offset, recovered: false, reason };
}
