import { type ClusterNode, ClusterNodeHandle, type ClusterRole } from './cluster-node.js';
import { assemble, clusterConfig } from './cluster-setup.js';
import {
  type ClusterNodesEntry,
  isHealthyEntry,
  isMasterEntry,
  parseClusterNodes,
} from './cluster-topology.js';
import { ClusterError } from './errors.js';
import type { ConfigValue } from './redis-config.js';
import { launchMany, launchRedis } from './redis-server.js';
import { parseInfo } from './resp.js';
import type { HostPort } from './types.js';
import { waitFor } from './wait.js';

/** Options of {@link startCluster}. */
export interface StartClusterOptions {
  /** Number of masters (slots split evenly), default 3. */
  masters?: number;
  /** Replicas per master, default 0. */
  replicasPerMaster?: number;
  /** `cluster-node-timeout` in ms, default 2000 (failure detection in ~2-4 s). */
  nodeTimeoutMs?: number;
  /** `requirepass` + `masterauth` on every node. */
  password?: string;
  /** Extra redis.conf directives for every node. */
  extraConfig?: Readonly<Record<string, ConfigValue>>;
  /** Deadline for the whole cluster to reach `cluster_state:ok`, default 30 000 ms. */
  startTimeoutMs?: number;
}

/** A real Redis Cluster made of redis-server child processes on 127.0.0.1. */
export interface RedisCluster {
  /** All nodes: masters first, then replicas (grouped by master) as created. */
  readonly nodes: readonly ClusterNode[];
  /** Every node's address, for `new Cluster(startupNodes)`. */
  readonly startupNodes: HostPort[];
  /** Cluster password when set. */
  readonly password?: string;
  /**
   * Masters that currently own slots, according to CLUSTER NODES of a live node (a killed master is
   * included until its slots move to another node). Also refreshes every node's `role`.
   */
  masters(): Promise<ClusterNode[]>;
  /** Current replicas (refreshes roles). */
  replicas(): Promise<ClusterNode[]>;
  /** Current replicas of `master` (refreshes roles). */
  replicasOf(master: ClusterNode): Promise<ClusterNode[]>;
  /**
   * Promote a live replica of `master` and wait until every live node agrees and reports
   * `cluster_state:ok`. Uses CLUSTER FAILOVER when the master answers (escalating to FORCE, then
   * TAKEOVER), TAKEOVER directly when it is killed or frozen. Resolves with the promoted node.
   */
  failover(master: ClusterNode): Promise<ClusterNode>;
  /** Wait until every live node reports `cluster_state:ok` and the same healthy topology. */
  waitForOk(timeoutMs?: number): Promise<void>;
  /** SIGKILL every node and remove their temp dirs. */
  stop(): Promise<void>;
}

const STEP_TIMEOUT_MS = 5000;

async function clusterNodesOf(node: ClusterNodeHandle): Promise<ClusterNodesEntry[]> {
  const reply = await node.command('CLUSTER', 'NODES');
  return parseClusterNodes(typeof reply === 'string' ? reply : '');
}

async function clusterState(node: ClusterNodeHandle): Promise<string | undefined> {
  const reply = await node.command('CLUSTER', 'INFO');
  return parseInfo(typeof reply === 'string' ? reply : '').cluster_state;
}

class ClusterImpl implements RedisCluster {
  readonly startupNodes: HostPort[];
  readonly password?: string;

  constructor(
    readonly nodes: ClusterNodeHandle[],
    password: string | undefined,
  ) {
    this.startupNodes = nodes.map((n) => ({ host: n.host, port: n.port }));
    if (password !== undefined) this.password = password;
  }

  private live(): ClusterNodeHandle[] {
    return this.nodes.filter((n) => n.isLive);
  }

  private byId(id: string): ClusterNodeHandle | undefined {
    return this.nodes.find((n) => n.id === id);
  }

  /** CLUSTER NODES from the first live node that answers; refreshes roles. */
  private async topology(): Promise<ClusterNodesEntry[]> {
    let lastError: unknown;
    for (const node of this.live()) {
      try {
        const entries = await clusterNodesOf(node);
        for (const entry of entries) {
          const handle = this.byId(entry.id);
          if (handle !== undefined) handle.role = isMasterEntry(entry) ? 'master' : 'replica';
        }
        return entries;
      } catch (err) {
        lastError = err;
      }
    }
    throw new ClusterError('no cluster node answered CLUSTER NODES', { cause: lastError });
  }

  async masters(): Promise<ClusterNode[]> {
    const owners = new Set(
      (await this.topology()).filter((e) => isMasterEntry(e) && e.slots.length > 0).map((e) => e.id),
    );
    return this.nodes.filter((n) => owners.has(n.id));
  }

  async replicas(): Promise<ClusterNode[]> {
    await this.topology();
    return this.nodes.filter((n) => n.role === 'replica');
  }

  async replicasOf(master: ClusterNode): Promise<ClusterNode[]> {
    const entries = await this.topology();
    return entries
      .filter((e) => e.masterId === master.id && !isMasterEntry(e))
      .map((e) => this.byId(e.id))
      .filter((n): n is ClusterNodeHandle => n !== undefined);
  }

