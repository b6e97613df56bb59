import { spawnSync } from 'node:child_process';
import { findOnPath } from '@redpool/testkit';

/** Exit code and combined output of one promtool run. */
export interface PromtoolResult {
  code: number;
  output: string;
}

/** Runs `promtool <args>` (Debian's `prometheus` package), feeding `input` on stdin. */
export function promtool(args: readonly string[], input?: string): PromtoolResult {
  const binary = findOnPath('promtool');
  if (binary === undefined) throw new Error('promtool not found on PATH: apt-get install -y prometheus');
  const run = spawnSync(binary, args, { input, encoding: 'utf8', timeout: 30_000 });
  return { code: run.status ?? -1, output: `${run.stdout ?? ''}${run.stderr ?? ''}`.trim() };
}

/**
 * Problems `promtool check metrics` reports for prom-client's own default metrics, which are not
 * ours to rename (`nodejs_active_handles_total` and friends are gauges named like counters).
 */
export const PROM_CLIENT_DEFAULT_METRIC_PROBLEMS: readonly RegExp[] = [
  /^(?:[a-zA-Z_:][a-zA-Z0-9_:]*_)?nodejs_active_(handles|requests|resources)_total non-counter metrics should not have "_total" suffix$/,
];

/**
 * `promtool check metrics` on an exposition text: the problems it reports, minus the ones of
 * prom-client's default metrics. Empty when the text is clean.
 */
export function checkMetricsText(text: string): string[] {
  const { output } = promtool(['check', 'metrics'], text);
  return output
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0 && !PROM_CLIENT_DEFAULT_METRIC_PROBLEMS.some((re) => re.test(l)));
}
