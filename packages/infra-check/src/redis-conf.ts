import { readFileSync } from 'node:fs';

/**
 * The directives of a redis.conf as `directive -> values` (a repeated directive keeps every
 * value, in order), comments and blank lines dropped. Values are kept verbatim.
 */
export function redisConfDirectives(file: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const raw of readFileSync(file, 'utf8').split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const space = line.search(/\s/);
    const directive = (space < 0 ? line : line.slice(0, space)).toLowerCase();
    const value = space < 0 ? '' : line.slice(space + 1).trim();
    out.set(directive, [...(out.get(directive) ?? []), value]);
  }
  return out;
}
