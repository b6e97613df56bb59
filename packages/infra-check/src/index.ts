/**
 * @redpool/infra-check: checks infra/ (Prometheus config and alert rules, Grafana dashboards,
 * compose and Kubernetes manifests) against a real Prometheus, redis_exporter and the apps.
 */
export {
  type CheckReport,
  checkQueries,
  dashboardChecks,
  dashboardFileChecks,
  formatProblems,
  type QueryProblem,
  type QueryToCheck,
  ruleFileChecks,
} from './check.js';
export {
  allPanels,
  BUILTIN_TEST_VARIABLES,
  type Dashboard,
  type DatasourceRef,
  loadDashboard,
  type Panel,
  type PanelQuery,
  panelQueries,
  substituteVariables,
  type Target,
  type TemplateVariable,
  templateTestValues,
  type VariableQuery,
  variableQueries,
} from './grafana.js';
export { type ManagedProcess, startProcess, stopAllProcesses, waitForHttp } from './processes.js';
export {
  activeTargets,
  instantQuery,
  type PrometheusServer,
  type QueryAnswer,
  type Sample,
  startPrometheus,
  storedMetricNames,
  type TargetHealth,
  waitForTargetsUp,
} from './prometheus.js';
export { type RewriteOptions, rewritePrometheusConfig, scrapeTargets } from './prometheus-config.js';
export { metricNames, syntaxErrors } from './promql.js';
export {
  checkMetricsText,
  PROM_CLIENT_DEFAULT_METRIC_PROBLEMS,
  type PromtoolResult,
  promtool,
} from './promtool.js';
export { redisConfDirectives } from './redis-conf.js';
export { type RedisExporter, startRedisExporter } from './redis-exporter.js';
export { loadRules, type Rule } from './rules.js';