  /**
   * One poll: every live node reports cluster_state:ok and the same view of the live nodes, in which
   * no node is failing or in handshake and every master owns slots (a restarted old master that has
   * not yet learned it was replaced shows up as a master without slots).
   */
  private async healthy(expect?: { master: string; demoted?: string }): Promise<boolean> {
    const live = this.live();
    if (live.length === 0) return false;
    const views = await Promise.all(
      live.map(async (node) => {
        if ((await clusterState(node)) !== 'ok') return undefined;
        const entries = (await clusterNodesOf(node)).filter((e) => this.byId(e.id)?.isLive ?? false);
        if (entries.length !== live.length || !entries.every(isHealthyEntry)) return undefined;
        if (entries.some((e) => isMasterEntry(e) && e.slots.length === 0)) return undefined;
        const roles = entries.map((e) => `${e.id}:${isMasterEntry(e) ? 'master' : e.masterId}`);
        return roles.sort().join(',');
      }),
    );
    const first = views[0];
    if (first === undefined || views.some((v) => v !== first)) return false;
    if (expect === undefined) return true;
    if (!first.includes(`${expect.master}:master`)) return false;
    return expect.demoted === undefined || !first.includes(`${expect.demoted}:master`);
  }

  async waitForOk(timeoutMs = 30_000): Promise<void> {
    await waitFor('cluster_state:ok on every live node', () => this.healthy(), timeoutMs);
    await this.topology();
  }

  async failover(master: ClusterNode): Promise<ClusterNode> {
    const replicas = (await this.replicasOf(master)) as ClusterNodeHandle[];
    const replica = replicas.find((r) => r.isLive);
    if (replica === undefined) {
      throw new ClusterError(`cannot fail over ${master.host}:${master.port}: it has no live replica`);
    }
    let masterAnswers = false;
    if (master.isRunning && !master.isFrozen) {
      masterAnswers = await master.command('PING').then(
        (r) => r === 'PONG',
        () => false,
      );
    }
    const modes = masterAnswers ? [[], ['FORCE'], ['TAKEOVER']] : [['TAKEOVER']];
    const promoted = async (): Promise<boolean> => (await replica.info('replication')).role === 'master';
    for (const mode of modes) {
      await replica.command('CLUSTER', 'FAILOVER', ...mode);
      const ok = await waitFor(`replica ${replica.port} promoted`, promoted, STEP_TIMEOUT_MS).then(
        () => true,
        () => false,
      );
      if (ok) break;
    }
    const expect = masterAnswers ? { master: replica.id, demoted: master.id } : { master: replica.id };
    await waitFor(
      `every live node to see ${replica.host}:${replica.port} as master with cluster_state:ok`,
      () => this.healthy(expect),
      30_000,
    );
    await this.topology();
    return replica;
  }

  async stop(): Promise<void> {
    await Promise.allSettled(this.nodes.map((n) => n.server.destroy()));
  }
}

/**
 * Start a real Redis Cluster on free 127.0.0.1 ports: `masters` masters with the 16384 slots split
 * evenly, `replicasPerMaster` replicas each, `cluster-announce-ip 127.0.0.1`, bus ports allocated with
 * `cluster-port`. Slots are assigned with CLUSTER ADDSLOTSRANGE and nodes joined with CLUSTER MEET;
 * resolves when every node reports `cluster_state:ok` and every replica's link is up.
 *
 * @example
 * ```ts
 * const cluster = await startCluster({ masters: 3, replicasPerMaster: 1 });
 * const client = new Cluster(cluster.startupNodes);
 * ```
 */
export async function startCluster(opts: StartClusterOptions = {}): Promise<RedisCluster> {
  const masterCount = opts.masters ?? 3;
  const replicasPer = opts.replicasPerMaster ?? 0;
  if (!Number.isInteger(masterCount) || masterCount < 1) throw new ClusterError('masters must be >= 1');
  const total = masterCount * (1 + replicasPer);
  const deadline = opts.startTimeoutMs ?? 30_000;
  const servers = await launchMany(total, () =>
    launchRedis(
      {
        password: opts.password,
        extraConfig: clusterConfig(opts.nodeTimeoutMs, opts.password, opts.extraConfig),
      },
      { portDirectives: ['cluster-port'], label: 'cluster node' },
    ),
  );
  const nodes = servers.map((s, i): ClusterNodeHandle => {
    const role: ClusterRole = i < masterCount ? 'master' : 'replica';
    return new ClusterNodeHandle(s, role);
  });
  const cluster = new ClusterImpl(nodes, opts.password);
  try {
    await assemble(nodes, masterCount, replicasPer, deadline);
    await cluster.waitForOk(deadline);
    await Promise.all(
      nodes
        .slice(masterCount)
        .map((replica) =>
          waitFor(
            `replica ${replica.port} link up`,
            async () => (await replica.info('replication')).master_link_status === 'up',
            deadline,
          ),
        ),
    );
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  return cluster;
}
