import type { Socket } from 'node:net';
import { Cluster, Command, type Redis, ReplyError } from 'ioredis';
import type { Logger } from 'pino';
import { type ConnectionFactory, destroySockets, type RedisConnection } from './connection-factory.js';
import { CommandTimeoutError, ConnectionError, OfflineQueueFullError, PoolError } from './errors.js';
import { pingWithDeadline } from './health.js';
import type { CommandErrorKind, Instruments } from './instruments.js';
import type { ResolvedPoolOptions } from './options.js';
import type { BatchResult, CommandTuple, RedisArg } from './types.js';

interface Member {
  readonly conn: RedisConnection;
  inFlight: number;
  lastReplyAt: number;
  verifying: Promise<boolean> | null;
  readyWatchdog: NodeJS.Timeout | undefined;
  lastError: Error | null;
  /** When ioredis' socketTimeout last destroyed this member's socket. */
  socketTimedOutAt: number;
  /** Replies received; sampled by {@link SharedLane.sample} so the hot path never reads the clock. */
  replies: number;
  sampledReplies: number;
  /** Idle past `healthCheckIntervalMs` at the last sample: PING before the next use. */
  due: boolean;
  /** The socket {@link cork} corked for this tick, until its uncork runs. */
  corked: Socket | null;
  /**
   * Reset by the lane and not ready again yet. ioredis still says `ready` until the socket's close
   * is processed; picking the member meanwhile would PING a destroyed socket, fail at once, reset,
   * and pick it again — a loop of microtasks that never lets that close be processed.
   */
  broken: boolean;
}

