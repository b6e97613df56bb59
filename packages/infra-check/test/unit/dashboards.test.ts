import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import {
  allPanels,
  BUILTIN_TEST_VARIABLES,
  type Dashboard,
  loadDashboard,
  panelQueries,
  substituteVariables,
  syntaxErrors,
  templateTestValues,
  variableQueries,
} from '../../src/index.js';
import { DASHBOARD_DIR, dashboardFiles, INFRA, readText, readYaml } from '../helpers.js';

// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana variable syntax, not a JS template
const DATASOURCE = { type: 'prometheus', uid: '${datasource}' };
const files = dashboardFiles();
const dashboards = files.map((file) => [basename(file), loadDashboard(file)] as const);

test('the redpool and Redis dashboards exist', () => {
  expect(files.map((f) => basename(f))).toEqual(['redis.json', 'redpool.json']);
});

test('uids and titles are unique and stable', () => {
  const uids = dashboards.map(([, d]) => d.uid);
  const titles = dashboards.map(([, d]) => d.title);
  expect(new Set(uids).size).toBe(uids.length);
  expect(new Set(titles).size).toBe(titles.length);
  for (const uid of uids) expect(uid).toMatch(/^[a-z0-9-]{8,40}$/);
});

describe.each(dashboards)('%s', (file, dashboard: Dashboard) => {
  const panels = allPanels(dashboard).filter((p) => p.type !== 'row');

  test('is a provisionable classic dashboard: no import placeholders, id null', () => {
    const text = readText(join(DASHBOARD_DIR, file));
    expect(text).not.toMatch(/\$\{DS_/);
    expect(dashboard.__inputs).toBeUndefined();
    expect(dashboard.id).toBeNull();
    expect(typeof dashboard.schemaVersion).toBe('number');
  });

  test('has one datasource variable named "datasource" of type datasource (prometheus)', () => {
    const list = dashboard.templating?.list ?? [];
    const datasources = list.filter((v) => v.type === 'datasource');
    expect(datasources).toHaveLength(1);
    expect(datasources[0]).toMatchObject({ name: 'datasource', query: 'prometheus' });
    for (const variable of list.filter((v) => v.type === 'query')) {
      expect(variable.datasource).toEqual(DATASOURCE);
      expect(variable).toMatchObject({ includeAll: true, allValue: '.*' });
    }
    expect(() => variableQueries(dashboard, file)).not.toThrow();
  });

  test('every panel and target uses the datasource variable', () => {
    for (const panel of panels) {
      expect({ panel: panel.title, ds: panel.datasource }).toEqual({ panel: panel.title, ds: DATASOURCE });
      for (const target of panel.targets ?? []) {
        expect({ panel: panel.title, ds: target.datasource ?? DATASOURCE }).toEqual({
          panel: panel.title,
          ds: DATASOURCE,
        });
      }
    }
  });

  test('every panel has a title, a description, a unit and at least one query with a unique refId', () => {
    for (const panel of panels) {
      const where = `${file} › ${panel.title}`;
      expect([where, typeof panel.title, (panel.description ?? '').length > 20]).toEqual([
        where,
        'string',
        true,
      ]);
      expect([where, panel.fieldConfig?.defaults?.unit]).toEqual([where, expect.any(String)]);
      const targets = panel.targets ?? [];
      expect([where, targets.length > 0]).toEqual([where, true]);
      const refIds = targets.map((t) => t.refId);
      expect([where, new Set(refIds).size]).toEqual([where, refIds.length]);
      for (const target of targets)
        expect([where, (target.expr ?? '').trim().length > 0]).toEqual([where, true]);
    }
  });

  test('panels fit the 24-column grid without overlapping', () => {
    const cells = new Map<string, string>();
    const problems: string[] = [];
    for (const panel of allPanels(dashboard)) {
      const g = panel.gridPos;
      if (!g) {
        problems.push(`${panel.title}: no gridPos`);
        continue;
      }
      if (g.x + g.w > 24) problems.push(`${panel.title}: wider than 24 columns`);
      for (let x = g.x; x < g.x + g.w; x++) {
        for (let y = g.y; y < g.y + g.h; y++) {
          const other = cells.get(`${x},${y}`);
          if (other !== undefined) problems.push(`${panel.title} overlaps ${other} at ${x},${y}`);
          cells.set(`${x},${y}`, panel.title ?? '');
        }
      }
    }
    expect(problems).toEqual([]);
  });

  test('every query parses once Grafana variables are substituted, and ranges use $__rate_interval', () => {
    const values = { ...BUILTIN_TEST_VARIABLES, ...templateTestValues(dashboard) };
    for (const query of panelQueries(dashboard, file)) {
      const expr = substituteVariables(query.expr, values);
      expect([query.panel, expr, syntaxErrors(expr)]).toEqual([query.panel, expr, []]);
      // Fixed windows break at other scrape intervals; Grafana sizes $__rate_interval for them.
      const ranges = [...query.expr.matchAll(/\[([^\]]+)\]/g)].map((m) => m[1]);
      for (const range of ranges) expect([query.panel, range]).toEqual([query.panel, '$__rate_interval']);
    }
  });
});

describe('Grafana provisioning', () => {
  test('the datasource is Prometheus at the compose service, with the scrape interval', () => {
    const doc = readYaml<{ apiVersion: number; datasources: Array<Record<string, unknown>> }>(
      join(INFRA, 'grafana/provisioning/datasources/prometheus.yaml'),
    );
    expect(doc.apiVersion).toBe(1);
    expect(doc.datasources).toHaveLength(1);
    expect(doc.datasources[0]).toMatchObject({
      type: 'prometheus',
      access: 'proxy',
      url: 'http://prometheus:9090',
      isDefault: true,
      jsonData: { timeInterval: '15s' },
    });
    const prometheus = readYaml<{ global: { scrape_interval: string } }>(
      join(INFRA, 'prometheus/prometheus.yml'),
    );
    expect((doc.datasources[0]!.jsonData as { timeInterval: string }).timeInterval).toBe(
      prometheus.global.scrape_interval,
    );
  });

  test('the dashboard provider reads the directory compose mounts the dashboards into', () => {
    const doc = readYaml<{
      apiVersion: number;
      providers: Array<{ type: string; options: { path: string } }>;
    }>(join(INFRA, 'grafana/provisioning/dashboards/redpool.yaml'));
    expect(doc.apiVersion).toBe(1);
    expect(doc.providers).toHaveLength(1);
    expect(doc.providers[0]!.type).toBe('file');
    const compose = readYaml<{ services: Record<string, { volumes?: string[] }> }>(
      join(INFRA, 'compose.yaml'),
    );
    const volumes = compose.services.grafana?.volumes ?? [];
    expect(volumes).toContain(`./grafana/dashboards:${doc.providers[0]!.options.path}:ro`);
    expect(volumes).toContain('./grafana/provisioning:/etc/grafana/provisioning:ro');
    expect(existsSync(join(INFRA, 'grafana/dashboards'))).toBe(true);
  });
});
