import type { Pool } from '@redpool/pool';
import type { CapacityTable } from './capacity.js';
import type { ChannelKeys } from './keys.js';
import { SCRIPTS } from './scripts.js';
import { keySlot } from './slot.js';

/** What `groupSend` did. */
export interface GroupSendResult {
  /** Members that got the message. */
  delivered: number;
  /** Members whose channel was full: they did not get it (also counted and logged, never silently). */
  full: string[];
}

/** {@link GroupSendResult} plus deliveries by tag, for metrics. */
export interface GroupSendOutcome extends GroupSendResult {
  deliveredByTag: Map<string, number>;
}

export interface GroupSendContext {
  pool: Pool;
  keys: ChannelKeys;
  capacities: CapacityTable;
  expiryMs: number;
  groupExpiryMs: number;
}

/** Rosters visited by one group-enqueue call at most. */
const MAX_PARTS = 200;
const TAG = /^[a-zA-Z0-9\-_.]+!?$/;

/** The arguments of one group-enqueue call: rosters sharing a slot. */
class GroupBatch {
  readonly keys: string[] = [];
  readonly args: Array<string | number> = [];
  readonly tags: string[] = [];
  parts = 0;
}

/**
 * Sends to every member of a group: reads the group's tags (pruning those older than the group
 * expiry), then runs one group-enqueue call per slot, which reads each tag's roster in Redis and
 * stores the message for its members (one inbox entry per process tag). Resolves with how many
 * members got it and the full ones; rejects with the first Redis error (members in other slots
 * may have been served).
 */
export async function sendToGroup(
  ctx: GroupSendContext,
  group: string,
  envelope: Buffer,
): Promise<GroupSendOutcome> {
  const { pool, keys } = ctx;
  const tags = await pool.runScript<string[]>(SCRIPTS.groupMembers, [keys.group(group)], [ctx.groupExpiryMs]);
  if (tags.length === 0) return { delivered: 0, full: [], deliveredByTag: new Map() };
  const cluster = pool.isCluster;
  const batches = new Map<number, GroupBatch[]>();
  for (const tag of tags) {
    if (!TAG.test(tag)) continue;
    const specific = tag.endsWith('!');
    const roster = keys.roster(tag, group);
    const slot = cluster ? keySlot(roster) : 0;
    let list = batches.get(slot);
    if (list === undefined) {
      list = [new GroupBatch()];
      batches.set(slot, list);
    }
    let batch = list[list.length - 1]!;
    if (batch.parts >= MAX_PARTS) {
      batch = new GroupBatch();
      list.push(batch);
    }
    batch.parts++;
    batch.tags.push(tag);
    if (specific) batch.keys.push(roster, keys.inbox(tag), keys.count(tag));
    else batch.keys.push(roster, keys.queue(tag), keys.queue(tag));
    batch.args.push(specific ? 's' : 'g', ctx.capacities.lookup(tag).capacity, tag);
  }
  const all = [...batches.values()].flat();
  const run = (b: GroupBatch) =>
    pool.runScript<[number, number[], ...string[]]>(SCRIPTS.groupEnqueue, b.keys, [
      envelope,
      ctx.expiryMs,
      ctx.groupExpiryMs,
      b.parts,
      ...b.args,
    ]);
  const replies = all.length === 1 ? [await run(all[0]!)] : await runAll(all.map(run));
  let delivered = 0;
  const full: string[] = [];
  const deliveredByTag = new Map<string, number>();
  replies.forEach((reply, b) => {
    const batch = all[b]!;
    reply[1].forEach((n, j) => {
      delivered += Number(n);
      if (Number(n) > 0) deliveredByTag.set(batch.tags[j]!, Number(n));
    });
    for (let i = 2; i < reply.length; i++) full.push(String(reply[i]));
  });
  return { delivered, full, deliveredByTag };
}

async function runAll<T>(calls: Promise<T>[]): Promise<T[]> {
  const settled = await Promise.allSettled(calls);
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<T>).value);
}
