/** What the pool is doing right now; see `pool.stats()`. */
export type PoolStatus = 'idle' | 'connected' | 'reconnecting' | 'closing' | 'closed';

/** A snapshot of a pool, as returned by `pool.stats()` and published in heartbeats. */
export interface PoolStats {
  name: string;
  status: PoolStatus;
  maxConnections: number;
  /** Connections open now: shared + exclusive + dedicated (subscribers, BullMQ). */
  open: number;
  /** Exclusive connections waiting to be leased. */
  idle: number;
  /** Exclusive connections on lease plus dedicated ones. */
  inUse: number;
  /** Callers waiting for an exclusive connection. */
  waiting: number;
  sharedLane: { connections: number; inFlight: number; queued: number };
  /** Subscriber and BullMQ connections. */
  dedicated: number;
  /** ISO time of the last command or lease, or null if none yet. */
  lastActivity: string | null;
  idleDisconnectMs: number;
  /** Milliseconds until idle disconnect if nothing happens; null when disabled or already idle. */
  msUntilIdleDisconnect: number | null;
  /** False after a failed health check or while Redis is unreachable. */
  healthy: boolean;
  connected: boolean;
  counters: {
    acquired: number;
    acquireTimeouts: number;
    commandTimeouts: number;
    reconnects: number;
    healthCheckFailures: number;
    idleDisconnects: number;
    leaseWarnings: number;
  };
}
