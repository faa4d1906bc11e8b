#!/usr/bin/env bash
# Chaos probes against a release build of Trove, run by hand (not in CI: a few minutes, needs
# root for a tmpfs mount). Prints one table `probe | expected | result | PASS/FAIL` and exits
# non-zero when any probe fails.
#
#   scripts/chaos.sh [--postgres] [--only N[,N…]]
#
#   --postgres   also run probes 1, 4, 5, 7 and 8 on PostgreSQL (probe 6 always does)
#   --only N     run only these probes, e.g. --only 3 or --only 1,5
#
#   TROVE_BIN=/path/to/trove   use this binary instead of `cargo build --release -p trove`
#                              (built into $CARGO_TARGET_DIR, default ~/.cache/trove-target)
#   CHAOS_PG_URL=postgres://postgres@127.0.0.1:5432   PostgreSQL server (trust auth); each
#                              server gets a throwaway database trove_chaos_<random>_<probe>
#   CHAOS_KEEP=1               keep the work directory (configs, server logs) afterwards
#
# Probes (each a function in scripts/chaos.py; servers use 3 s header/body timeouts, a 5 s
# send timeout and min_body_bytes_per_sec = 2048 so that the run is quick):
#   1 wildcard tokens: a 120-`*` pattern and 50,000 patterns are refused (422); the token
#     with the most stars still accepted publishes twice concurrently, quickly, while
#     /health/live stays under 1 s
#   2 disk full: data_dir on a 64 MB tmpfs (SQLite + fs) filled to ENOSPC: writes fail
#     cleanly, /health/ready is 503; after freeing space ready is 200 and 200 writes succeed
#   3 slow clients: 500 idle, 100 half-sent heads, 50 half-sent bodies, a 1 KB/s upload and
#     a client that stops reading are all closed; /health/live stays fast; SIGTERM exits
#     promptly with half-sent requests; under `ulimit -n 1024` 1,100 idle connections do not
#     lock out a fresh client
#   4 kill -9 during a slow publish and an OCI chunked upload: the leftover staging files
#     and partial blobs are removed at restart (stale_upload_secs) and by `trove admin gc`
#   5 privacy of writes: pushing to someone's private package/repository answers exactly as
#     for one that does not exist
#   6 PostgreSQL: 50 concurrent publishes of one new package all get 201
#   7 rate limits: /v2/token with an API token is not a login attempt; failed logins are
#   8 OCI: a manifest with a wrong layer size is refused and not stored; anonymous PUT is 401
#
# Everything runs on 127.0.0.1 with free ports and temporary directories; servers, tmpfs
# mounts, databases and the work directory are removed on exit, also after a failure or ^C.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }

ARGS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --postgres) ARGS+=(--postgres) ;;
    --only) [ $# -ge 2 ] || { usage >&2; exit 2; }; ARGS+=(--only "$2"); shift ;;
    --only=*) ARGS+=(--only "${1#--only=}") ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown argument: $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/trove-target}"
PG_URL="${CHAOS_PG_URL:-postgres://postgres@127.0.0.1:5432}"
KEEP="${CHAOS_KEEP:-}"

# --- the binary ---------------------------------------------------------------------------
if [ -n "${TROVE_BIN:-}" ]; then
  BIN="$TROVE_BIN"
else
  echo "== cargo build --release -p trove (CARGO_TARGET_DIR=$CARGO_TARGET_DIR)" >&2
  cargo build --release -q -p trove
  BIN="$CARGO_TARGET_DIR/release/trove"
fi
[ -x "$BIN" ] || { echo "no trove binary at $BIN" >&2; exit 2; }
BIN="$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")"
unset TROVE_BIN  # the server refuses unknown TROVE_* variables (chaos.py passes none anyway)

for tool in python3 curl dd; do
  command -v "$tool" >/dev/null || { echo "chaos.sh needs $tool" >&2; exit 2; }
done

# --- cleanup: chaos.py records every server, mount and database in $WORK/state -------------
WORK="$(mktemp -d "${TMPDIR:-/tmp}/trove-chaos.XXXXXX")"
cleanup() {
  local kind value pids=()
  if [ -f "$WORK/state" ]; then
    while read -r kind value; do
      [ "$kind" = pid ] || continue
      # Only a process that is still one of our trove servers (pids get reused).
      if kill -0 "$value" 2>/dev/null && tr '\0' ' ' <"/proc/$value/cmdline" 2>/dev/null | grep -qF "$BIN"; then
        kill -TERM "$value" 2>/dev/null || true
        pids+=("$value")
      fi
    done <"$WORK/state"
    for _ in $(seq 1 30); do  # up to 3 s, then SIGKILL
      local left=0
      for pid in ${pids[@]+"${pids[@]}"}; do kill -0 "$pid" 2>/dev/null && left=1; done
      [ "$left" = 0 ] && break
      sleep 0.1
    done
    for pid in ${pids[@]+"${pids[@]}"}; do kill -KILL "$pid" 2>/dev/null || true; done
    while read -r kind value; do
      case "$kind" in
        mount)
          if mountpoint -q "$value" 2>/dev/null; then
            umount "$value" 2>/dev/null || umount -l "$value" 2>/dev/null || echo "could not unmount $value" >&2
          fi ;;
        db)
          psql -X -q "$PG_URL/postgres" -c "DROP DATABASE IF EXISTS $value WITH (FORCE)" >/dev/null 2>&1 ||
            echo "could not drop database $value" >&2 ;;
      esac
    done <"$WORK/state"
  fi
  if [ "$KEEP" = 1 ]; then
    echo "kept $WORK" >&2
  else
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "== chaos probes against $BIN (work dir $WORK)" >&2
RC=0
python3 scripts/chaos.py --bin "$BIN" --work "$WORK" --pg-url "$PG_URL" ${ARGS[@]+"${ARGS[@]}"} || RC=$?
exit "$RC"
