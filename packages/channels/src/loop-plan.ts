import type { ChannelState, TagInbox } from './channel-state.js';
import type { ChannelKeys } from './keys.js';
import type { Receiver } from './receiver.js';

/** One dequeue call: dirty general queues and inboxes to read, all of one slot. */
export interface PopCall {
  states: ChannelState[];
  inboxes: TagInbox[];
}

/** A key the blocking pop watches: a general channel's queue or an inbox. */
export type Target = ChannelState | TagInbox;

/** What one blocking pop waits on. */
export interface BlockPlan {
  keys: string[];
  kickKey: string;
  targets: Map<string, Target>;
  timeoutMs: number;
  /** `receiver.addVersion` when planned: a newer one means the plan misses a key. */
  version: number;
  /** Other slots (Cluster) that must be polled after this block. */
  others: Target[][];
}

/** Groups the dirty general queues and the inboxes to read into one dequeue call per slot. */
export function popCalls(receiver: Receiver): PopCall[] {
  const calls = new Map<number, PopCall>();
  const callFor = (slot: number): PopCall => {
    let call = calls.get(slot);
    if (call === undefined) {
      call = { states: [], inboxes: [] };
      calls.set(slot, call);
    }
    return call;
  };
  for (const state of receiver.dirty) callFor(state.slot).states.push(state);
  const now = Date.now();
  for (const inbox of receiver.registry.inboxes.values()) {
    if (inbox.drain && receiver.watched(inbox, now)) callFor(inbox.slot).inboxes.push(inbox);
  }
  return [...calls.values()];
}

/**
 * Plans the blocking pop: the queues of wanted general channels and the watched inboxes, plus the
 * loop's kick list. A BLPOP on Cluster takes keys of one slot only: the slot with most targets is
 * blocked on for at most `clusterPollIntervalMs` and the others are polled between blocks.
 * Null when nothing is wanted.
 */
export function planBlock(
  receiver: Receiver,
  keys: ChannelKeys,
  loopId: string,
  isCluster: boolean,
  options: { blockMs: number; clusterPollIntervalMs: number },
): BlockPlan | null {
  const bySlot = new Map<number, Target[]>();
  const add = (slot: number, target: Target) => {
    const list = bySlot.get(slot);
    if (list === undefined) bySlot.set(slot, [target]);
    else list.push(target);
  };
  for (const state of receiver.generalWanted) add(state.slot, state);
  const now = Date.now();
  for (const inbox of receiver.registry.inboxes.values())
    if (receiver.watched(inbox, now)) add(inbox.slot, inbox);
  if (bySlot.size === 0) return null;
  let chosen: Target[] = [];
  for (const list of bySlot.values()) if (list.length > chosen.length) chosen = list;
  const first = chosen[0]!;
  const kickKey = isCluster
    ? keys.kick('tag' in first ? first.tag : first.name, loopId)
    : keys.kick(loopId, '');
  const targets = new Map<string, Target>();
  for (const t of chosen) targets.set(t.key, t);
  const multi = bySlot.size > 1;
  return {
    keys: [kickKey, ...targets.keys()],
    kickKey,
    targets,
    timeoutMs: multi ? Math.min(options.clusterPollIntervalMs, options.blockMs) : options.blockMs,
    version: receiver.addVersion,
    others: multi ? [...bySlot.values()].filter((l) => l !== chosen) : [],
  };
}
