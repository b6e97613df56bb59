#!/usr/bin/env node
// Fails when an error code used in any package or app is missing from docs/errors.md, so every
// code a user can meet has a documented meaning and fix (codes are never reused or renamed).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const docs = readFileSync(join(root, 'docs/errors.md'), 'utf8');

function* sources(dir) {
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) yield* sources(path);
    else if (path.endsWith('.ts')) yield path;
  }
}

const missing = new Map();
for (const group of ['packages', 'apps']) {
  for (const pkg of readdirSync(join(root, group))) {
    const src = join(root, group, pkg, 'src');
    try {
      statSync(src);
    } catch {
      continue;
    }
    for (const file of sources(src)) {
      for (const [, code] of readFileSync(file, 'utf8').matchAll(/'([A-Z]+_ERR_[A-Z0-9_]+)'/g)) {
        if (!docs.includes(`\`${code}\``)) missing.set(code, file.slice(root.length));
      }
    }
  }
}
if (missing.size > 0) {
  for (const [code, file] of missing) console.error(`docs/errors.md lacks ${code} (used in ${file})`);
  process.exit(1);
}
console.log('error codes: every code is documented in docs/errors.md');
