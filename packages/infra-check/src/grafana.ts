import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

/** The parts of Grafana's classic dashboard JSON model that the checks read. */
export interface Dashboard {
  uid: string;
  title: string;
  id?: number | null;
  schemaVersion?: number;
  panels: Panel[];
  templating?: { list: TemplateVariable[] };
  __inputs?: unknown[];
  [key: string]: unknown;
}

export interface DatasourceRef {
  type?: string;
  uid?: string;
}

export interface Target {
  refId?: string;
  expr?: string;
  legendFormat?: string;
  datasource?: DatasourceRef;
  [key: string]: unknown;
}

export interface Panel {
  id?: number;
  type: string;
  title?: string;
  description?: string;
  datasource?: DatasourceRef | null;
  targets?: Target[];
  /** Panels of a collapsed row. */
  panels?: Panel[];
  gridPos?: { x: number; y: number; w: number; h: number };
  fieldConfig?: { defaults?: { unit?: string; [key: string]: unknown }; [key: string]: unknown };
  [key: string]: unknown;
}

export interface TemplateVariable {
  name: string;
  type: string;
  label?: string;
  query?: string | { query?: string; [key: string]: unknown };
  datasource?: DatasourceRef | string | null;
  allValue?: string | null;
  includeAll?: boolean;
  multi?: boolean;
  [key: string]: unknown;
}

/** One query of one panel, with where it comes from (for error messages). */
export interface PanelQuery {
  /** File name (or any label of the dashboard's origin). */
  source: string;
  dashboard: string;
  panel: string;
  refId: string;
  /** The query as written, with Grafana variables. */
  expr: string;
}

/** A `label_values(selector, label)` template variable query. */
export interface VariableQuery {
  source: string;
  dashboard: string;
  variable: string;
  /** The selector, with Grafana variables. */
  expr: string;
  label: string;
}

/** Reads a dashboard JSON file. */
export function loadDashboard(file: string): Dashboard {
  return JSON.parse(readFileSync(file, 'utf8')) as Dashboard;
}

/** Every panel of the dashboard, row panels and the panels inside collapsed rows included. */
export function allPanels(dashboard: Dashboard): Panel[] {
  const out: Panel[] = [];
  const walk = (panels: readonly Panel[]) => {
    for (const panel of panels) {
      out.push(panel);
      if (panel.panels) walk(panel.panels);
    }
  };
  walk(dashboard.panels ?? []);
  return out;
}

/** Every PromQL query of every panel (rows carry none). */
export function panelQueries(dashboard: Dashboard, source = dashboard.uid): PanelQuery[] {
  const out: PanelQuery[] = [];
  for (const panel of allPanels(dashboard)) {
    if (panel.type === 'row') continue;
    for (const target of panel.targets ?? []) {
      out.push({
        source: basename(source),
        dashboard: dashboard.title,
        panel: panel.title ?? `#${panel.id ?? '?'}`,
        refId: target.refId ?? '?',
        expr: target.expr ?? '',
      });
    }
  }
  return out;
}

const LABEL_VALUES = /^\s*label_values\(\s*(.*)\s*,\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)\s*$/s;

/** The `label_values(selector, label)` queries of the dashboard's query variables. */
export function variableQueries(dashboard: Dashboard, source = dashboard.uid): VariableQuery[] {
  const out: VariableQuery[] = [];
  for (const variable of dashboard.templating?.list ?? []) {
    if (variable.type !== 'query') continue;
    const raw = typeof variable.query === 'string' ? variable.query : (variable.query?.query ?? '');
    const match = LABEL_VALUES.exec(raw);
    if (match === null)
      throw new Error(
        `${source}: variable ${variable.name}: not a label_values(selector, label) query: ${raw}`,
      );
    out.push({
      source: basename(source),
      dashboard: dashboard.title,
      variable: variable.name,
      expr: match[1]!,
      label: match[2]!,
    });
  }
  return out;
}

/**
 * Values for Grafana's built-in variables when a query is sent straight to Prometheus. The
 * check scrapes every second, so 15 s windows hold enough samples for rate().
 */
export const BUILTIN_TEST_VARIABLES: Readonly<Record<string, string>> = Object.freeze({
  __rate_interval: '15s',
  __interval: '5s',
  __interval_ms: '5000',
  __range: '1m',
  __range_s: '60',
  __range_ms: '60000',
});

/**
 * The value each template variable takes in the check: a datasource variable its name, a query
 * or custom variable its "All" value (`.*` unless the dashboard sets `allValue`).
 */
export function templateTestValues(dashboard: Dashboard): Record<string, string> {
  const values: Record<string, string> = {};
  for (const variable of dashboard.templating?.list ?? []) {
    values[variable.name] = variable.type === 'datasource' ? 'prometheus' : (variable.allValue ?? '.*');
  }
  return values;
}

const VARIABLE =
  /\$\{([A-Za-z0-9_]+)(?::[A-Za-z0-9_]+)?\}|\[\[([A-Za-z0-9_]+)(?::[A-Za-z0-9_]+)?\]\]|\$([A-Za-z0-9_]+)/g;

/**
 * Replaces Grafana variables (`$name`, `${name}`, `${name:format}`, `[[name]]`) with `values`.
 * An unknown variable throws, so a typo cannot hide behind a substitution.
 */
export function substituteVariables(expr: string, values: Readonly<Record<string, string>>): string {
  return expr.replace(VARIABLE, (whole, braced?: string, bracketed?: string, bare?: string) => {
    const name = braced ?? bracketed ?? bare ?? '';
    const value = values[name];
    if (value === undefined) throw new Error(`unknown Grafana variable ${whole} in: ${expr}`);
    return value;
  });
}
