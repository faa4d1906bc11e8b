#!/usr/bin/env bash
# Cargo registry benchmark, Trove against Kellnr in the same run, from a fresh clone:
#
#   1. builds `trove` (release) and Kellnr from its crate (crates.io source, built with
#      the Cargo.lock it ships and webpki-roots pinned to 1.0.10), once, kept in KELLNR_DIR;
#   2. publishes the same COUNT generated crates (a DAG: each depends on up to three earlier
#      ones, a root crate on every crate nothing else depends on) to a Trove namespace registry and to Kellnr,
#      through the Cargo web API (binary publish body);
#   3. measures with wrk the GET of one index file (sparse protocol) and of one .crate
#      download on both: req/s and p99;
#   4. times `cargo generate-lockfile` + `cargo fetch` of a project depending on the root
#      crate (the whole COUNT-crate graph), fresh CARGO_HOME for each registry.
#
# Everything listens on 127.0.0.1 only; every process started here is stopped on exit.
#
#   bench/cargo.sh
#   COUNT=50 WRK_SECONDS=5 bench/cargo.sh
#   KELLNR=0 TROVE_BENCH_BIN=target/debug/trove bench/cargo.sh   # Trove only, a prebuilt binary
#   Knobs: COUNT WRK_THREADS WRK_CONNECTIONS WRK_SECONDS KELLNR KELLNR_VERSION KELLNR_DIR
#          TROVE_BENCH_BIN
#   Kellnr's first build takes 15+ minutes on two cores; later runs reuse the binary.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

COUNT="${COUNT:-200}"
WRK_THREADS="${WRK_THREADS:-2}"
WRK_CONNECTIONS="${WRK_CONNECTIONS:-32}"
WRK_SECONDS="${WRK_SECONDS:-10}"
KELLNR="${KELLNR:-1}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/trove-target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"


command -v wrk >/dev/null || { log "installing wrk"; apt_install wrk; }
command -v curl >/dev/null || apt_install curl
command -v python3 >/dev/null || apt_install python3

bench_workdir trove-cargo-bench



p99() { awk '$1 == "99%" { print $2 }' "$1"; }

# --- build ------------------------------------------------------------------------------
TROVE="${TROVE_BENCH_BIN:-}"
if [ -z "$TROVE" ]; then
  log "building trove (release)"
  cargo build --release -p trove -p trove-bench 2>"$WORK/build.log" || { cat "$WORK/build.log" >&2; exit 1; }
  TROVE="$CARGO_TARGET_DIR/release/trove"
fi

KELLNR_BIN=""
if [ "$KELLNR" = 1 ]; then
  # The version this script was run with (6.13.0 builds here); any other may be asked for.
  KELLNR_VERSION="${KELLNR_VERSION:-6.13.0}"
  KELLNR_DIR="${KELLNR_DIR:-$HOME/.cache/kellnr}"
  KELLNR_BIN="$KELLNR_DIR/target/release/kellnr"
  built_version() { sed -n 's/^version = "\(.*\)"$/\1/p' "$KELLNR_DIR/Cargo.toml" 2>/dev/null | head -1; }
  if [ ! -x "$KELLNR_BIN" ] || [ "$(built_version)" != "$KELLNR_VERSION" ]; then
    log "building Kellnr $KELLNR_VERSION from its crate (takes a while once; kept in $KELLNR_DIR)"
    rm -rf "$KELLNR_DIR/src" "$KELLNR_DIR/Cargo.toml" "$KELLNR_DIR/Cargo.lock"
    mkdir -p "$KELLNR_DIR"
    curl -sfL "https://static.crates.io/crates/kellnr/kellnr-$KELLNR_VERSION.crate" | tar -xz -C "$KELLNR_DIR" --strip-components=1
    # The crate's own Cargo.lock (a fresh resolution picks newer dependencies that may not
    # build); webpki-roots 1.0.11 is held back at 1.0.10.
    ( cd "$KELLNR_DIR" && export CARGO_TARGET_DIR="$KELLNR_DIR/target" &&
      if grep -q '^name = "webpki-roots"' Cargo.lock; then
        cargo update -q -p webpki-roots --precise 1.0.10 >&2
      fi &&
      cargo build --release --locked 2>"$KELLNR_DIR/build.log" ) ||
      { tail -30 "$KELLNR_DIR/build.log" >&2; echo "building Kellnr $KELLNR_VERSION failed (log: $KELLNR_DIR/build.log)" >&2; exit 1; }
  fi
fi

