import type { PoolStats } from '@redpool/pool';
import type { FanoutMode } from '@redpool/realtime';
import type { ConnectionCounts } from './connections/connection-tracker.js';

/** Lifecycle of a ws-server: `draining` while clients are asked to reconnect elsewhere. */
export type WsServerStatus = 'idle' | 'starting' | 'running' | 'draining' | 'stopping' | 'stopped';

/** Events of a ws-server. */
export interface WsServerEvents {
  status: [WsServerStatus];
  /** `/readyz` flipped: Redis became unreachable (false) or reachable again (true). */
  readinessChanged: [boolean];
}

/** What `/drain` returns. */
export interface DrainStatus {
  draining: boolean;
  /** Live connections by type. */
  active: ConnectionCounts;
  /** Seconds before the connections left are closed; null when not draining. */
  graceSecondsRemaining: number | null;
  /** The grace period a drain gets (`WS_DRAIN_GRACE_SECONDS`). */
  gracePeriodSeconds: number;
  /** When the drain started (ISO time), or null. */
  startedAt: string | null;
}

/** What `/stats` returns. */
export interface WsStats {
  instance: string;
  status: WsServerStatus;
  ready: boolean;
  fanout: FanoutMode | null;
  uptimeSeconds: number;
  /** Live connections: Engine.IO sessions by transport (`total` = websocket + polling) and HTTP requests in flight. */
  connections: { total: number } & ConnectionCounts;
  subscriptions: number;
  channels: number;
  drain: DrainStatus;
  pools: PoolStats[];
}
