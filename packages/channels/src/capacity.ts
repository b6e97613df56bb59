/**
 * Per-channel capacities: an object or an ordered list of pattern → capacity. A string pattern is
 * a glob matched against the whole channel name (`*` any run, `?` one character, `[abc]`/`[!abc]`
 * a set, as Python's fnmatch); a RegExp is used as given. The first match wins. A process-specific
 * channel (`a.b!c`) is matched by its non-local name `a.b!` (its random local part tells nothing),
 * so `'http.response!*'` covers all of them.
 * @example
 * { 'chat.*': 2000, 'notifications.*': 500 }
 * [['http.response!*', 10], [/^ws\./, 500]]
 */
export type ChannelCapacity =
  | Readonly<Record<string, number>>
  | ReadonlyArray<readonly [pattern: string | RegExp, capacity: number]>;

/** One compiled rule. */
export interface CapacityRule {
  /** The pattern as given (glob text or regex source): the `pattern` label of metrics. */
  readonly label: string;
  readonly regex: RegExp;
  readonly capacity: number;
}

/** Label of channels that match no rule. */
export const DEFAULT_PATTERN_LABEL = 'default';

const CACHE_LIMIT = 10_000;

/** Translates a glob into an anchored RegExp the way Python's `fnmatch.translate` does. */
export function globToRegExp(glob: string): RegExp {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') {
      out += '.*';
    } else if (c === '?') {
      out += '.';
    } else if (c === '[') {
      const close = glob.indexOf(']', i + (glob[i + 1] === '!' ? 3 : 2));
      if (close < 0) {
        out += '\\[';
        continue;
      }
      let body = glob.slice(i + 1, close).replace(/\\/g, '\\\\');
      if (body.startsWith('!')) body = `^${body.slice(1)}`;
      else if (body.startsWith('^')) body = `\\${body}`;
      out += `[${body}]`;
      i = close;
    } else {
      out += c.replace(/[.+^${}()|\\/-]/g, '\\$&');
    }
  }
  return new RegExp(`^(?:${out})$`, 's');
}

/** Compiles the rules in order; throws via `invalid(field, value)` on a bad entry. */
export function compileCapacities(
  spec: ChannelCapacity,
  validCapacity: (field: string, value: unknown) => number,
  invalid: (field: string, value: unknown, allowed: string) => never,
): CapacityRule[] {
  const entries: ReadonlyArray<readonly [unknown, unknown]> = Array.isArray(spec)
    ? (spec as ReadonlyArray<readonly [unknown, unknown]>)
    : Object.entries(spec);
  return entries.map((entry, index) => {
    if (!Array.isArray(entry) || entry.length !== 2) {
      invalid(`channelCapacity[${index}]`, entry, 'a [pattern, capacity] pair');
    }
    const [pattern, capacity] = entry;
    const field = `channelCapacity[${JSON.stringify(pattern instanceof RegExp ? String(pattern) : pattern)}]`;
    if (pattern instanceof RegExp) {
      return { label: pattern.source, regex: pattern, capacity: validCapacity(field, capacity) };
    }
    if (typeof pattern !== 'string' || pattern.length === 0) {
      invalid(`channelCapacity[${index}]`, pattern, 'a non-empty glob string or a RegExp');
    }
    return { label: pattern, regex: globToRegExp(pattern), capacity: validCapacity(field, capacity) };
  });
}

/** Looks up the capacity and metric label of channels, caching recent answers. */
export class CapacityTable {
  private readonly cache = new Map<string, { capacity: number; label: string }>();

  constructor(
    private readonly rules: readonly CapacityRule[],
    private readonly fallback: number,
  ) {}

  /** The capacity of `channel` and the label of the rule that set it. */
  lookup(channel: string): { capacity: number; label: string } {
    const bang = channel.indexOf('!');
    const subject = bang < 0 ? channel : channel.slice(0, bang + 1);
    const hit = this.cache.get(subject);
    if (hit !== undefined) return hit;
    let found = { capacity: this.fallback, label: DEFAULT_PATTERN_LABEL };
    for (const rule of this.rules) {
      rule.regex.lastIndex = 0;
      if (rule.regex.test(subject)) {
        found = { capacity: rule.capacity, label: rule.label };
        break;
      }
    }
    if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
    this.cache.set(subject, found);
    return found;
  }
}
