/**
 * The name among `candidates` closest to `name` (case-insensitive edit distance), or undefined
 * when none is close enough to be a likely typo: at most a third of the name's length apart,
 * or a candidate that starts with the name (`commandTimeout` → `commandTimeoutMs`).
 * @example
 * closestName('maxConnection', ['maxConnections', 'minIdle']); // 'maxConnections'
 */
export function closestName(name: string, candidates: Iterable<string>): string | undefined {
  const wanted = name.toLowerCase();
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const lower = candidate.toLowerCase();
    const distance = lower.startsWith(wanted) && wanted.length >= 4 ? 0.5 : editDistance(wanted, lower);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

/**
 * The first own key of `options` that is not in `known`, with the closest known name, or
 * undefined when every key is known. For option objects whose typos must fail at start-up
 * instead of being silently ignored.
 */
export function findUnknownOption(
  options: object,
  known: ReadonlySet<string>,
): { field: string; closest: string | undefined } | undefined {
  for (const field of Object.keys(options)) {
    if (!known.has(field)) return { field, closest: closestName(field, known) };
  }
  return undefined;
}

/** Levenshtein distance, two rows. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length]!;
}
