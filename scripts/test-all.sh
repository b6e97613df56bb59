#!/usr/bin/env bash
# README command 2: install everything, build, and run every test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
if ! command -v redis-server >/dev/null 2>&1; then
  log 'redis-server not found on PATH: install it with "apt-get install -y redis-server" (Debian/Ubuntu) or "brew install redis"'
  exit 1
fi
install_and_build
log "type-checking and linting"
pnpm typecheck
pnpm lint
log "running all tests"
pnpm test
