#!/usr/bin/env node
// Fails when modules import each other in a cycle inside any of the given source roots (default:
// the src/ folder of every package and app). Type-only imports count: a cycle of types still ties
// two files together, so neither can be understood, moved or tested alone.
//   node scripts/check-cycles.mjs [root…]
import { existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { cruise } from 'dependency-cruiser';

const repo = new URL('..', import.meta.url).pathname;
process.chdir(repo);

function defaultRoots() {
  return ['packages', 'apps'].flatMap((group) =>
    readdirSync(group)
      .map((name) => join(group, name, 'src'))
      .filter((src) => existsSync(src)),
  );
}

const roots = process.argv.length > 2 ? process.argv.slice(2).map((r) => relative(repo, r)) : defaultRoots();
const missing = roots.filter((root) => !existsSync(root));
if (missing.length > 0) {
  console.error(`import cycles: no such source root: ${missing.join(', ')}`);
  process.exit(2);
}

const result = await cruise(roots, {
  tsPreCompilationDeps: true,
  doNotFollow: { path: 'node_modules' },
  exclude: { path: '(^|/)dist/' },
  ruleSet: {
    forbidden: [{ name: 'no-import-cycle', severity: 'error', from: {}, to: { circular: true } }],
  },
  validate: true,
});

const cycles = new Map();
for (const violation of result.output.summary.violations) {
  if (violation.rule.name !== 'no-import-cycle') continue;
  const path = [violation.from, ...(violation.cycle ?? []).map((step) => step.name ?? step)];
  // Each cycle is reported once per member; keep one, keyed by its sorted members.
  cycles.set([...new Set(path)].sort().join(' '), path);
}
if (cycles.size > 0) {
  for (const path of cycles.values()) console.error(`import cycle: ${path.join(' -> ')}`);
  console.error(`${cycles.size} import cycle(s) in ${roots.length} source root(s)`);
  process.exit(1);
}
console.log(`import cycles: none in ${roots.length} source roots (${roots.join(', ')})`);
