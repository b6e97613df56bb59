import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';

/** The repository root. */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const INFRA = join(ROOT, 'infra');
export const DASHBOARD_DIR = join(INFRA, 'grafana', 'dashboards');
export const PROMETHEUS_YML = join(INFRA, 'prometheus', 'prometheus.yml');
export const ALERTS_YML = join(INFRA, 'prometheus', 'alerts.yml');
export const OPERATIONS_MD = join(ROOT, 'docs', 'operations.md');
export const CONFIGURATION_MD = join(ROOT, 'docs', 'configuration.md');

/** The ws-server's drain grace period when nothing overrides it (`WS_DRAIN_GRACE_SECONDS`' default), in seconds. */
export const WS_DRAIN_GRACE_SECONDS = 30;

export const dashboardFiles = (): string[] =>
  readdirSync(DASHBOARD_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => join(DASHBOARD_DIR, f));

export const readText = (file: string): string => readFileSync(file, 'utf8');

/** One YAML document (anchors and `<<` merge keys resolved). */
export const readYaml = <T = Record<string, unknown>>(file: string): T =>
  parse(readText(file), { merge: true }) as T;

/** Every document of a multi-document YAML file; throws on the first parse error. */
export function readYamlDocuments<T = Record<string, unknown>>(file: string): T[] {
  return parseAllDocuments(readText(file), { merge: true }).map((doc) => {
    if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors.map((e) => e.message).join('; ')}`);
    return doc.toJS() as T;
  });
}

/** GitHub's heading anchors of a Markdown file (lower case, punctuation dropped, spaces → '-'). */
export function markdownAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    const match = !fenced && /^#{1,6}\s+(.+?)\s*#*\s*$/.exec(line);
    if (!match) continue;
    const slug = match[1]!
      .toLowerCase()
      .replace(/`/g, '')
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    let unique = slug;
    for (let n = 1; anchors.has(unique); n++) unique = `${slug}-${n}`;
    anchors.add(unique);
  }
  return anchors;
}

/** Environment variables documented in docs/configuration.md (every backticked UPPER_CASE name in a table row). */
export function documentedVariables(markdown: string): Set<string> {
  const names = new Set<string>();
  for (const line of markdown.split('\n')) {
    if (!line.startsWith('|')) continue;
    for (const m of line.matchAll(/`([A-Z][A-Z0-9_]+)`/g)) names.add(m[1]!);
  }
  return names;
}

/** Parses a Go/Prometheus duration like `45s`, `1m30s`, `2h` into seconds. */
export function durationSeconds(text: string): number {
  const units: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86_400 };
  let total = 0;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g;
  let consumed = '';
  for (const m of text.matchAll(re)) {
    total += Number(m[1]) * units[m[2]!]!;
    consumed += m[0];
  }
  if (consumed !== text) throw new Error(`not a duration: ${text}`);
  return total;
}