interface Job {
  readonly start: (member: Member) => void;
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
 * The shared lane: a few multiplexed connections that carry every ordinary command, so callers
 * never wait for a lease; the commands of one tick leave in one write (see {@link cork}). While
 * no connection is ready, commands wait in a bounded queue of their own (never ioredis' unbounded
 * offline queue) and fail at their deadline, so a command that timed out is never sent later
 * behind the caller's back.
 */
export class SharedLane {
  private readonly members: Member[] = [];
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
  /** Closing on purpose (idle, close): a health check that fails meanwhile must not reset. */
  private disconnecting = false;

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
  private sendNow(m: Member, command: string, args: readonly RedisArg[], buffer: boolean): Promise<unknown> {
    m.inFlight++;
    this.inFlightTotal++;
    this.commands++;
    const started = this.instruments.observed ? performance.now() : 0;
    cork(m);
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
  private pickReadyForUse(): Member | null {
    const m = this.pick();
    if (m === null || m.verifying || (m.due && m.inFlight === 0)) return null;
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
   * members idle past `healthCheckIntervalMs` for a PING before their next use. Called by the
   * pool a few times a second, so no command pays for reading the clock.
   */
  sample(now = Date.now()): void {
    if (this.commands !== this.sampledCommands) {
      this.sampledCommands = this.commands;
      this.events.activity();
    }
    const interval = this.options.healthCheckIntervalMs;
    for (const m of this.members) {
      if (m.replies !== m.sampledReplies) {
        m.sampledReplies = m.replies;
        m.lastReplyAt = now;
      }
      m.due = interval > 0 && m.lastReplyAt > 0 && now - m.lastReplyAt >= interval;
    }
  }

  /**
   * PINGs every member whose last reply is older than `healthCheckIntervalMs` and that has
   * nothing in flight (a busy socket is watched by socketTimeout instead). A failed PING resets
   * the socket so ioredis reconnects.
   */
  async sweep(now = Date.now()): Promise<void> {
    this.sample(now);
    const interval = this.options.healthCheckIntervalMs;
    if (interval === 0 || this.disconnecting) return;
    await Promise.all(
      this.members
        .filter((m) => usable(m) && m.inFlight === 0 && now - m.lastReplyAt >= interval)
        .map((m) => this.verify(m)),
    );
  }

  /** Closes every member (QUIT with a deadline, then force). The next command reconnects. */
  async disconnect(reason: string, deadlineMs: number): Promise<void> {
    for (const job of this.waiting) job.fail(new ConnectionError(`Connection closed: ${reason}`));
    this.waiting.clear();
    this.disconnecting = true;
    try {
      await Promise.all(this.members.map((m) => quitWithDeadline(m.conn, deadlineMs)));
    } finally {
      this.disconnecting = false;
    }
    this.markDisconnected(reason);
  }

  private run(name: string, deadlineMs: number, fn: (m: Member) => Promise<unknown>): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const started = performance.now();
      let settled = false;
      let member: Member | null = null;
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
                m.lastReplyAt = Date.now();
                m.due = false;
                finish(null, value);
              },
              (err: Error) => {
                const [mapped, kind] = mapError(err);
                if (kind === 'reply') m.lastReplyAt = Date.now();
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
    if (member.verifying) {
      member.verifying.then(
        () => this.dispatch(job),
        () => this.dispatch(job),
      );
      return;
    }
    const interval = this.options.healthCheckIntervalMs;
    if (
      interval > 0 &&
      member.inFlight === 0 &&
      member.lastReplyAt > 0 &&
      Date.now() - member.lastReplyAt >= interval
    ) {
      // Idle longer than the interval: PING before use, as redis-py's health_check_interval does.
      this.verify(member).then(
        () => this.dispatch(job),
        () => this.dispatch(job),
      );
      return;
    }
    job.start(member);
  }

  private pick(): Member | null {
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

  private verify(m: Member): Promise<boolean> {
    if (m.verifying) return m.verifying;
    m.verifying = pingWithDeadline(m.conn, this.options.healthCheckTimeoutMs).then((ok) => {
      m.verifying = null;
      if (ok) {
        m.lastReplyAt = Date.now();
        m.due = false;
      } else if (!this.disconnecting && usable(m)) {
        // A PING cut short by a close (our own QUIT, say) is no health failure: only a silent
        // socket that is still open is reset. Resetting a closed one would reconnect it.
        this.events.healthCheckFailed(`PING got no reply within ${this.options.healthCheckTimeoutMs} ms`);
        this.reset(m, 'health check failed');
      }
      return ok;
    });
    return m.verifying;
  }

  private reset(m: Member, reason: string): void {
    this.log.warn(
      { reason, connection: 'connectionName' in m.conn.options ? m.conn.options.connectionName : 'cluster' },
      'resetting shared connection',
    );
    // A Cluster stays ready while one node reconnects: it never emits a second 'ready'.
    if (!(m.conn instanceof Cluster)) m.broken = true;
    destroySockets(m.conn);
  }

  private ensureConnecting(m: Member): void {
    if (m.conn.status === 'wait' || m.conn.status === 'end') {
      m.conn.connect().catch((err: Error) => {
        m.lastError = err;
      });
    }
  }

  private watch(conn: RedisConnection): Member {
    const m: Member = {
      conn,
      inFlight: 0,
      lastReplyAt: 0,
      verifying: null,
      readyWatchdog: undefined,
      lastError: null,
      socketTimedOutAt: 0,
      replies: 0,
      sampledReplies: 0,
      due: false,
      corked: null,
      broken: false,
    };
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
      m.broken = false;
      clearTimeout(m.readyWatchdog);
      this.failedAttempts = 0;
      this.unreachable = false;
      m.lastReplyAt = Date.now();
      m.due = false;
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
      if (this.readyConnections === 0 && !this.disconnecting)
        this.markDisconnected(m.lastError?.message ?? 'connection closed');
    });
    conn.on('end', () => {
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

  private unreachableError(m: Member): ConnectionError {
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

/**
 * Holds the member's writes until the end of the current tick, so that every command sent in one
 * tick (the callers woken by one batch of replies, say) leaves in one write: what ioredis'
 * auto-pipelining does, without building a Pipeline object per flush. Only for a standalone or
 * Sentinel connection that is ready (the hot path); Cluster keeps ioredis' auto-pipelining, which
 * already groups commands per node. The socket corked is the one uncorked: after a reconnect
 * `conn.stream` is a new socket, and the old one must not stay corked (Node's end() and destroy()
 * flush or drop a corked buffer, so a close in between loses nothing that was not lost anyway).
 */
function cork(m: Member): void {
  const stream = (m.conn as Redis).stream as Socket;
  if (m.corked === stream) return;
  m.corked = stream;
  stream.cork();
  process.nextTick(uncork, m, stream);
}

function uncork(m: Member, stream: Socket): void {
  if (m.corked === stream) m.corked = null;
  stream.uncork();
}

/** Ready, and not reset by the lane since (see {@link Member.broken}). */
function usable(m: Member): boolean {
  return m.conn.status === 'ready' && !m.broken;
}

function mapError(err: Error): [Error, CommandErrorKind] {
  if (err instanceof ReplyError || err.name === 'ReplyError') return [err, 'reply'];
  if (err instanceof PoolError) return [err, err instanceof CommandTimeoutError ? 'timeout' : 'connection'];
  return [new ConnectionError(`Connection lost: ${err.message}`, { cause: err }), 'connection'];
}

/**
 * Closes a connection: QUIT if it is ready (replies on their way still arrive), else a hard
 * disconnect; forced at `deadlineMs`. Resolves when ioredis has ended the connection, not at
 * QUIT's reply: the socket closes a little later, and until then the connection still counts as
 * open and ready, so a caller that reported "closed" at the reply (idle disconnect, close) would
 * report it early.
 */
export async function quitWithDeadline(conn: RedisConnection, deadlineMs: number): Promise<void> {
  const status: string = conn.status;
  if (status === 'end' || status === 'wait') return;
  if (status === 'reconnecting') {
    // No socket to close: this cancels the pending retry (ioredis emits no 'end' for it).
    conn.disconnect();
    return;
  }
  let timer: NodeJS.Timeout | undefined;
  let done = () => {};
  const ended = new Promise<void>((resolve) => {
    done = resolve;
    conn.once('end', done);
    timer = setTimeout(done, deadlineMs);
  });
  if (status === 'ready') conn.quit().catch(() => undefined);
  else conn.disconnect();
  await ended;
  clearTimeout(timer);
  conn.off('end', done);
  if (conn.status !== 'end') conn.disconnect();
}

/**
 * `callBuffer` with auto-pipelining on (a Cluster's shared lane) drops the command name in
 * ioredis 6.0.0 (its auto-pipeline path special-cases only `call`), so use the `<command>Buffer`
 * method when there is one, else send a Command with binary reply encoding directly.
 */
export function callBuffer(
  conn: RedisConnection,
  command: string,
  args: readonly RedisArg[],
): Promise<unknown> {
  const method = (conn as unknown as Record<string, unknown>)[`${command.toLowerCase()}Buffer`];
  if (typeof method === 'function')
    return (method as (...a: readonly RedisArg[]) => Promise<unknown>).apply(conn, [...args]);
  return conn.sendCommand(
    new Command(command, [...args] as (string | Buffer | number)[], { replyEncoding: null }),
  ) as Promise<unknown>;
}
