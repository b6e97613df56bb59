import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parse } from 'yaml';

/** One rule of a Prometheus rule file. */
export interface Rule {
  source: string;
  group: string;
  kind: 'alert' | 'record';
  /** Alert or record name. */
  name: string;
  expr: string;
  for?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

interface RuleFile {
  groups?: Array<{
    name: string;
    rules?: Array<{
      alert?: string;
      record?: string;
      expr: string;
      for?: string;
      labels?: Record<string, string>;
      annotations?: Record<string, string>;
    }>;
  }>;
}

/** Reads every rule of a Prometheus rule file. */
export function loadRules(file: string): Rule[] {
  const doc = parse(readFileSync(file, 'utf8')) as RuleFile;
  const out: Rule[] = [];
  for (const group of doc.groups ?? []) {
    for (const rule of group.rules ?? []) {
      const base = {
        source: basename(file),
        group: group.name,
        expr: String(rule.expr).trim(),
        labels: rule.labels ?? {},
        annotations: rule.annotations ?? {},
        ...(rule.for !== undefined ? { for: rule.for } : {}),
      };
      if (rule.alert !== undefined) out.push({ ...base, kind: 'alert', name: rule.alert });
      else out.push({ ...base, kind: 'record', name: rule.record ?? '?' });
    }
  }
  return out;
}
