import { InvalidOptionError } from './errors.js';

const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Parses a duration such as `500ms`, `10s`, `5m`, `24h`, `7d` (or a bare number of milliseconds)
 * into milliseconds.
 * @throws InvalidOptionError naming `field` when the text is not a duration.
 */
export function parseDuration(text: string, field: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(text);
  if (!match) throw new InvalidOptionError(field, text, 'a duration like 500ms, 10s, 5m, 24h or 7d');
  const ms = Number(match[1]) * UNITS[match[2] ?? 'ms']!;
  if (!Number.isSafeInteger(Math.round(ms))) throw new InvalidOptionError(field, text, 'a finite duration');
  return Math.round(ms);
}

/** Formats milliseconds the way {@link parseDuration} reads them (`10s`, `24h`, `1500ms`). */
export function formatDuration(ms: number): string {
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    const size = UNITS[unit]!;
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}
