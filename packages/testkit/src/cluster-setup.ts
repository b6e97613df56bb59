import type { ClusterNodeHandle } from './cluster-node.js';
import { slotRange } from './cluster-topology.js';
import { type ConfigValue, quoteConfigArg } from './redis-config.js';
import { RespReplyError } from './resp.js';
import { waitFor } from './wait.js';

/** redis.conf directives of every cluster node. */
export function clusterConfig(
  nodeTimeoutMs: number | undefined,
  password: string | undefined,
  extraConfig: Readonly<Record<string, ConfigValue>> | undefined,
): Record<string, ConfigValue> {
  const config: Record<string, ConfigValue> = {
    'cluster-enabled': 'yes',
    'cluster-config-file': 'nodes.conf',
    'cluster-node-timeout': nodeTimeoutMs ?? 2000,
    'cluster-announce-ip': '127.0.0.1',
    // Replicas may always be promoted, however stale: tests fail over on purpose.
    'cluster-replica-validity-factor': 0,
    'cluster-allow-replica-migration': 'no',
  };
  if (password !== undefined) config.masterauth = quoteConfigArg(password);
  return { ...config, ...extraConfig };
}

async function retryUntilAccepted(
  what: string,
  send: () => Promise<unknown>,
  timeoutMs: number,
): Promise<void> {
  await waitFor(
    what,
    async () => {
      await send();
      return true;
    },
    timeoutMs,
    50,
  );
}

async function addSlots(node: ClusterNodeHandle, start: number, end: number): Promise<void> {
  await node.command('CLUSTER', 'ADDSLOTSRANGE', start, end).catch(async (err: unknown) => {
    if (!(err instanceof RespReplyError)) throw err;
    // Redis < 7.0 has no ADDSLOTSRANGE.
    await node.command(
      'CLUSTER',
      'ADDSLOTS',
      ...Array.from({ length: end - start + 1 }, (_, k) => start + k),
    );
  });
}

/**
 * Turn freshly started cluster-enabled nodes into one cluster: read ids, give every node a distinct
 * config epoch, split the slots over the first `masterCount` nodes, MEET everyone (with explicit bus
 * ports), then make node `masterCount + k` a replica of master `floor(k / replicasPer)`.
 */
export async function assemble(
  nodes: ClusterNodeHandle[],
  masterCount: number,
  replicasPer: number,
  timeoutMs: number,
): Promise<void> {
  await Promise.all(
    nodes.map(async (node, i) => {
      node.id = String(await node.command('CLUSTER', 'MYID'));
      await node.command('CLUSTER', 'SET-CONFIG-EPOCH', i + 1);
      if (i < masterCount) await addSlots(node, ...slotRange(i, masterCount));
    }),
  );
  const [first, ...others] = nodes;
  await Promise.all(others.map((n) => first!.command('CLUSTER', 'MEET', n.host, n.port, n.busPort)));
  await Promise.all(
    nodes.slice(masterCount).map((replica, k) => {
      const master = nodes[Math.floor(k / replicasPer)]!;
      return retryUntilAccepted(
        `${replica.port} to replicate ${master.port}`,
        () => replica.command('CLUSTER', 'REPLICATE', master.id),
        timeoutMs,
      );
    }),
  );
}
