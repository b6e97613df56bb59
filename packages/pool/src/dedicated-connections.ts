import { Cluster, type ClusterOptions, type Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import { closeConnection } from './close-connection.js';
import type { BudgetRole, ConnectionBudget, Slot } from './connection-budget.js';
import type { ConnectionFactory, RedisConnection } from './connection-factory.js';
import { PoolExhaustedError } from './errors.js';
import type { ResolvedPoolOptions } from './options.js';

/** The roles of connections a caller owns until it closes them. */
export type DedicatedRole = Extract<BudgetRole, 'subscriber' | 'bullmq'>;

/** Everything the dedicated connections need from their pool, besides options. */
export interface DedicatedContext {
  factory: ConnectionFactory;
  budget: ConnectionBudget;
  log: Logger;
  /** Closes one idle exclusive connection to free a slot; false when none is idle. */
  freeIdleSlot(): boolean;
  activity(): void;
}

/**
 * Connections handed to callers for good: pub/sub subscribers and BullMQ's connections. Each one
 * holds a slot of the pool's budget from its creation until it ends (the caller's `quit()` or
 * `disconnect()`, also while Redis is down and it waits to reconnect, or the pool's `close()`),
 * so they count against `maxConnections` like any other. When the budget
 * is used up, an idle exclusive connection is closed to make room; if none is idle, creation
 * fails with `PoolExhaustedError` (`reason: 'budget'`) rather than exceeding the budget.
 */
export class DedicatedConnections {
  private readonly open = new Map<RedisConnection, Slot>();

  constructor(
    private readonly options: ResolvedPoolOptions,
    private readonly ctx: DedicatedContext,
  ) {}

  get size(): number {
    return this.open.size;
  }

  /** A new connection of `role`, its slot already reserved; it connects lazily. */
  create(
    role: DedicatedRole,
    overrides: Partial<RedisOptions> = {},
    clusterOverrides: Partial<ClusterOptions> = {},
  ): RedisConnection {
    const slot = this.reserve(role);
    let conn: RedisConnection;
    try {
      conn = this.ctx.factory.create(role, overrides, clusterOverrides);
    } catch (err) {
      slot.release();
      throw err;
    }
    this.open.set(conn, slot);
    this.ctx.activity();
    conn.on('error', (err: Error) =>
      this.ctx.log.debug({ err: err.message, role }, 'dedicated connection error'),
    );
    // Every close ends a connection of the factory, even one waiting to reconnect (endOnClose).
    conn.once('end', () => this.forget(conn));
    if (role === 'bullmq') this.budgetDuplicates(conn);
    return conn;
  }

  /** Gives back the slot of a connection that failed to start (it is closed first). */
  async discard(conn: RedisConnection): Promise<void> {
    try {
      await closeConnection(conn, { deadlineMs: 500, quit: false });
    } finally {
      this.forget(conn);
    }
  }

  /** Closes every dedicated connection (QUIT with a deadline, then force). */
  async closeAll(deadlineMs: number): Promise<void> {
    await Promise.all(
      [...this.open.keys()].map(async (conn) => {
        try {
          await closeConnection(conn, { deadlineMs });
        } finally {
          this.forget(conn);
        }
      }),
    );
  }

  private reserve(role: DedicatedRole): Slot {
    const budget = this.ctx.budget;
    const slot = budget.tryReserve(role) ?? (this.ctx.freeIdleSlot() ? budget.tryReserve(role) : null);
    if (slot !== null) return slot;
    const held = (['shared', 'exclusive', 'subscriber', 'bullmq'] as const)
      .map((r) => `${r} ${budget.heldBy(r)}`)
      .join(', ');
    throw PoolExhaustedError.budget(this.options.name, budget.max, role, held);
  }

  private forget(conn: RedisConnection): void {
    this.open.get(conn)?.release();
    this.open.delete(conn);
  }

  /**
   * BullMQ duplicates the connection it is given for its blocking commands (a Worker's
   * BZPOPMIN), through `duplicate(options)` on a Redis and `duplicate(undefined, { redisOptions })`
   * on a Cluster, naming the copy with `connectionName`. Every copy comes from this pool instead,
   * with a slot of its own and the pool's name (`<pool>:bullmq:<n>`), so `CLIENT LIST` shows
   * what the budget counts.
   */
  private budgetDuplicates(conn: RedisConnection): void {
    if (conn instanceof Cluster) {
      const duplicate = () => this.create('bullmq');
      conn.duplicate = duplicate as Cluster['duplicate'];
      return;
    }
    const duplicate = (override: Partial<RedisOptions> = {}) => {
      const { connectionName: _ignored, ...rest } = override;
      return this.create('bullmq', rest) as Redis;
    };
    conn.duplicate = duplicate as Redis['duplicate'];
  }
}
