import { SentinelError } from './errors.js';
import { type ConfigValue, quoteConfigArg } from './redis-config.js';
import { launchMany, launchRedis, type RedisServer, type RedisServerHandle } from './redis-server.js';
import type { RespValue } from './resp.js';
import type { HostPort } from './types.js';
import { waitFor } from './wait.js';

/** Options of {@link startSentinel}. */
export interface StartSentinelOptions {
  /** Number of sentinel processes, default 3. */
  sentinels?: number;
  /** Monitored master name, default `mymaster`. */
  masterName?: string;
  /** Sentinels that must agree the master is down, default a majority (`floor(n / 2) + 1`). */
  quorum?: number;
  /** `sentinel down-after-milliseconds`, default 1000. */
  downAfterMs?: number;
  /** `sentinel failover-timeout`, default 5000. */
  failoverTimeoutMs?: number;
  /** `requirepass` + `masterauth` on master and replica, `sentinel auth-pass` on the sentinels. */
  password?: string;
  /** Extra redis.conf directives for the master and the replica. */
  extraConfig?: Readonly<Record<string, ConfigValue>>;
  /** Deadline for the whole setup to be ready, default 30 000 ms. */
  startTimeoutMs?: number;
}

/** A master, one replica and sentinels monitoring them. */
export interface RedisSentinel {
  /** The server started as master (after a failover it may be a replica: see currentMaster()). */
  readonly master: RedisServer;
  /** The server started as replica of `master`. */
  readonly replica: RedisServer;
  /** The sentinel processes (full server handles: they can be killed/frozen too). */
  readonly sentinels: readonly RedisServer[];
  /** Sentinel addresses, for `new Redis({ sentinels, name })`. */
  readonly sentinelAddresses: HostPort[];
  /** The monitored master name. */
  readonly masterName: string;
  /** The master address according to the first sentinel that answers. */
  currentMaster(): Promise<HostPort>;
  /**
   * SENTINEL FAILOVER, then wait until every live sentinel reports a different master address (the
   * promoted replica) and that server reports `role:master`. Resolves with the new master address.
   * A live old master is then made a replica of the new one right away (the REPLICAOF the sentinels
   * would send at their next INFO round, ~10 s later).
   */
  failover(): Promise<HostPort>;
  /** SIGKILL master, replica and sentinels and remove their temp dirs. */
  stop(): Promise<void>;
}

function addressFrom(reply: RespValue): HostPort | undefined {
  if (!Array.isArray(reply) || reply.length < 2) return undefined;
  const [host, port] = reply;
  return typeof host === 'string' ? { host, port: Number(port) } : undefined;
}

/** Fields of a flat `[k, v, k, v...]` SENTINEL reply. */
function fields(reply: RespValue): Record<string, string> {
  const out: Record<string, string> = {};
  if (!Array.isArray(reply)) return out;
  for (let i = 0; i + 1 < reply.length; i += 2) out[String(reply[i])] = String(reply[i + 1]);
  return out;
}

class SentinelImpl implements RedisSentinel {
  readonly sentinelAddresses: HostPort[];

  constructor(
    readonly master: RedisServerHandle,
    readonly replica: RedisServerHandle,
    readonly sentinels: RedisServerHandle[],
    readonly masterName: string,
  ) {
    this.sentinelAddresses = sentinels.map((s) => ({ host: s.host, port: s.port }));
  }

  private live(): RedisServerHandle[] {
    return this.sentinels.filter((s) => s.isRunning && !s.isFrozen);
  }

  private async addressFrom(sentinel: RedisServerHandle): Promise<HostPort | undefined> {
    return addressFrom(await sentinel.command('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', this.masterName));
  }

  async currentMaster(): Promise<HostPort> {
    let lastError: unknown;
    for (const sentinel of this.live()) {
      try {
        const address = await this.addressFrom(sentinel);
        if (address !== undefined) return address;
      } catch (err) {
        lastError = err;
      }
    }
    throw new SentinelError(`no sentinel knows master ${this.masterName}`, { cause: lastError });
  }

  /** Every live sentinel sees `replicas` healthy replicas and `others` other sentinels. */
  async ready(others: number): Promise<boolean> {
    const checks = await Promise.all(
      this.live().map(async (sentinel) => {
        const replicas = await sentinel.command('SENTINEL', 'REPLICAS', this.masterName);
        const good = Array.isArray(replicas)
          ? replicas.map(fields).filter((r) => r.flags === 'slave' && r['master-link-status'] === 'ok')
          : [];
        if (good.length === 0) return false;
        const peers = await sentinel.command('SENTINEL', 'SENTINELS', this.masterName);
        return Array.isArray(peers) && peers.length >= others;
      }),
    );
    return checks.length > 0 && checks.every(Boolean);
  }

