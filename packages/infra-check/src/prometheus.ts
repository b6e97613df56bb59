import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findOnPath } from '@redpool/testkit';
import { type ManagedProcess, startProcess, waitForHttp } from './processes.js';

/** A Prometheus server started for a check. */
export interface PrometheusServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** `127.0.0.1:<port>` (for its own scrape target). */
  readonly address: string;
  readonly process: ManagedProcess;
  stop(): Promise<void>;
}

/** One series of an instant query. */
export interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

/** The answer of `/api/v1/query`. */
export type QueryAnswer =
  | { status: 'success'; data: { resultType: string; result: Sample[] | [number, string] } }
  | { status: 'error'; errorType: string; error: string };

/**
 * Starts `prometheus` on `127.0.0.1:port` with `configText`, a throw-away TSDB, and waits for
 * `/-/ready`. Needs Debian's `prometheus` package (or any prometheus binary on PATH).
 */
export async function startPrometheus(configText: string, port: number): Promise<PrometheusServer> {
  const binary = findOnPath('prometheus');
  if (binary === undefined) throw new Error('prometheus not found on PATH: apt-get install -y prometheus');
  const dir = await mkdtemp(join(tmpdir(), 'redpool-prometheus-'));
  const configFile = join(dir, 'prometheus.yml');
  await writeFile(configFile, configText);
  const address = `127.0.0.1:${port}`;
  const proc = startProcess('prometheus', binary, [
    `--config.file=${configFile}`,
    `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=${address}`,
    '--log.level=warn',
  ]);
  const stop = async () => {
    await proc.stop();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitForHttp(`http://${address}/-/ready`, proc, 30_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url: `http://${address}`, address, process: proc, stop };
}

async function api<T>(url: string, path: string, form?: Record<string, string>): Promise<T> {
  const res = await fetch(`${url}${path}`, {
    method: form ? 'POST' : 'GET',
    ...(form ? { body: new URLSearchParams(form) } : {}),
    signal: AbortSignal.timeout(10_000),
  });
  return (await res.json()) as T;
}

/** Runs an instant query through `/api/v1/query` (errors come back as `status: 'error'`). */
export function instantQuery(url: string, expr: string): Promise<QueryAnswer> {
  return api<QueryAnswer>(url, '/api/v1/query', { query: expr });
}

/** Every metric name Prometheus holds (`/api/v1/label/__name__/values`). */
export async function storedMetricNames(url: string): Promise<Set<string>> {
  const answer = await api<{ data: string[] }>(url, '/api/v1/label/__name__/values');
  return new Set(answer.data);
}

/** The active scrape targets and their health. */
export interface TargetHealth {
  job: string;
  instance: string;
  health: string;
  lastError: string;
  lastScrape: string;
}

export async function activeTargets(url: string): Promise<TargetHealth[]> {
  const answer = await api<{
    data: {
      activeTargets: Array<{
        labels: Record<string, string>;
        health: string;
        lastError: string;
        lastScrape: string;
      }>;
    };
  }>(url, '/api/v1/targets?state=active');
  return answer.data.activeTargets.map((t) => ({
    job: t.labels.job ?? '',
    instance: t.labels.instance ?? '',
    health: t.health,
    lastError: t.lastError,
    lastScrape: t.lastScrape,
  }));
}

/**
 * Waits until every active target has been scraped successfully (`health: up`); throws with the
 * unhealthy targets and their last errors after `timeoutMs`.
 */
export async function waitForTargetsUp(url: string, timeoutMs = 30_000): Promise<TargetHealth[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const targets = await activeTargets(url);
    const down = targets.filter((t) => t.health !== 'up');
    if (targets.length > 0 && down.length === 0) return targets;
    if (Date.now() > deadline) {
      throw new Error(
        `targets not up after ${timeoutMs} ms:\n${down.map((t) => `  ${t.job} ${t.instance}: ${t.health} ${t.lastError}`).join('\n')}`,
      );
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}
