import {
  BUILTIN_TEST_VARIABLES,
  type Dashboard,
  loadDashboard,
  panelQueries,
  substituteVariables,
  templateTestValues,
  variableQueries,
} from './grafana.js';
import { instantQuery, storedMetricNames } from './prometheus.js';
import { metricNames } from './promql.js';
import { loadRules } from './rules.js';

/** One query to run against Prometheus. */
export interface QueryToCheck {
  /** Where it comes from, for messages, e.g. `redpool.json › Pool usage › A`. */
  where: string;
  /** The query as sent (Grafana variables substituted). */
  expr: string;
  /**
   * Dashboard queries must return at least one series: an empty panel is a broken panel.
   * Alert expressions need not (they are empty while all is well).
   */
  mustReturnSeries: boolean;
  /** For `label_values(selector, label)` variables: every series must carry this label. */
  label?: string;
}

/** Something wrong with one query. */
export interface QueryProblem {
  where: string;
  expr: string;
  problem: string;
}

/** Outcome of {@link checkQueries}. */
export interface CheckReport {
  checked: number;
  problems: QueryProblem[];
}

/** The queries of a dashboard (panels and `label_values` variables), variables substituted. */
export function dashboardChecks(dashboard: Dashboard, source: string): QueryToCheck[] {
  const values = { ...BUILTIN_TEST_VARIABLES, ...templateTestValues(dashboard) };
  const panels = panelQueries(dashboard, source).map((q) => ({
    where: `${q.source} › ${q.panel} › ${q.refId}`,
    expr: substituteVariables(q.expr, values),
    mustReturnSeries: true,
  }));
  const variables = variableQueries(dashboard, source).map((v) => ({
    where: `${v.source} › variable ${v.variable}`,
    expr: substituteVariables(v.expr, values),
    mustReturnSeries: true,
    label: v.label,
  }));
  return [...panels, ...variables];
}

/** {@link dashboardChecks} of a dashboard file. */
export function dashboardFileChecks(file: string): QueryToCheck[] {
  return dashboardChecks(loadDashboard(file), file);
}

/** The expressions of a rule file: alerts may be empty, recording rules must return series. */
export function ruleFileChecks(file: string): QueryToCheck[] {
  return loadRules(file).map((rule) => ({
    where: `${rule.source} › ${rule.group} › ${rule.name}`,
    expr: rule.expr,
    mustReturnSeries: rule.kind === 'record',
  }));
}

/**
 * Runs every query against Prometheus' HTTP API and reports each one that does not parse or
 * evaluate, selects a metric no scraped component exports, or (when required) returns no series.
 */
export async function checkQueries(
  prometheusUrl: string,
  queries: readonly QueryToCheck[],
): Promise<CheckReport> {
  const exported = await storedMetricNames(prometheusUrl);
  const problems: QueryProblem[] = [];
  for (const query of queries) {
    const fail = (problem: string) => problems.push({ where: query.where, expr: query.expr, problem });
    if (query.expr.trim() === '') {
      fail('empty query');
      continue;
    }
    const answer = await instantQuery(prometheusUrl, query.expr);
    if (answer.status !== 'success') {
      fail(`Prometheus rejects it: ${answer.errorType}: ${answer.error}`);
      continue;
    }
    const missing = metricNames(query.expr).filter((name) => !exported.has(name));
    if (missing.length > 0) fail(`selects metrics no scraped component exports: ${missing.join(', ')}`);
    const { resultType, result } = answer.data;
    const series = resultType === 'vector' || resultType === 'matrix' ? (result as unknown[]) : null;
    if (query.mustReturnSeries && series !== null && series.length === 0) fail('returned no series');
    if (query.label !== undefined && series !== null) {
      const label = query.label;
      const without = (series as Array<{ metric: Record<string, string> }>).filter(
        (s) => !(label in s.metric),
      );
      if (without.length > 0) fail(`${without.length} series lack the label "${label}"`);
    }
  }
  return { checked: queries.length, problems };
}

/** The problems as readable lines. */
export function formatProblems(problems: readonly QueryProblem[]): string {
  return problems.map((p) => `- ${p.where}: ${p.problem}\n    ${p.expr.replace(/\s+/g, ' ')}`).join('\n');
}