  async failover(): Promise<HostPort> {
    const before = await this.currentMaster();
    const same = (a: HostPort | undefined): boolean => a?.host === before.host && a.port === before.port;
    await waitFor(
      `SENTINEL FAILOVER ${this.masterName} to be accepted`,
      async () => (await this.live()[0]?.command('SENTINEL', 'FAILOVER', this.masterName)) === 'OK',
      10_000,
      200,
    );
    const after = await waitFor(
      `every sentinel to report a master other than ${before.host}:${before.port}`,
      async () => {
        const seen = await Promise.all(this.live().map((s) => this.addressFrom(s)));
        const first = seen[0];
        if (first === undefined || same(first)) return undefined;
        return seen.every((a) => a?.host === first.host && a.port === first.port) ? first : undefined;
      },
      20_000,
    );
    const promoted = [this.master, this.replica].find((s) => s.port === after.port);
    if (promoted !== undefined) {
      await waitFor(
        `${after.host}:${after.port} to report role:master`,
        async () => (await promoted.info('replication')).role === 'master',
        10_000,
      );
    }
    // The sentinels demote a live old master only at their next INFO round (~10 s); do it now so the
    // setup is immediately consistent (this is exactly the REPLICAOF they would send).
    const demoted = [this.master, this.replica].find((s) => s.port === before.port);
    if (demoted?.isRunning === true && !demoted.isFrozen) {
      const role = await demoted.info('replication').then(
        (i) => i.role,
        () => undefined,
      );
      if (role === 'master')
        await demoted.command('REPLICAOF', after.host, after.port).catch(() => undefined);
    }
    return after;
  }

  async stop(): Promise<void> {
    await Promise.allSettled([this.master, this.replica, ...this.sentinels].map((s) => s.destroy()));
  }
}

/**
 * Start a master, a replica (`replicaof`) and `sentinels` sentinel processes (`redis-server --sentinel`)
 * monitoring it as `masterName`, all on free 127.0.0.1 ports. Resolves once every sentinel sees the
 * replica and the other sentinels (so automatic failover works too).
 *
 * @example
 * ```ts
 * const setup = await startSentinel({ sentinels: 1 });
 * const client = new Redis({ sentinels: setup.sentinelAddresses, name: setup.masterName });
 * ```
 */
export async function startSentinel(opts: StartSentinelOptions = {}): Promise<RedisSentinel> {
  const count = opts.sentinels ?? 3;
  const masterName = opts.masterName ?? 'mymaster';
  const quorum = opts.quorum ?? Math.floor(count / 2) + 1;
  const timeoutMs = opts.startTimeoutMs ?? 30_000;
  if (!Number.isInteger(count) || count < 1) throw new SentinelError('sentinels must be >= 1');
  const started: RedisServerHandle[] = [];
  const auth: Record<string, ConfigValue> =
    opts.password === undefined ? {} : { masterauth: quoteConfigArg(opts.password) };
  try {
    const master = await launchRedis({
      password: opts.password,
      extraConfig: { ...auth, ...opts.extraConfig },
    });
    started.push(master);
    const replica = await launchRedis({
      password: opts.password,
      extraConfig: { ...auth, replicaof: `${master.host} ${master.port}`, ...opts.extraConfig },
    });
    started.push(replica);
    await waitFor(
      `replica ${replica.port} link up`,
      async () => (await replica.info('replication')).master_link_status === 'up',
      timeoutMs,
    );
    const name = quoteConfigArg(masterName);
    const directives = [
      `monitor ${name} ${master.host} ${master.port} ${quorum}`,
      `down-after-milliseconds ${name} ${opts.downAfterMs ?? 1000}`,
      `failover-timeout ${name} ${opts.failoverTimeoutMs ?? 5000}`,
      `parallel-syncs ${name} 1`,
    ];
    if (opts.password !== undefined) directives.push(`auth-pass ${name} ${quoteConfigArg(opts.password)}`);
    const sentinels = await launchMany(count, () =>
      launchRedis(
        { extraConfig: { sentinel: directives } },
        { args: ['--sentinel'], sentinel: true, label: 'sentinel' },
      ),
    );
    started.push(...sentinels);
    const setup = new SentinelImpl(master, replica, sentinels, masterName);
    await waitFor(
      'sentinels to discover the replica and each other',
      () => setup.ready(count - 1),
      timeoutMs,
      100,
    );
    return setup;
  } catch (err) {
    await Promise.allSettled(started.map((s) => s.destroy()));
    throw err;
  }
}
