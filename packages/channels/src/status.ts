import type { ChannelCountersSnapshot, DropReason } from './instruments.js';

/**
 * State of a layer: `open` (usable), `closing` (pending receives rejected, loop stopping,
 * popped-but-unclaimed messages being put back), `closed`.
 */
export type ChannelLayerStatus = 'open' | 'closing' | 'closed';

/** Payload of `messageDropped`. */
export interface MessageDroppedEvent {
  channel: string;
  reason: DropReason;
  count: number;
}

/**
 * Events of a channel layer. It never emits `error`: failures reach the caller of the method, and
 * receive-loop errors (it retries) are reported as `receiveFailed`.
 */
export interface ChannelLayerEvents {
  status: [ChannelLayerStatus];
  closed: [];
  /** The receive loop hit a Redis error; pending receives keep waiting and it retries with backoff. */
  receiveFailed: [Error];
  /** Messages that will never be delivered: expired, undecryptable, undecodable, or lost. */
  messageDropped: [MessageDroppedEvent];
}

/** A snapshot of a layer's activity. */
export interface ChannelLayerStats {
  status: ChannelLayerStatus;
  /** `receive()` calls waiting. */
  pendingReceives: number;
  /** Channels with at least one waiting `receive()`. */
  receivingChannels: number;
  /** Popped messages kept in memory because Redis refused them back. */
  bufferedMessages: number;
  counters: ChannelCountersSnapshot;
}

/** Options of `close()`. */
export interface ChannelLayerCloseOptions {
  /** How long the receive loop may take to stop and to put popped messages back. @defaultValue 5000 */
  timeoutMs?: number;
}
