/** Why a message was dropped without being delivered. */
export type DropReason = 'expired' | 'decrypt' | 'decode' | 'lost' | 'closed';

/** Cumulative counters of one layer; they only grow. Read by `registerChannelMetrics` and `stats()`. */
export class ChannelCounters {
  /** Messages stored by `send` or for a `groupSend` member, by capacity pattern. */
  readonly sent = new Map<string, number>();
  /** Messages handed to a `receive()`, by capacity pattern. */
  readonly delivered = new Map<string, number>();
  /** Refused because the channel was full, by `${operation}\u0000${pattern}`. */
  readonly full = new Map<string, number>();
  readonly dropped: Record<DropReason, number> = { expired: 0, decrypt: 0, decode: 0, lost: 0, closed: 0 };
  groupSends = 0;
  /** Popped messages put back at the head of their queue because their receiver went away. */
  requeued = 0;
  /** Errors of the receive loop (it retries with backoff). */
  receiveErrors = 0;
  /** Times the blocking pop was interrupted to watch a new channel. */
  kicks = 0;

  add(map: Map<string, number>, label: string, n = 1): void {
    map.set(label, (map.get(label) ?? 0) + n);
  }

  addFull(operation: 'send' | 'group_send', label: string, n = 1): void {
    this.add(this.full, `${operation}\u0000${label}`, n);
  }

  /** A plain snapshot. */
  snapshot(): ChannelCountersSnapshot {
    const total = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
    return {
      sent: total(this.sent),
      delivered: total(this.delivered),
      full: total(this.full),
      dropped: { ...this.dropped },
      groupSends: this.groupSends,
      requeued: this.requeued,
      receiveErrors: this.receiveErrors,
      kicks: this.kicks,
    };
  }
}

/** Totals of {@link ChannelCounters}. */
export interface ChannelCountersSnapshot {
  sent: number;
  delivered: number;
  full: number;
  dropped: Record<DropReason, number>;
  groupSends: number;
  requeued: number;
  receiveErrors: number;
  kicks: number;
}
