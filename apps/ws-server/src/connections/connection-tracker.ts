import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';

/** Live connections by type. */
export interface ConnectionCounts {
  /** Engine.IO sessions whose current transport is a WebSocket. */
  websocket: number;
  /** Engine.IO sessions on HTTP long-polling (including those about to upgrade). */
  polling: number;
  /** Plain HTTP requests to the endpoints (`/metrics`, `/stats`, the page…) being answered. */
  http: number;
}

/** The Engine.IO socket events the tracker listens to. */
export interface TrackedEngineSocket {
  readonly transport: { readonly name: string };
  once(event: 'close', fn: (reason: string) => void): unknown;
  on(event: 'upgrade', fn: (transport: { name: string }) => void): unknown;
}

/** Events of a {@link ConnectionTracker}. */
export interface ConnectionTrackerEvents {
  /** A count changed. */
  changed: [];
}

type SessionKind = 'websocket' | 'polling';

/**
 * Counts live connections by type as they open and close (no scan): Engine.IO sessions by their
 * current transport — a polling session that upgrades moves to `websocket` — and plain HTTP
 * requests while they are in flight. Each session is counted once, under the transport it was
 * counted with, so the counts return to zero however a connection ends.
 */
export class ConnectionTracker extends EventEmitter<ConnectionTrackerEvents> {
  private counts: ConnectionCounts = { websocket: 0, polling: 0, http: 0 };

  /** A copy of the current counts. */
  snapshot(): ConnectionCounts {
    return { ...this.counts };
  }

  /** Engine.IO sessions (WebSocket plus polling). */
  get sessions(): number {
    return this.counts.websocket + this.counts.polling;
  }

  /** Tracks one Engine.IO session from its `connection` event until it closes. */
  trackSession(socket: TrackedEngineSocket): void {
    let kind: SessionKind | undefined = kindOf(socket.transport.name);
    this.add(kind, 1);
    socket.on('upgrade', (transport) => {
      if (kind === undefined) return;
      const next = kindOf(transport.name);
      if (next === kind) return;
      this.add(kind, -1);
      this.add(next, 1);
      kind = next;
    });
    socket.once('close', () => {
      if (kind === undefined) return;
      this.add(kind, -1);
      kind = undefined;
    });
  }

  /** Counts a plain HTTP request until its response is finished or aborted. */
  trackRequest(res: ServerResponse): void {
    this.add('http', 1);
    res.once('close', () => this.add('http', -1));
  }

  private add(kind: keyof ConnectionCounts, delta: number): void {
    this.counts[kind] += delta;
    this.emit('changed');
  }
}

function kindOf(transport: string): SessionKind {
  return transport === 'websocket' ? 'websocket' : 'polling';
}
