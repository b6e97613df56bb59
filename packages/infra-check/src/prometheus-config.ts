import { isAbsolute, resolve } from 'node:path';
import { parse, stringify } from 'yaml';

/** How {@link rewritePrometheusConfig} turns the deployed config into one for a local check. */
export interface RewriteOptions {
  /**
   * Every address written in the file (`host:port`, as in `targets` and relabel `replacement`s)
   * mapped to the address to use instead. A target with no mapping throws: the check must
   * account for every component the real config scrapes.
   */
  addresses: Readonly<Record<string, string>>;
  /** Directory of the original file: relative `rule_files` are resolved against it. */
  baseDir: string;
  /** `scrape_interval` and `evaluation_interval` of the check. @defaultValue '1s' */
  interval?: string;
}

interface ScrapeConfig {
  job_name: string;
  scrape_interval?: string;
  scrape_timeout?: string;
  static_configs?: Array<{ targets?: string[]; labels?: Record<string, string> }>;
  relabel_configs?: Array<{ replacement?: string; [key: string]: unknown }>;
  [key: string]: unknown;
}

interface PrometheusConfig {
  global?: Record<string, unknown>;
  rule_files?: string[];
  scrape_configs?: ScrapeConfig[];
  [key: string]: unknown;
}

function mapAddress(value: string, addresses: Readonly<Record<string, string>>): string | undefined {
  for (const [from, to] of Object.entries(addresses)) {
    if (value === from) return to;
    // Multi-target exporters take URLs as targets: redis://redis-core:6379.
    if (value.includes(`//${from}`)) return value.replace(`//${from}`, `//${to}`);
  }
  return undefined;
}

/**
 * Rewrites a Prometheus config for a local check: every scrape target and relabel replacement
 * address mapped through `addresses`, every interval shortened, rule files made absolute. Job
 * names, labels, metrics paths and relabelling stay as deployed, so the dashboards see the same
 * label sets as in production.
 */
export function rewritePrometheusConfig(text: string, options: RewriteOptions): string {
  const config = parse(text) as PrometheusConfig;
  const interval = options.interval ?? '1s';
  config.global = {
    ...(config.global ?? {}),
    scrape_interval: interval,
    scrape_timeout: interval,
    evaluation_interval: interval,
  };
  config.rule_files = (config.rule_files ?? []).map((f) => (isAbsolute(f) ? f : resolve(options.baseDir, f)));
  delete config.alerting;
  for (const job of config.scrape_configs ?? []) {
    delete job.scrape_interval;
    delete job.scrape_timeout;
    for (const group of job.static_configs ?? []) {
      group.targets = (group.targets ?? []).map((target) => {
        const mapped = mapAddress(target, options.addresses);
        if (mapped === undefined)
          throw new Error(`job ${job.job_name}: no address given for target ${target}`);
        return mapped;
      });
    }
    for (const relabel of job.relabel_configs ?? []) {
      if (relabel.replacement === undefined) continue;
      relabel.replacement = mapAddress(relabel.replacement, options.addresses) ?? relabel.replacement;
    }
  }
  return stringify(config);
}

/** Job names and their static targets, as written in a Prometheus config. */
export function scrapeTargets(text: string): Map<string, string[]> {
  const config = parse(text) as PrometheusConfig;
  const out = new Map<string, string[]>();
  for (const job of config.scrape_configs ?? []) {
    out.set(
      job.job_name,
      (job.static_configs ?? []).flatMap((g) => g.targets ?? []),
    );
  }
  return out;
}
