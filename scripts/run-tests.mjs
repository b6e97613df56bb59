#!/usr/bin/env node
// Runs every package's jest suite through turbo, streams the output, then prints one
// combined summary (jest's own format, plus a plain "N passed, N failed" line) at the end,
// because turbo would otherwise end the run with its task summary.
import { spawn } from 'node:child_process';

const args = [
  'exec',
  'turbo',
  'run',
  'test',
  '--concurrency=1',
  '--continue',
  '--output-logs=full',
  ...process.argv.slice(2),
];
const child = spawn('pnpm', args, {
  stdio: ['ignore', 'pipe', 'pipe'],
  env: { ...process.env, FORCE_COLOR: '0' },
});

const totals = {
  suitesPassed: 0,
  suitesFailed: 0,
  suitesTotal: 0,
  passed: 0,
  failed: 0,
  skipped: 0,
  total: 0,
};
const pick = (line, word) => Number(new RegExp(`(\\d+) ${word}`).exec(line)?.[1] ?? 0);
let buffered = '';
// Each failure's header and first lines, repeated at the end: a CI log shown only by its tail
// would otherwise hide which test failed and why.
const failures = [];
let failureLinesLeft = 0;
const FAILURE_LINES = 14;

function scan(chunk) {
  buffered += chunk;
  const lines = buffered.split('\n');
  buffered = lines.pop() ?? '';
  for (const raw of lines) {
    const line = raw.replace(/^[^:]*:test: /, '');
    const pkg = /^([^:\s]*):test: /.exec(raw)?.[1] ?? '';
    if (/^FAIL /.test(line)) failures.push(`${pkg} ${line}`);
    else if (/^\s+● /.test(line) && !/● Console/.test(line)) {
      failures.push(`${pkg} ${line.trim()}`);
      failureLinesLeft = FAILURE_LINES;
    } else if (failureLinesLeft > 0) {
      failureLinesLeft--;
      if (line.trim()) failures.push(`    ${line.trim()}`);
    }
    if (/^Test Suites:/.test(line)) {
      totals.suitesPassed += pick(line, 'passed');
      totals.suitesFailed += pick(line, 'failed');
      totals.suitesTotal += pick(line, 'total');
    } else if (/^Tests:/.test(line)) {
      totals.passed += pick(line, 'passed');
      totals.failed += pick(line, 'failed');
      totals.skipped += pick(line, 'skipped');
      totals.total += pick(line, 'total');
    }
  }
}

child.stdout.on('data', (d) => {
  process.stdout.write(d);
  scan(d.toString());
});
child.stderr.on('data', (d) => {
  process.stderr.write(d);
  scan(d.toString());
});
child.on('close', (code) => {
  scan('\n');
  const failedRun = code !== 0 && totals.failed === 0 ? 1 : totals.failed;
  if (failures.length) console.log(`\n==== redpool: failures ====\n${failures.join('\n')}`);
  console.log('\n==== redpool: all packages ====');
  console.log(
    `Test Suites: ${totals.suitesFailed ? `${totals.suitesFailed} failed, ` : ''}${totals.suitesPassed} passed, ${totals.suitesTotal} total`,
  );
  console.log(
    `Tests:       ${totals.failed ? `${totals.failed} failed, ` : ''}${totals.skipped ? `${totals.skipped} skipped, ` : ''}${totals.passed} passed, ${totals.total} total`,
  );
  console.log(`Tests: ${totals.passed} passed, ${failedRun} failed, ${totals.skipped} skipped`);
  process.exit(code ?? 1);
});
