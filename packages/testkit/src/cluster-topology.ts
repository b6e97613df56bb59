/** One line of CLUSTER NODES. Internal. */
export interface ClusterNodesEntry {
  id: string;
  host: string;
  port: number;
  flags: string[];
  /** Master id for replicas, `-` for masters. */
  masterId: string;
  linkState: string;
  /** Slot tokens as printed, e.g. `0-5460`. */
  slots: string[];
}

/** Parse CLUSTER NODES output. */
export function parseClusterNodes(text: string): ClusterNodesEntry[] {
  const entries: ClusterNodesEntry[] = [];
  for (const line of text.split('\n')) {
    const parts = line.trim().split(' ');
    if (parts.length < 8) continue;
    const [id, addr, flags, masterId, , , , linkState, ...slots] = parts;
    const hostPort = (addr ?? '').split('@')[0] ?? '';
    const sep = hostPort.lastIndexOf(':');
    entries.push({
      id: id!,
      host: hostPort.slice(0, sep),
      port: Number(hostPort.slice(sep + 1)),
      flags: (flags ?? '').split(','),
      masterId: masterId!,
      linkState: linkState!,
      slots,
    });
  }
  return entries;
}

/** True when the entry is a master (by flags). */
export function isMasterEntry(entry: ClusterNodesEntry): boolean {
  return entry.flags.includes('master');
}

/** True when the entry has no transient/failure flags. */
export function isHealthyEntry(entry: ClusterNodesEntry): boolean {
  return !entry.flags.some((f) => f === 'fail' || f === 'fail?' || f === 'handshake' || f === 'noaddr');
}

/** Contiguous slot range `[start, end]` owned by master `index` of `count`. */
export function slotRange(index: number, count: number): [number, number] {
  const start = Math.floor((index * 16384) / count);
  const end = Math.floor(((index + 1) * 16384) / count) - 1;
  return [start, end];
}
