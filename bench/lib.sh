# Shared by the bench scripts (sourced, not run): logging, Debian packages, a scratch
# directory whose processes are stopped and files removed on exit, free ports, and waiting
# for a server to answer.
#
#   . "$(dirname "$0")/lib.sh"
#   bench_workdir trove-npm-bench      # sets WORK; add server PIDs to PIDS to have them stopped

log() { printf '== %s\n' "$*" >&2; }

apt_install() {
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  if [ -z "${APT_UPDATED:-}" ]; then
    $sudo apt-get update -qq >&2
    APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >&2
}

_bench_cleanup() {
  local rc=$?
  for p in "${PIDS[@]:-}"; do
    [ -n "$p" ] && { kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; }
  done
  rm -rf "$WORK"
  exit "$rc"
}

bench_workdir() { # name
  WORK="$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")"
  PIDS=()
  trap _bench_cleanup EXIT
}

free_port() {
  local p
  while :; do
    p=$(( 20000 + RANDOM % 30000 ))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
}

wait_http() { # url, seconds, pid, log: until the URL answers with success
  local i
  for i in $(seq 1 $(( $2 * 10 ))); do
    curl -sf -o /dev/null "$1" && return 0
    kill -0 "$3" 2>/dev/null || { echo "the server exited; its log:" >&2; cat "$4" >&2; return 1; }
    sleep 0.1
  done
  echo "timed out waiting for $1; the server's log:" >&2
  cat "$4" >&2
  return 1
}

# The trove binary to measure, in TROVE: TROVE_BENCH_BIN when set, else a release build
# (after bench_workdir: its log goes to $WORK/build.log).
trove_binary() {
  if [ -n "${TROVE_BENCH_BIN:-}" ]; then
    TROVE="$TROVE_BENCH_BIN"
  else
    log "building trove (release)"
    cargo build --release -p trove 2>"$WORK/build.log" >&2 || { cat "$WORK/build.log" >&2; exit 1; }
    TROVE="$CARGO_TARGET_DIR/release/trove"
  fi
}

rps() { awk '/Requests\/sec/ { print $2 }' "$@"; } # wrk output, from files or stdin
