import { Cluster, ReplyError } from 'ioredis';
import type { Logger } from 'pino';
import { callBuffer } from './call-buffer.js';
import { closeConnection } from './close-connection.js';
import { type ConnectionFactory, destroySockets, type RedisConnection } from './connection-factory.js';
import { CommandTimeoutError, ConnectionError, OfflineQueueFullError, PoolError } from './errors.js';
import { pingWithDeadline } from './health.js';
import type { CommandErrorKind, Instruments } from './instruments.js';
import type { ResolvedPoolOptions } from './options.js';
import { SharedMember } from './shared-member.js';
import type { BatchResult, CommandTuple, RedisArg } from './types.js';

interface Job {
  readonly start: (member: SharedMember) => void;
  readonly fail: (err: Error) => void;
}

/** Notifications from the lane to its pool. */
export interface SharedLaneEvents {
  connected(): void;
  disconnected(reason: string): void;
  activity(): void;
  healthCheckFailed(reason: string): void;
}

const OPEN_STATES = new Set(['connecting', 'connect', 'ready', 'reconnecting']);

/**
 * How often the pool runs {@link SharedLane.sweep} for a given `healthCheckIntervalMs`: a quarter
 * of it, from 50 ms to 1 s.
 */
export function sweepPeriodMs(healthCheckIntervalMs: number): number {
  return Math.max(50, Math.min(1_000, Math.floor(healthCheckIntervalMs / 4)));
}

/**
 * The shared lane: a few multiplexed connections that carry every ordinary command, so callers
 * never wait for a lease; the commands of one tick leave in one write (see
 * {@link SharedMember.cork}). While no connection is ready, commands wait in a bounded queue of
 * their own (never ioredis' unbounded offline queue) and fail at their deadline, so a command
 * that timed out is never sent later behind the caller's back.
 */
export class SharedLane {
  private readonly members: SharedMember[] = [];
  private readonly waiting = new Set<Job>();
  private cursor = 0;
  private inFlightTotal = 0;
  /** Commands sent on the hot path; sampled into the pool's activity time. */
  private commands = 0;
  private sampledCommands = 0;
  /** Reconnect attempts since the lane was last ready. */
  private failedAttempts = 0;
  /** Past `retry.attempts` failed reconnects: commands fail at once until a reconnect succeeds. */
  private unreachable = false;
  private readonly cluster: boolean;
  private connected = false;

  constructor(
    private readonly options: ResolvedPoolOptions,
    factory: ConnectionFactory,
    private readonly log: Logger,
    private readonly instruments: Instruments,
    private readonly events: SharedLaneEvents,
  ) {
    for (let i = 0; i < options.sharedConnections; i++)
      this.members.push(this.watch(factory.create('shared')));
    this.cluster = this.members[0]!.conn instanceof Cluster;
  }

  /** Commands sent and not yet answered. */
  get inFlight(): number {
    return this.inFlightTotal;
  }

  /** Connections whose socket is open or opening. */
  get openConnections(): number {
    return this.members.filter((m) => OPEN_STATES.has(m.conn.status)).length;
  }

  get readyConnections(): number {
    return this.members.filter(usable).length;
  }

  /** Commands waiting for a connection to become ready. */
  get queued(): number {
    return this.waiting.size;
  }

  /** Time of the last reply on any member (ms since epoch), 0 if none yet. */
  get lastReplyAt(): number {
    return Math.max(0, ...this.members.map((m) => m.lastReplyAt));
  }

  /** The first connection, for callers that need the raw client (scan on Cluster nodes). */
  get primary(): RedisConnection {
    return this.members[0]!.conn;
  }

  /** Starts every member; resolves when one is ready, rejects at `connectTimeoutMs`. */
  connect(): Promise<void> {
    return this.run('CONNECT', this.options.connectTimeoutMs, () => Promise.resolve()).then(() => undefined);
  }

  /** Sends one command; rejects with a typed error at `commandTimeoutMs`. */
  send(command: string, args: readonly RedisArg[], buffer: boolean): Promise<unknown> {
    const m = this.cluster ? null : this.pickReadyForUse();
    if (m === null) {
      return this.run(command, this.options.commandTimeoutMs, (member) =>
        buffer ? callBuffer(member.conn, command, args) : member.conn.call(command, ...args),
      );
    }
    return this.sendNow(m, command, args, buffer);
  }

