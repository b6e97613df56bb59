import { parser } from '@prometheus-io/lezer-promql';

/**
 * Names of the metrics a PromQL expression selects (every `VectorSelector`'s metric name),
 * sorted and without duplicates. Grafana variables must be substituted first.
 * @example
 * metricNames('sum by (pool) (rate(redpool_reconnects_total[5m]))'); // ['redpool_reconnects_total']
 */
export function metricNames(expr: string): string[] {
  const names = new Set<string>();
  parser.parse(expr).iterate({
    enter(node) {
      if (node.name === 'Identifier' && node.node.parent?.name === 'VectorSelector') {
        names.add(expr.slice(node.from, node.to));
      }
    },
  });
  return [...names].sort();
}

/**
 * Positions where the PromQL grammar (Prometheus' own lezer grammar) finds a syntax error, empty
 * when it parses. Prometheus' query API stays the authority; this is the offline pre-check.
 */
export function syntaxErrors(expr: string): number[] {
  const at: number[] = [];
  parser.parse(expr).iterate({
    enter(node) {
      if (node.type.isError) at.push(node.from);
    },
  });
  return at;
}
