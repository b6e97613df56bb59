# Shared shell helpers for the setup, start and test scripts.
# shellcheck shell=bash
PNPM_VERSION=10.34.9

log() { printf '\033[1m[redpool]\033[0m %s\n' "$*"; }

# pnpm is installed with npm when missing: corepack's signature check fails behind registry mirrors.
ensure_pnpm() {
  if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version 2>/dev/null)" != "$PNPM_VERSION" ]; then
    log "installing pnpm@$PNPM_VERSION with npm"
    npm install -g "pnpm@$PNPM_VERSION" >/dev/null
  fi
}

# Installs dependencies exactly as locked and builds every package.
install_and_build() {
  ensure_pnpm
  log "installing dependencies (frozen lockfile)"
  pnpm install --frozen-lockfile
  log "building packages"
  pnpm build
}

# True when something answers PING on host:port.
redis_answers() {
  node -e '
    const s = require("net").connect(+process.argv[2], process.argv[1]);
    const t = setTimeout(() => process.exit(1), 1000);
    s.on("connect", () => s.write("PING\r\n"));
    s.on("data", (d) => { clearTimeout(t); process.exit(d.toString().startsWith("+PONG") || d.toString().startsWith("-NOAUTH") ? 0 : 1); });
    s.on("error", () => process.exit(1));
  ' "$1" "$2"
}
