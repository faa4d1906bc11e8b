#!/usr/bin/env bash
# Browser tests of the web UI: Debian's Chromium, headless, driven by playwright-core (which
# never downloads a browser of its own) against a real `trove server` on a free port with a
# throwaway data directory (SQLite + files). Installs what is missing first.
#
#   scripts/browser-test.sh                      # screenshots in target/screenshots
#   TROVE_SCREENSHOTS=/tmp/shots scripts/browser-test.sh
#   TROVE_BROWSER_SUITE=ui scripts/browser-test.sh           # the browser tests only
#   TROVE_BROWSER_SUITE=lighthouse scripts/browser-test.sh   # = scripts/lighthouse.sh
# By default both run against the same server: the browser tests, then Lighthouse, whose
# accessibility, best-practices and SEO scores are gated at 95 (they do not depend on the
# machine's speed; performance is printed only).
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/trove-target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
export TROVE_SCREENSHOTS="${TROVE_SCREENSHOTS:-$root/target/screenshots}"
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

apt_updated=0
apt_install() {
  if [ "$apt_updated" = 0 ]; then
    apt-get update -qq
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# Debian's wrapper script is /usr/bin/chromium; the binary itself sits in /usr/lib/chromium.
if [ ! -x /usr/bin/chromium ]; then
  echo "== installing chromium"
  apt_install chromium
fi
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "== installing node and npm"
  apt_install nodejs npm
fi
export CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"

# ui: the browser tests (tests/browser); lighthouse: Lighthouse's scores (tests/lighthouse).
suite="${TROVE_BROWSER_SUITE:-all}"
case "$suite" in
  ui) npm_dirs=(tests/browser) ;;
  lighthouse | all) npm_dirs=(tests/browser tests/lighthouse) ;;
  *) echo "TROVE_BROWSER_SUITE: all, ui or lighthouse, not $suite" >&2; exit 2 ;;
esac
# puppeteer-core (under lighthouse) and playwright-core never fetch a browser; say so anyway.
export PUPPETEER_SKIP_DOWNLOAD=1
for dir in "${npm_dirs[@]}"; do
  echo "== npm dependencies ($dir)"
  (
    cd "$dir"
    if [ -f package-lock.json ]; then
      npm ci --no-audit --no-fund --loglevel=error
    else
      npm install --no-audit --no-fund --loglevel=error
    fi
  )
done

echo "== building trove"
cargo build -q -p trove
bin="$CARGO_TARGET_DIR/debug/trove"

port="$(node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")"
data="$(mktemp -d "${TMPDIR:-/tmp}/trove-browser.XXXXXX")"
log="$data/server.log"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$data"
}
trap cleanup EXIT

export TROVE_URL="http://127.0.0.1:$port"
echo "== starting trove server on $TROVE_URL (data in $data)"
# The server refuses unknown TROVE_* variables: start it with only its own.
unset_trove=()
for v in $(compgen -e); do
  case "$v" in TROVE_*) unset_trove+=(-u "$v") ;; esac
done
env "${unset_trove[@]}" \
    TROVE_DATA_DIR="$data/trove-data" \
    TROVE_SERVER_LISTEN="127.0.0.1:$port" \
    TROVE_SERVER_BASE_URL="$TROVE_URL" \
    TROVE_STATS_FLUSH_INTERVAL_MS=200 \
    "$bin" server >"$log" 2>&1 &
server_pid=$!

ready=0
for _ in $(seq 1 150); do
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "trove server exited early:" >&2
    cat "$log" >&2
    exit 1
  fi
  if node -e "fetch(process.argv[1]).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))" "$TROVE_URL/health/ready"; then
    ready=1
    break
  fi
  sleep 0.2
done
if [ "$ready" != 1 ]; then
  echo "trove server did not become ready:" >&2
  cat "$log" >&2
  exit 1
fi

status=0
if [ "$suite" != lighthouse ]; then
  echo "== browser tests (screenshots in $TROVE_SCREENSHOTS)"
  mkdir -p "$TROVE_SCREENSHOTS"
  (cd tests/browser && TROVE_BIN="$bin" node --test --test-concurrency=1 ui.test.mjs) || status=$?
fi
if [ "$suite" != ui ]; then
  export TROVE_LIGHTHOUSE_REPORTS="${TROVE_LIGHTHOUSE_REPORTS:-$root/target/lighthouse}"
  echo "== lighthouse (reports in $TROVE_LIGHTHOUSE_REPORTS)"
  (cd tests/lighthouse && TROVE_BIN="$bin" node lighthouse.mjs) || status=$?
fi
if [ "$status" != 0 ]; then
  echo "== server log (last 60 lines)" >&2
  tail -n 60 "$log" >&2
fi
exit "$status"