# --- the crates -----------------------------------------------------------------------------
# c000 … c(N-1): each depends on up to three earlier ones; `graph-root` on every crate nothing
# else depends on, so the lock holds the whole graph.
log "generating $COUNT crates"
python3 - "$WORK/crates" "$COUNT" <<'PY'
import io, json, os, struct, sys, tarfile, random
out, count = sys.argv[1], int(sys.argv[2])
os.makedirs(out, exist_ok=True)
random.seed(7)
names = [f"c{i:03d}" for i in range(count)]
order = []
def crate(name, deps):
    toml = f'[package]\nname = "{name}"\nversion = "0.1.0"\nedition = "2021"\n'
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as t:
        for path, data in ((f"{name}-0.1.0/Cargo.toml", toml.encode()), (f"{name}-0.1.0/src/lib.rs", b"")):
            info = tarfile.TarInfo(path); info.size = len(data); info.mode = 0o644
            t.addfile(info, io.BytesIO(data))
    meta = {"name": name, "vers": "0.1.0", "features": {}, "authors": [], "description": name,
            "license": "MIT", "keywords": [], "categories": [], "badges": {}, "links": None,
            "deps": [{"name": d, "version_req": "^0.1", "features": [], "optional": False,
                      "default_features": True, "target": None, "kind": "normal"} for d in deps]}
    j = json.dumps(meta).encode(); c = buf.getvalue()
    with open(os.path.join(out, f"{len(order):04d}-{name}.body"), "wb") as f:
        f.write(struct.pack("<I", len(j)) + j + struct.pack("<I", len(c)) + c)
    order.append(name)
used = set()
for i, n in enumerate(names):
    deps = sorted(set(random.sample(names[:i], min(i, 3))))
    used.update(deps)
    crate(n, deps)
# The root depends on every crate no other crate depends on, so the whole graph is reachable.
crate("graph-root", [n for n in names if n not in used])
PY

