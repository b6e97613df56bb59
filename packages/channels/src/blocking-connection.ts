import { CommandTimeoutError, type Lease, type Pool } from '@redpool/pool';

/**
 * The one connection a receive loop blocks on, leased from the pool's exclusive lane as a
 * long-lived lease (no leak warning), and destroyed after an error, since its state is then
 * unknown.
 */
export class BlockingConnection {
  private lease: Lease | null = null;

  constructor(private readonly pool: Pool) {}

  /** BLPOP on `keys` for `timeoutMs`, rejecting with CommandTimeoutError at `timeoutMs + commandTimeoutMs`. */
  async blpop(keys: readonly string[], timeoutMs: number): Promise<[Buffer, Buffer] | null> {
    const lease = await this.ensure();
    const deadlineMs = timeoutMs + this.pool.options.commandTimeoutMs;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new CommandTimeoutError('BLPOP', deadlineMs)), deadlineMs);
    });
    const call = lease.connection.callBuffer('BLPOP', ...keys, (timeoutMs / 1000).toFixed(3)) as Promise<
      [Buffer, Buffer] | null
    >;
    try {
      return await Promise.race([call, deadline]);
    } catch (err) {
      call.catch(() => undefined);
      await this.destroy();
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Leases a connection now (if none is held) so that a following `blpop` does not wait for one. */
  async ensure(): Promise<Lease> {
    if (this.lease !== null && this.lease.connection.status !== 'ready') await this.destroy();
    if (this.lease === null) this.lease = await this.pool.acquire({ leaseWarnMs: 0 });
    return this.lease;
  }

  /** Gives the connection back to the pool. */
  async release(): Promise<void> {
    const lease = this.lease;
    this.lease = null;
    await lease?.release();
  }

  /** Closes the connection (interrupting a blocking pop on it). */
  async destroy(): Promise<void> {
    const lease = this.lease;
    this.lease = null;
    await lease?.destroy();
  }
}
