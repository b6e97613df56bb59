import { existsSync } from 'node:fs';
import { describe, expect, test } from '@jest/globals';
import { loadRules, promtool, scrapeTargets } from '../../src/index.js';
import {
  ALERTS_YML,
  INFRA,
  markdownAnchors,
  OPERATIONS_MD,
  PROMETHEUS_YML,
  readText,
  readYaml,
} from '../helpers.js';

const rules = loadRules(ALERTS_YML);
const alerts = rules.filter((r) => r.kind === 'alert');

test('promtool check config accepts prometheus.yml (and the rule files it names)', () => {
  const result = promtool(['check', 'config', PROMETHEUS_YML]);
  expect([result.code, result.output]).toEqual([0, expect.stringContaining('SUCCESS')]);
});

test('promtool check rules accepts alerts.yml', () => {
  const result = promtool(['check', 'rules', ALERTS_YML]);
  expect([result.code, result.output]).toEqual([0, expect.stringContaining('SUCCESS')]);
});

test('prometheus.yml scrapes the ws-servers, the worker, both Redis roles through redis_exporter, and itself', () => {
  const jobs = scrapeTargets(readText(PROMETHEUS_YML));
  expect([...jobs.keys()].sort()).toEqual(['prometheus', 'redis', 'redis-exporter', 'worker', 'ws-server']);
  expect(jobs.get('ws-server')).toEqual(['ws-server-1:9464', 'ws-server-2:9464']);
  expect(jobs.get('worker')).toEqual(['worker:9400']);
  expect(jobs.get('redis')).toEqual(['redis://redis-core:6379', 'redis://redis-cache:6379']);
  const config = readYaml<{
    scrape_configs: Array<{ job_name: string; static_configs: Array<{ labels?: object }> }>;
  }>(PROMETHEUS_YML);
  const redis = config.scrape_configs.find((j) => j.job_name === 'redis');
  expect(redis?.static_configs.map((g) => g.labels)).toEqual([{ role: 'core' }, { role: 'cache' }]);
});

test('every scrape target is a service of infra/compose.yaml on the port it listens on', () => {
  const compose = readYaml<{ services: Record<string, { environment?: Record<string, string> }> }>(
    `${INFRA}/compose.yaml`,
  );
  const ports: Record<string, string> = { 'ws-server': '9464', worker: '9400', 'redis-exporter': '9121' };
  for (const [job, targets] of scrapeTargets(readText(PROMETHEUS_YML))) {
    if (job === 'prometheus') continue;
    for (const target of targets) {
      const host = target.replace(/^redis:\/\//, '').split(':')[0]!;
      expect([job, host, host in compose.services]).toEqual([job, host, true]);
    }
  }
  // The ws-servers serve /metrics on their operations listener only, open to the compose network.
  for (const name of ['ws-server-1', 'ws-server-2']) {
    expect(compose.services[name]?.environment?.WS_ADMIN_PORT).toBe(ports['ws-server']);
    expect(compose.services[name]?.environment?.WS_ADMIN_HOST).toBe('0.0.0.0');
  }
  expect(compose.services.worker?.environment?.WORKER_HTTP_PORT).toBe(ports.worker);
  // The worker binds loopback by default: Prometheus reaches it only when compose says 0.0.0.0.
  expect(compose.services.worker?.environment?.WORKER_HTTP_HOST).toBe('0.0.0.0');
});

describe('alert rules', () => {
  test('are exactly the documented set (each has a runbook in docs/operations.md)', () => {
    expect(alerts.map((a) => a.name).sort()).toEqual(
      [
        'RedisClientsNearMax',
        'RedisDown',
        'RedisMemoryHigh',
        'RedisRejectedConnections',
        'RedpoolHeartbeatStale',
        'RedpoolPoolAcquireTimeouts',
        'RedpoolPoolDown',
        'RedpoolPoolUsageHigh',
        'RedpoolPoolUsageReportMissing',
        'RedpoolTargetDown',
        'RedpoolWsCapacityDropsRising',
        'RedpoolWsDrainOverdue',
        'RedpoolWsSlowConsumers',
        'RedpoolWsWorkerCrashed',
        'RedpoolWsWorkerReportsMissed',
        'RedpoolWsWorkersShort',
      ].sort(),
    );
  });

  test.each(alerts.map((a) => [a.name, a] as const))(
    '%s: for, severity, summary, description, runbook',
    (_, alert) => {
      expect(alert.for).toMatch(/^\d+[smh]$/);
      expect(['critical', 'warning']).toContain(alert.labels.severity);
      expect(alert.annotations.summary?.length).toBeGreaterThan(10);
      expect(alert.annotations.description?.length).toBeGreaterThan(40);
      expect(alert.annotations.runbook_url).toBe(`docs/operations.md#${alert.name.toLowerCase()}`);
    },
  );

  test('every runbook link lands on a heading of docs/operations.md', () => {
    expect(existsSync(OPERATIONS_MD)).toBe(true);
    const anchors = markdownAnchors(readText(OPERATIONS_MD));
    const missing = alerts
      .map((a) => a.annotations.runbook_url!.split('#')[1]!)
      .filter((a) => !anchors.has(a));
    expect(missing).toEqual([]);
  });

  test('the pool usage alert fires at 90 % for 5 minutes', () => {
    const alert = alerts.find((a) => a.name === 'RedpoolPoolUsageHigh')!;
    expect(alert.expr).toMatch(/>= 0\.9$/);
    expect(alert.for).toBe('5m');
  });
});