publish_all() { # api base, token
  local f code
  for f in "$WORK"/crates/*.body; do
    code=$(curl -s -o "$WORK/publish.out" -w '%{http_code}' -X PUT -H "authorization: $2" \
      --data-binary @"$f" "$1/api/v1/crates/new")
    [ "$code" = 200 ] || { echo "publishing $f failed ($code): $(cat "$WORK/publish.out")" >&2; exit 1; }
  done
}

# wrk on an index file and a download; sets <NAME>_INDEX_RPS/_P99 and <NAME>_DL_RPS/_P99.
measure() { # name, index url, download url
  curl -sf -o /dev/null "$2" && curl -sf -o /dev/null "$3"
  log "wrk: $1 index GET $2"
  wrk -t"$WRK_THREADS" -c"$WRK_CONNECTIONS" -d"${WRK_SECONDS}s" --latency "$2" | tee "$WORK/$1-index.txt" >&2
  log "wrk: $1 .crate GET $3"
  wrk -t"$WRK_THREADS" -c"$WRK_CONNECTIONS" -d"${WRK_SECONDS}s" --latency "$3" | tee "$WORK/$1-dl.txt" >&2
  printf -v "${1}_INDEX_RPS" '%s' "$(rps "$WORK/$1-index.txt")"
  printf -v "${1}_INDEX_P99" '%s' "$(p99 "$WORK/$1-index.txt")"
  printf -v "${1}_DL_RPS" '%s' "$(rps "$WORK/$1-dl.txt")"
  printf -v "${1}_DL_P99" '%s' "$(p99 "$WORK/$1-dl.txt")"
}

# Wall time of generate-lockfile + fetch of the whole graph with a fresh CARGO_HOME.
resolve() { # name, sparse index url, token (or "")
  local home="$WORK/$1-home" proj="$WORK/$1-project" start end
  mkdir -p "$home" "$proj/src"
  printf '[registries.bench]\nindex = "sparse+%s"\ncredential-provider = "cargo:token"\n' "$2" >"$home/config.toml"
  printf '[package]\nname = "consumer"\nversion = "0.0.0"\nedition = "2021"\npublish = false\n\n[dependencies]\ngraph-root = { version = "0.1", registry = "bench" }\n' >"$proj/Cargo.toml"
  : >"$proj/src/lib.rs"
  start=$(date +%s.%N)
  ( cd "$proj" && CARGO_HOME="$home" CARGO_REGISTRIES_BENCH_TOKEN="$3" cargo generate-lockfile -q &&
    CARGO_HOME="$home" CARGO_REGISTRIES_BENCH_TOKEN="$3" cargo fetch -q ) >&2
  end=$(date +%s.%N)
  [ "$(grep -c '^name = ' "$proj/Cargo.lock")" -ge "$COUNT" ] || { echo "$1: the lock misses crates" >&2; exit 1; }
  printf -v "${1}_RESOLVE" '%s' "$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }')"
}

# --- Trove ---------------------------------------------------------------------------------
PORT="$(free_port)"
TB="http://127.0.0.1:$PORT"
log "starting trove server on $TB"
TROVE_DATA_DIR="$WORK/trove-data" TROVE_SERVER_LISTEN="127.0.0.1:$PORT" TROVE_SERVER_BASE_URL="$TB" \
  TROVE_RATE_LIMITS_ENABLED=false TROVE_LOG_LEVEL=warn "$TROVE" server >"$WORK/trove.log" 2>&1 &
PIDS+=($!)
wait_http "$TB/health/ready" 120 "${PIDS[0]}" "$WORK/trove.log"
curl -sf -o /dev/null -X POST "$TB/api/v1/users" -H 'content-type: application/json' \
  -d '{"username":"bench","email":"bench@example.com","password":"correct horse battery"}'
CSRF=$(curl -sf -c "$WORK/jar" -X POST "$TB/api/v1/session" -H 'content-type: application/json' \
  -d '{"username":"bench","password":"correct horse battery"}' | sed -n 's/.*"csrf_token":"\([^"]*\)".*/\1/p')
TOKEN=$(curl -sf -b "$WORK/jar" -X POST "$TB/api/v1/tokens" -H "x-csrf-token: $CSRF" -H 'content-type: application/json' \
  -d '{"name":"bench","scopes":["publish"]}' | sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
log "publishing $((COUNT + 1)) crates to Trove"
start=$(date +%s.%N)
publish_all "$TB/cargo/bench" "$TOKEN"
TROVE_PUBLISH=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
LAST=$(printf 'c%03d' $((COUNT - 1)))
measure trove "$TB/cargo/bench/index/${LAST:0:2}/${LAST:2:2}/$LAST" "$TB/cargo/bench/api/v1/crates/$LAST/0.1.0/download"
resolve trove "$TB/cargo/bench/index/" ""

# --- Kellnr --------------------------------------------------------------------------------
if [ -n "$KELLNR_BIN" ]; then
  KPORT="$(free_port)"
  KB="http://127.0.0.1:$KPORT"
  KTOKEN="TroveBenchAdminToken0123456789ab"
  log "starting Kellnr $KELLNR_VERSION on $KB"
  mkdir -p "$WORK/kellnr-data"
  # Kellnr 6: `kellnr start`; its sparse index is /api/v1/crates/ (config.json there, `dl`
  # = /api/v1/crates/dl); the admin token comes from the setup settings.
  KELLNR_REGISTRY__DATA_DIR="$WORK/kellnr-data" KELLNR_LOCAL__IP=127.0.0.1 KELLNR_LOCAL__PORT="$KPORT" \
    KELLNR_ORIGIN__HOSTNAME=127.0.0.1 KELLNR_ORIGIN__PORT="$KPORT" KELLNR_ORIGIN__PROTOCOL=http \
    KELLNR_SETUP__ADMIN_TOKEN="$KTOKEN" KELLNR_LOG__LEVEL=warn \
    "$KELLNR_BIN" start >"$WORK/kellnr.log" 2>&1 &
  PIDS+=($!)
  wait_http "$KB/api/v1/crates/config.json" 120 "${PIDS[1]}" "$WORK/kellnr.log"
  log "publishing $((COUNT + 1)) crates to Kellnr"
  start=$(date +%s.%N)
  publish_all "$KB" "$KTOKEN"
  KELLNR_PUBLISH=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
  measure kellnr "$KB/api/v1/crates/${LAST:0:2}/${LAST:2:2}/$LAST" "$KB/api/v1/crates/dl/$LAST/0.1.0/download"
  resolve kellnr "$KB/api/v1/crates/" "$KTOKEN"
fi

# --- summary -------------------------------------------------------------------------------
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1fx", a / b; else print "n/a" }'; }
cat <<SUMMARY

==================== trove cargo bench summary ====================
machine:        $(nproc) cores, $(uname -sr), load $(cut -d' ' -f1-3 /proc/loadavg)
crates:         $((COUNT + 1)) (wrk -t$WRK_THREADS -c$WRK_CONNECTIONS -d${WRK_SECONDS}s)
trove:          index GET ${trove_INDEX_RPS} req/s (p99 ${trove_INDEX_P99}); .crate GET ${trove_DL_RPS} req/s (p99 ${trove_DL_P99}); publish all ${TROVE_PUBLISH}s; generate-lockfile + fetch ${trove_RESOLVE}s
SUMMARY
if [ -n "$KELLNR_BIN" ]; then
  cat <<SUMMARY
kellnr $KELLNR_VERSION: index GET ${kellnr_INDEX_RPS} req/s (p99 ${kellnr_INDEX_P99}); .crate GET ${kellnr_DL_RPS} req/s (p99 ${kellnr_DL_P99}); publish all ${KELLNR_PUBLISH}s; generate-lockfile + fetch ${kellnr_RESOLVE}s
trove/kellnr:   index GET $(ratio "$trove_INDEX_RPS" "$kellnr_INDEX_RPS"), .crate GET $(ratio "$trove_DL_RPS" "$kellnr_DL_RPS"), resolve+fetch time $(ratio "$kellnr_RESOLVE" "$trove_RESOLVE") faster
SUMMARY
fi
