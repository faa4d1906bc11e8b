#!/usr/bin/env bash
# Installs (once) and starts what the test suite needs besides the machine's PostgreSQL
# and Redis: a real S3-compatible server (s3s-fs from crates.io). Prints `export` lines
# for the environment the tests read. Usage: eval "$(scripts/test-services.sh start)".
set -euo pipefail

TOOLS="${TROVE_TOOLS_DIR:-$HOME/.cache/trove-tools}"
S3_PORT="${TROVE_TEST_S3_PORT:-9314}"
S3_ROOT="${TROVE_TEST_S3_ROOT:-${TMPDIR:-/tmp}/trove-test-s3}"
S3_KEY=trove
S3_SECRET=trove-secret-key
BUCKET=trove-test

install_s3() {
  if [ ! -x "$TOOLS/bin/s3s-fs" ]; then
    echo "installing s3s-fs 0.14.1 (a real S3 server) into $TOOLS ..." >&2
    cargo install s3s-fs@0.14.1 --locked --features binary --root "$TOOLS" >&2
  fi
}

start_s3() {
  if curl -s -o /dev/null "http://127.0.0.1:$S3_PORT/" 2>/dev/null; then
    echo "s3s-fs already answering on $S3_PORT" >&2
  else
    rm -rf "$S3_ROOT"
    mkdir -p "$S3_ROOT/$BUCKET"
    nohup "$TOOLS/bin/s3s-fs" --host 127.0.0.1 --port "$S3_PORT" \
      --access-key "$S3_KEY" --secret-key "$S3_SECRET" "$S3_ROOT" \
      > "${TMPDIR:-/tmp}/trove-test-s3.log" 2>&1 &
    echo $! > "${TMPDIR:-/tmp}/trove-test-s3.pid"
    for _ in $(seq 1 50); do
      curl -s -o /dev/null "http://127.0.0.1:$S3_PORT/" && break
      sleep 0.1
    done
  fi
  mkdir -p "$S3_ROOT/$BUCKET"
}

check_pg() {
  local url="${TROVE_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
  if ! pg_isready -q -d "$url" 2>/dev/null; then
    echo "PostgreSQL is not answering at $url; trying to start the local cluster" >&2
    if command -v pg_ctlcluster >/dev/null; then
      pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start >&2 || true
    fi
  fi
}

case "${1:-start}" in
  start)
    install_s3
    start_s3
    check_pg
    echo "export TROVE_TEST_S3_ENDPOINT=http://127.0.0.1:$S3_PORT"
    echo "export TROVE_TEST_S3_BUCKET=$BUCKET"
    echo "export TROVE_TEST_S3_ACCESS_KEY=$S3_KEY"
    echo "export TROVE_TEST_S3_SECRET_KEY=$S3_SECRET"
    ;;
  stop)
    pid_file="${TMPDIR:-/tmp}/trove-test-s3.pid"
    [ -f "$pid_file" ] && kill "$(cat "$pid_file")" 2>/dev/null || true
    rm -f "$pid_file"
    ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
