import { formatDuration, parseDuration } from './duration.js';
import { InvalidOptionError } from './errors.js';
import { globToRegExp } from './glob.js';
import { isValidChannel } from './names.js';

/** History bounds of the channels matching one pattern. */
export interface ChannelRule {
  /** Glob over channel names: `*` matches any run of characters (`chat.*`), anything else itself. */
  readonly pattern: string;
  /** Most messages kept in a channel's history; older ones are trimmed when a new one arrives. */
  readonly capacity: number;
  /** How long a message stays in the history (and can be recovered), in milliseconds. */
  readonly ttlMs: number;
}

/** Smallest and largest allowed `capacity`. */
export const CAPACITY_RANGE = { min: 1, max: 1_000_000 } as const;
/** Smallest and largest allowed `ttlMs` (100 ms to 30 days). */
export const TTL_RANGE_MS = { min: 100, max: 30 * 86_400_000 } as const;

/** Rules used when none are configured: `chat.*` 2000 messages for 10 s, `notifications.*` 500 for 24 h. */
export const DEFAULT_CHANNEL_RULES_SPEC = 'chat.*=2000:10s,notifications.*=500:24h';
/** Bounds of channels no rule matches. */
export const DEFAULT_CHANNEL_FALLBACK_SPEC = '100:60s';

/**
 * Ordered channel rules plus a fallback: the first rule whose pattern matches a channel decides
 * its capacity and expiry.
 * @example
 * const rules = ChannelRules.parse('chat.*=2000:10s,notifications.*=500:24h', '100:60s');
 * rules.match('chat.lobby'); // { pattern: 'chat.*', capacity: 2000, ttlMs: 10000 }
 */
export class ChannelRules {
  private readonly compiled: { rule: ChannelRule; re: RegExp }[];
  private readonly cache = new Map<string, ChannelRule>();

  constructor(
    readonly rules: readonly ChannelRule[],
    readonly fallback: ChannelRule,
  ) {
    for (const [i, rule] of rules.entries()) validateRule(rule, `channels[${i}]`);
    validateRule(fallback, 'fallback');
    this.compiled = rules.map((rule) => ({ rule, re: globToRegExp(rule.pattern) }));
  }

  /**
   * Parses `pattern=capacity:ttl[,pattern=capacity:ttl…]` and a `capacity:ttl` fallback.
   * `field` / `fallbackField` name the setting in error messages (e.g. the environment variable).
   * @throws InvalidOptionError naming the field, the bad value and the allowed range.
   */
  static parse(
    spec: string = DEFAULT_CHANNEL_RULES_SPEC,
    fallbackSpec: string = DEFAULT_CHANNEL_FALLBACK_SPEC,
    field = 'channels',
    fallbackField = 'fallback',
  ): ChannelRules {
    const rules: ChannelRule[] = [];
    for (const part of spec.split(',')) {
      const item = part.trim();
      if (item === '') continue;
      const eq = item.indexOf('=');
      if (eq <= 0)
        throw new InvalidOptionError(
          field,
          item,
          'comma-separated pattern=capacity:ttl, e.g. chat.*=2000:10s',
        );
      const pattern = item.slice(0, eq).trim();
      // A pattern is a channel name in which `*` may stand for any run of characters.
      if (!isValidChannel(pattern.replaceAll('*', '_')))
        throw new InvalidOptionError(
          field,
          pattern,
          'a pattern of letters, digits, _ - . : @ = and * (glob)',
        );
      rules.push({ pattern, ...parseBounds(item.slice(eq + 1), field) });
    }
    const fallback = { pattern: '*', ...parseBounds(fallbackSpec, fallbackField) };
    return new ChannelRules(rules, fallback);
  }

  /** The rule of `channel`: the first matching pattern, else the fallback. */
  match(channel: string): ChannelRule {
    let rule = this.cache.get(channel);
    if (rule) return rule;
    rule = this.compiled.find((c) => c.re.test(channel))?.rule ?? this.fallback;
    if (this.cache.size >= 10_000) this.cache.clear();
    this.cache.set(channel, rule);
    return rule;
  }

  /** The longest `ttlMs` over all rules and the fallback. */
  get maxTtlMs(): number {
    return Math.max(this.fallback.ttlMs, ...this.rules.map((r) => r.ttlMs));
  }

  /** The rules in the syntax {@link ChannelRules.parse} reads. */
  toString(): string {
    return this.rules.map((r) => `${r.pattern}=${r.capacity}:${formatDuration(r.ttlMs)}`).join(',');
  }
}

function parseBounds(text: string, field: string): { capacity: number; ttlMs: number } {
  const [capText, ttlText, extra] = text.split(':').map((s) => s.trim());
  if (capText === undefined || ttlText === undefined || extra !== undefined)
    throw new InvalidOptionError(field, text, 'capacity:ttl, e.g. 2000:10s');
  if (!/^\d+$/.test(capText)) throw new InvalidOptionError(field, capText, capacityAllowed());
  const capacity = Number(capText);
  const ttlMs = parseDuration(ttlText, field);
  validateRule({ pattern: '*', capacity, ttlMs }, field);
  return { capacity, ttlMs };
}

function validateRule(rule: ChannelRule, field: string): void {
  if (
    !Number.isInteger(rule.capacity) ||
    rule.capacity < CAPACITY_RANGE.min ||
    rule.capacity > CAPACITY_RANGE.max
  )
    throw new InvalidOptionError(`${field}.capacity`, rule.capacity, capacityAllowed());
  if (!Number.isInteger(rule.ttlMs) || rule.ttlMs < TTL_RANGE_MS.min || rule.ttlMs > TTL_RANGE_MS.max)
    throw new InvalidOptionError(`${field}.ttl`, rule.ttlMs, 'a duration from 100ms to 30d');
  if (typeof rule.pattern !== 'string' || rule.pattern === '')
    throw new InvalidOptionError(`${field}.pattern`, rule.pattern, 'a non-empty glob such as chat.*');
}

function capacityAllowed(): string {
  return `an integer from ${CAPACITY_RANGE.min} to ${CAPACITY_RANGE.max}`;
}