  /**
   * The hot path: no timer and no wrapper promise per command. Replies on one connection come
   * in order, so a command can only hang when the whole socket is silent, and ioredis'
   * socketTimeout (= commandTimeoutMs, re-armed while replies are pending) then destroys the
   * socket, which rejects everything in flight; those rejections become CommandTimeoutError.
   */
  private sendNow(
    m: SharedMember,
    command: string,
    args: readonly RedisArg[],
    buffer: boolean,
  ): Promise<unknown> {
    m.inFlight++;
    this.inFlightTotal++;
    this.commands++;
    const started = this.instruments.observed ? performance.now() : 0;
    m.cork();
    const reply = buffer ? callBuffer(m.conn, command, args) : m.conn.call(command, ...args);
    return reply.then(
      (value) => {
        m.inFlight--;
        this.inFlightTotal--;
        m.replies++;
        if (started !== 0)
          this.instruments.commandFinished(command, (performance.now() - started) / 1000, null);
        return value;
      },
      (err: Error) => {
        m.inFlight--;
        this.inFlightTotal--;
        let [mapped, kind] = mapError(err);
        if (kind === 'reply') m.replies++;
        else if (Date.now() - m.socketTimedOutAt < 1_000) {
          mapped = new CommandTimeoutError(command, this.options.commandTimeoutMs);
          kind = 'timeout';
        }
        this.instruments.commandFinished(
          command,
          started === 0 ? 0 : (performance.now() - started) / 1000,
          kind,
        );
        throw mapped;
      },
    );
  }

  /** A ready member that needs no health check first, or null (then the slow path decides). */
  private pickReadyForUse(): SharedMember | null {
    const m = this.pick();
    if (m === null || m.status === 'checking' || (m.status === 'due' && m.inFlight === 0)) return null;
    return m;
  }

  /** Sends several commands in one round trip; `atomic` wraps them in MULTI/EXEC. */
  async batch(commands: readonly CommandTuple[], atomic: boolean, buffer: boolean): Promise<BatchResult[]> {
    if (commands.length === 0) return [];
    if (!atomic && this.primary instanceof Cluster) {
      // Keys may live on different nodes; auto-pipelining still groups these per node.
      return Promise.all(
        commands.map(([cmd, ...args]) =>
          this.send(cmd, args, buffer).then(
            (value): BatchResult => [null, value],
            (err: Error): BatchResult => {
              if (err instanceof PoolError) throw err;
              return [err, null];
            },
          ),
        ),
      );
    }
    const results = (await this.run(atomic ? 'MULTI' : 'PIPELINE', this.options.commandTimeoutMs, (m) => {
      const p = atomic ? m.conn.multi() : m.conn.pipeline();
      for (const [cmd, ...args] of commands) {
        if (buffer) p.callBuffer(cmd, ...args);
        else p.call(cmd, ...args);
      }
      return p.exec();
    })) as BatchResult[] | null;
    if (results === null) throw new ConnectionError('Transaction aborted by the server');
    return results;
  }

  /**
   * Turns the hot path's counters into times (last reply per member, pool activity) and marks
   * members idle past `healthCheckIntervalMs` as `due` for a PING before their next use. Called
   * by the pool a few times a second, so no command pays for reading the clock.
   */
  sample(now = Date.now()): void {
    if (this.commands !== this.sampledCommands) {
      this.sampledCommands = this.commands;
      this.events.activity();
    }
    for (const m of this.members) m.sample(now, this.options.healthCheckIntervalMs);
  }

  /**
   * PINGs every member with nothing in flight (a busy socket is watched by socketTimeout instead)
   * that may have been silent for `healthCheckIntervalMs` by the next sweep. A member's last reply
   * is known to within one sweep period (the sweep samples it) and the next sweep comes one period
   * later, so PINGing from `interval - 2 × period` on sends every PING at most
   * `healthCheckIntervalMs` after the last reply: a silent Redis is noticed within
   * `healthCheckIntervalMs + healthCheckTimeoutMs`. A failed PING resets the socket so ioredis
   * reconnects.
   */
  async sweep(now = Date.now()): Promise<void> {
    this.sample(now);
    const interval = this.options.healthCheckIntervalMs;
    if (interval === 0) return;
    const threshold = Math.max(0, interval - 2 * sweepPeriodMs(interval));
    await Promise.all(
      this.members
        .filter((m) => usable(m) && m.inFlight === 0 && now - m.lastReplyAt >= threshold)
        .map((m) => this.verify(m)),
    );
  }

