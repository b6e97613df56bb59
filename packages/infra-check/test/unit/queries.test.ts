import { describe, expect, test } from '@jest/globals';
import { parse } from 'yaml';
import {
  type Dashboard,
  dashboardChecks,
  metricNames,
  panelQueries,
  rewritePrometheusConfig,
  substituteVariables,
  syntaxErrors,
  variableQueries,
} from '../../src/index.js';

describe('metricNames', () => {
  test('finds every selected metric, not label names, functions or keywords', () => {
    const expr =
      'sum by (pool, state) (rate(redpool_a_total{pool=~"x"}[5m])) / on (pool) group_left max(redpool_b) or vector(0)';
    expect(metricNames(expr)).toEqual(['redpool_a_total', 'redpool_b']);
  });

  test('histogram buckets keep their _bucket name', () => {
    expect(metricNames('histogram_quantile(0.99, sum by (le) (rate(x_seconds_bucket[1m])))')).toEqual([
      'x_seconds_bucket',
    ]);
  });

  test('syntaxErrors flags broken queries and unsubstituted Grafana variables', () => {
    expect(syntaxErrors('rate(x_total[5m])')).toEqual([]);
    expect(syntaxErrors('rate(x_total[$__rate_interval])').length).toBeGreaterThan(0);
    expect(syntaxErrors('sum(x) by (a').length).toBeGreaterThan(0);
  });
});

describe('substituteVariables', () => {
  const values = { __rate_interval: '15s', pool: '.*', datasource: 'prometheus' };

  test('replaces $name, {name} in braces, with a :format, and [[name]]', () => {
    expect(substituteVariables('rate(x{pool=~"$pool"}[$__rate_interval])', values)).toBe(
      'rate(x{pool=~".*"}[15s])',
    );
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana variable syntax, not a JS template
    expect(substituteVariables('x{a="${pool}", b="${pool:regex}", c="[[pool]]"}', values)).toBe(
      'x{a=".*", b=".*", c=".*"}',
    );
  });

  test('an unknown variable throws instead of passing through', () => {
    expect(() => substituteVariables('x{pool=~"$pol"}', values)).toThrow(/unknown Grafana variable \$pol/);
  });
});

const dashboard: Dashboard = {
  uid: 'test-dash',
  title: 'Test',
  templating: {
    list: [
      { name: 'datasource', type: 'datasource', query: 'prometheus' },
      { name: 'pool', type: 'query', query: { query: 'label_values(redpool_pool_up{job=~"$job"}, pool)' } },
      {
        name: 'job',
        type: 'query',
        query: 'label_values(redpool_pool_up, job)',
        allValue: 'ws-server|worker',
      },
    ],
  },
  panels: [
    { type: 'row', title: 'Open row', panels: [] },
    { type: 'timeseries', title: 'A', targets: [{ refId: 'A', expr: 'rate(a_total[$__rate_interval])' }] },
    {
      type: 'row',
      title: 'Collapsed row',
      panels: [
        { type: 'stat', title: 'B', targets: [{ refId: 'A', expr: 'b{pool=~"$pool", job=~"$job"}' }] },
      ],
    },
  ],
};

describe('dashboard queries', () => {
  test('panels inside collapsed rows are included; rows carry no queries', () => {
    expect(panelQueries(dashboard).map((q) => `${q.panel}:${q.expr}`)).toEqual([
      'A:rate(a_total[$__rate_interval])',
      'B:b{pool=~"$pool", job=~"$job"}',
    ]);
  });

  test('label_values variables become selector checks on their label', () => {
    expect(variableQueries(dashboard).map((v) => [v.variable, v.expr, v.label])).toEqual([
      ['pool', 'redpool_pool_up{job=~"$job"}', 'pool'],
      ['job', 'redpool_pool_up', 'job'],
    ]);
  });

  test('checks substitute built-ins and each variable’s All value', () => {
    const checks = dashboardChecks(dashboard, 'test.json');
    expect(checks.map((c) => c.expr)).toEqual([
      'rate(a_total[15s])',
      'b{pool=~".*", job=~"ws-server|worker"}',
      'redpool_pool_up{job=~"ws-server|worker"}',
      'redpool_pool_up',
    ]);
    expect(checks.every((c) => c.mustReturnSeries)).toBe(true);
    expect(checks[0]!.where).toBe('test.json › A › A');
  });
});

describe('rewritePrometheusConfig', () => {
  const original = `
global: { scrape_interval: 15s, evaluation_interval: 15s }
rule_files: [alerts.yml]
alerting: { alertmanagers: [{ static_configs: [{ targets: ['am:9093'] }] }] }
scrape_configs:
  - job_name: app
    scrape_interval: 30s
    static_configs: [{ targets: ['app-1:3000', 'app-2:3000'] }]
  - job_name: redis
    metrics_path: /scrape
    static_configs: [{ targets: ['redis://redis-core:6379'], labels: { role: core } }]
    relabel_configs:
      - { source_labels: [__address__], target_label: __param_target }
      - { target_label: __address__, replacement: 'exporter:9121' }
`;
  const addresses = {
    'app-1:3000': '127.0.0.1:1001',
    'app-2:3000': '127.0.0.1:1002',
    'redis-core:6379': '127.0.0.1:1003',
    'exporter:9121': '127.0.0.1:1004',
  };

  test('maps every target and relabel address, shortens intervals, keeps labels and paths', () => {
    const out = parse(rewritePrometheusConfig(original, { addresses, baseDir: '/etc/prom' }));
    expect(out.global).toEqual({ scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' });
    expect(out.rule_files).toEqual(['/etc/prom/alerts.yml']);
    expect(out.alerting).toBeUndefined();
    expect(out.scrape_configs[0].scrape_interval).toBeUndefined();
    expect(out.scrape_configs[0].static_configs[0].targets).toEqual(['127.0.0.1:1001', '127.0.0.1:1002']);
    expect(out.scrape_configs[1].static_configs[0]).toEqual({
      targets: ['redis://127.0.0.1:1003'],
      labels: { role: 'core' },
    });
    expect(out.scrape_configs[1].metrics_path).toBe('/scrape');
    expect(out.scrape_configs[1].relabel_configs[1].replacement).toBe('127.0.0.1:1004');
  });

  test('a target without an address throws', () => {
    const { 'app-2:3000': _, ...partial } = addresses;
    expect(() => rewritePrometheusConfig(original, { addresses: partial, baseDir: '/' })).toThrow(
      /job app: no address given for target app-2:3000/,
    );
  });
});
