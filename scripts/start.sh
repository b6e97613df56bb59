#!/usr/bin/env bash
# README command 1: install everything and run the system (every app under apps/) against
# REDIS_URL, or Redis on 127.0.0.1:6379, or a redis-server this script starts itself.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
install_and_build

started_redis_pid=""
cleanup() {
  if [ -n "$started_redis_pid" ]; then kill "$started_redis_pid" 2>/dev/null || true; fi
  jobs -p | xargs -r kill 2>/dev/null || true
}
trap cleanup EXIT INT TERM

if [ -n "${REDIS_URL:-}" ]; then
  log "using REDIS_URL from the environment"
elif redis_answers 127.0.0.1 6379; then
  export REDIS_URL="redis://127.0.0.1:6379"
  log "using the Redis answering on 127.0.0.1:6379"
else
  command -v redis-server >/dev/null 2>&1 || {
    log 'no Redis found and redis-server not on PATH: install it ("apt-get install -y redis-server" or "brew install redis") or set REDIS_URL'
    exit 1
  }
  port=${REDPOOL_EMBEDDED_REDIS_PORT:-6390}
  mkdir -p .redpool/redis
  log "no Redis found: starting an embedded redis-server on 127.0.0.1:$port (data in .redpool/redis)"
  redis-server --port "$port" --bind 127.0.0.1 --dir "$PWD/.redpool/redis" --save "" --appendonly no \
    --maxmemory-policy noeviction --logfile "$PWD/.redpool/redis/redis.log" &
  started_redis_pid=$!
  for _ in $(seq 1 50); do redis_answers 127.0.0.1 "$port" && break; sleep 0.1; done
  export REDIS_URL="redis://127.0.0.1:$port"
fi
export REDIS_CACHE_URL="${REDIS_CACHE_URL:-$REDIS_URL}"

apps=()
for dir in apps/*/; do
  [ -f "$dir/package.json" ] || continue
  if node -e 'process.exit(require(process.argv[1]).scripts?.start ? 0 : 1)' "$PWD/$dir/package.json"; then apps+=("$dir"); fi
done
if [ ${#apps[@]} -eq 0 ]; then
  log "no application exists yet under apps/ (the ws-server and worker are still to be built);"
  log "the libraries under packages/ are built and tested; Redis is running at $REDIS_URL. Ctrl-C to stop."
  wait
  exit 0
fi
for dir in "${apps[@]}"; do
  log "starting ${dir%/}"
  (cd "$dir" && pnpm start) &
done
wait