  /** Closes every member (QUIT with a deadline, then force). The next command reconnects. */
  async disconnect(reason: string, deadlineMs: number): Promise<void> {
    for (const job of this.waiting) job.fail(new ConnectionError(`Connection closed: ${reason}`));
    this.waiting.clear();
    await Promise.all(
      this.members.map(async (m) => {
        m.status = 'closing';
        try {
          await closeConnection(m.conn, { deadlineMs });
        } finally {
          m.status = 'closed';
        }
      }),
    );
    this.markDisconnected(reason);
  }

  private run(name: string, deadlineMs: number, fn: (m: SharedMember) => Promise<unknown>): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const started = performance.now();
      let settled = false;
      let member: SharedMember | null = null;
      const finish = (err: Error | null, value?: unknown, kind: CommandErrorKind | null = null) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.waiting.delete(job);
        this.instruments.commandFinished(name, (performance.now() - started) / 1000, err ? kind : null);
        if (err) reject(err);
        else resolve(value);
      };
      const timer = setTimeout(() => {
        if (member) {
          finish(new CommandTimeoutError(name, deadlineMs), undefined, 'timeout');
          this.reset(member, `${name} got no reply within ${deadlineMs} ms`);
        } else {
          const last = this.members.find((m) => m.lastError)?.lastError;
          const why = last ? `: ${last.message}` : '';
          finish(
            new ConnectionError(`Redis not reachable within ${deadlineMs} ms${why}`, { cause: last }),
            undefined,
            'connection',
          );
        }
      }, deadlineMs);
      const job: Job = {
        start: (m) => {
          if (settled) return;
          member = m;
          m.inFlight++;
          this.inFlightTotal++;
          this.events.activity();
          fn(m)
            .then(
              (value) => {
                m.answered(Date.now());
                finish(null, value);
              },
              (err: Error) => {
                const [mapped, kind] = mapError(err);
                if (kind === 'reply') m.answered(Date.now());
                finish(mapped, undefined, kind);
              },
            )
            .finally(() => {
              m.inFlight--;
              this.inFlightTotal--;
              this.events.activity();
            });
        },
        fail: (err) =>
          finish(err, undefined, err instanceof OfflineQueueFullError ? 'offline_queue_full' : 'connection'),
      };
      this.dispatch(job);
    });
  }

  private dispatch(job: Job): void {
    const member = this.pick();
    if (member === null) {
      if (this.unreachable) {
        job.fail(this.unreachableError(this.members[0]!));
        return;
      }
      if (this.waiting.size >= this.options.offlineQueue) {
        job.fail(new OfflineQueueFullError(this.options.name, this.options.offlineQueue));
        return;
      }
      this.waiting.add(job);
      for (const m of this.members) this.ensureConnecting(m);
      return;
    }
    const interval = this.options.healthCheckIntervalMs;
    const idle =
      interval > 0 &&
      member.inFlight === 0 &&
      member.lastReplyAt > 0 &&
      Date.now() - member.lastReplyAt >= interval;
    if (member.status === 'checking' || idle) {
      // Idle longer than the interval: PING before use, as redis-py's health_check_interval does.
      this.verify(member).then(
        () => this.dispatch(job),
        () => this.dispatch(job),
      );
      return;
    }
    job.start(member);
  }

  private pick(): SharedMember | null {
    const n = this.members.length;
    for (let i = 0; i < n; i++) {
      const m = this.members[(this.cursor + i) % n]!;
      if (usable(m)) {
        this.cursor = (this.cursor + i + 1) % n;
        return m;
      }
    }
    return null;
  }

  private verify(m: SharedMember): Promise<boolean> {
    if (m.check) return m.check;
    m.status = 'checking';
    m.check = pingWithDeadline(m.conn, this.options.healthCheckTimeoutMs).then((ok) => {
      m.check = null;
      // Anything else means the socket closed meanwhile (our own QUIT, say): no health failure.
      if (m.status !== 'checking') return ok;
      if (ok) {
        m.status = 'ready';
        m.answered(Date.now());
      } else {
        this.events.healthCheckFailed(`PING got no reply within ${this.options.healthCheckTimeoutMs} ms`);
        this.reset(m, 'health check failed');
      }
      return ok;
    });
    return m.check;
  }

  private reset(m: SharedMember, reason: string): void {
    this.log.warn(
      { reason, connection: 'connectionName' in m.conn.options ? m.conn.options.connectionName : 'cluster' },
      'resetting shared connection',
    );
    // A Cluster stays ready while one node reconnects: it never emits a second 'ready'.
    if (!(m.conn instanceof Cluster)) m.status = 'resetting';
    destroySockets(m.conn);
  }

  private ensureConnecting(m: SharedMember): void {
    if (m.conn.status === 'wait' || m.conn.status === 'end') {
      m.status = 'connecting';
      m.conn.connect().catch((err: Error) => {
        m.lastError = err;
      });
    }
  }

  private watch(conn: RedisConnection): SharedMember {
    const m = new SharedMember(conn);
    conn.on('error', (err: Error) => {
      m.lastError = err;
      if (err.message.startsWith('Socket timeout')) {
        m.socketTimedOutAt = Date.now();
        this.log.warn({ reason: err.message }, 'shared connection silent past commandTimeoutMs: reset');
        return;
      }
      this.log.debug({ err: err.message }, 'shared connection error');
    });
    conn.on('connect', () => {
      // TCP is up; the ready check (AUTH, SELECT, INFO) must finish within connectTimeoutMs too.
      clearTimeout(m.readyWatchdog);
      m.readyWatchdog = setTimeout(() => {
        if (conn.status !== 'ready')
          this.reset(m, `not ready within connectTimeoutMs=${this.options.connectTimeoutMs}`);
      }, this.options.connectTimeoutMs);
    });
    conn.on('ready', () => {
      clearTimeout(m.readyWatchdog);
      m.status = 'ready';
      this.failedAttempts = 0;
      this.unreachable = false;
      m.answered(Date.now());
      m.lastError = null;
      if (!this.connected) {
        this.connected = true;
        this.events.connected();
      }
      const jobs = [...this.waiting];
      this.waiting.clear();
      for (const job of jobs) this.dispatch(job);
    });
    conn.on('reconnecting', () => {
      this.instruments.counters.reconnects++;
      this.failedAttempts++;
      if (this.failedAttempts > this.options.retry.attempts && !this.unreachable) {
        // A long outage: stop making callers wait for it; reconnecting goes on in the background.
        this.unreachable = true;
        const err = this.unreachableError(m);
        for (const job of [...this.waiting]) job.fail(err);
        this.waiting.clear();
      }
    });
    conn.on('close', () => {
      clearTimeout(m.readyWatchdog);
      // A close of our own (idle, close) is reported by disconnect(), with its reason.
      if (m.status === 'closing') return;
      m.status = 'connecting';
      if (this.readyConnections === 0) this.markDisconnected(m.lastError?.message ?? 'connection closed');
    });
    conn.on('end', () => {
      m.status = 'closed';
      // Closed on purpose (idle disconnect, close): fail what waits; the next command reconnects.
      if (this.members.every((x) => x.conn.status === 'end' || x.conn.status === 'wait')) {
        const err = new ConnectionError(`Connection closed: ${m.lastError?.message ?? 'ended'}`, {
          cause: m.lastError,
        });
        for (const job of [...this.waiting]) job.fail(err);
        this.waiting.clear();
      }
    });
    return m;
  }

  private unreachableError(m: SharedMember): ConnectionError {
    const last = this.members.find((x) => x.lastError)?.lastError ?? m.lastError;
    return new ConnectionError(
      `Redis unreachable after ${this.failedAttempts} reconnect attempts${last ? `: ${last.message}` : ''}; still retrying`,
      { cause: last },
    );
  }

  private markDisconnected(reason: string): void {
    if (!this.connected) return;
    this.connected = false;
    this.events.disconnected(reason);
  }
}

/** Usable by the lane and ready by ioredis. */
function usable(m: SharedMember): boolean {
  return m.usable && m.conn.status === 'ready';
}

function mapError(err: Error): [Error, CommandErrorKind] {
  if (err instanceof ReplyError || err.name === 'ReplyError') return [err, 'reply'];
  if (err instanceof PoolError) return [err, err instanceof CommandTimeoutError ? 'timeout' : 'connection'];
  return [new ConnectionError(`Connection lost: ${err.message}`, { cause: err }), 'connection'];
}
