#!/usr/bin/env bash
# `pnpm bench:ws`: builds the ws-server when dist/ is older than src/ (the benchmark runs it as
# `pnpm start` does), raises the open-file limit (C client sockets in the load generators plus as
# many server-side sockets), then runs the benchmark with its arguments (--quick, --connections N…).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f dist/main.js ] || [ -n "$(find src -newer dist/main.js -name '*.ts' | head -1)" ]; then
  echo "building the ws-server (dist/ is out of date)" >&2
  pnpm exec tsc -p tsconfig.build.json
fi
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
exec node --import tsx bench/ws.bench.ts "$@"
