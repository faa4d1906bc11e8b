#!/usr/bin/env bash
# Search and metadata benchmark, runnable from a fresh clone:
#
#   1. seeds COUNT synthetic packages (default 100,000) into a fresh SQLite database
#      (or TROVE_BENCH_DATABASE_URL, e.g. an empty PostgreSQL database) through the data
#      layer, with trove-bench;
#   2. starts `trove server` (release build) on it;
#   3. measures search latency as a client does: QUERIES mixed queries (words, two words,
#      typos, exact names, prefixes, filters, sorts, pages, browsing) one after another over
#      a keep-alive connection, then with 4 concurrent clients; p50/p95/p99;
#   4. measures package-metadata GET throughput with wrk, and in the same run the manifest
#      GET of CNCF distribution (Debian's docker-registry) holding one small image pushed
#      with curl, with the same wrk settings; prints both and the ratio.
#
# wrk and docker-registry are installed with apt-get when missing. Everything listens on
# 127.0.0.1 only; all processes started here are stopped on exit.
#
#   bench/search.sh                      # 100k packages
#   COUNT=10000 QUERIES=1000 bench/search.sh
#   Knobs: COUNT QUERIES WRK_THREADS WRK_CONNECTIONS WRK_SECONDS TROVE_BENCH_DATABASE_URL
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

COUNT="${COUNT:-100000}"
QUERIES="${QUERIES:-3000}"
WRK_THREADS="${WRK_THREADS:-2}"
WRK_CONNECTIONS="${WRK_CONNECTIONS:-32}"
WRK_SECONDS="${WRK_SECONDS:-10}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/trove-target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"


# --- tools ----------------------------------------------------------------------------
command -v wrk >/dev/null || { log "installing wrk"; apt_install wrk; }
REGISTRY_BIN="$(command -v docker-registry || true)"
if [ -z "$REGISTRY_BIN" ]; then
  log "installing docker-registry (CNCF distribution)"
  apt_install docker-registry
  REGISTRY_BIN="$(command -v docker-registry || echo /usr/bin/docker-registry)"
fi
command -v curl >/dev/null || apt_install curl
command -v sha256sum >/dev/null || apt_install coreutils

# --- scratch space and cleanup ----------------------------------------------------------
bench_workdir trove-bench




# --- build ------------------------------------------------------------------------------
log "building trove and trove-bench (release)"
cargo build --release -p trove -p trove-bench >&2 2>"$WORK/build.log" || { cat "$WORK/build.log" >&2; exit 1; }
TROVE="$CARGO_TARGET_DIR/release/trove"
BENCH="$CARGO_TARGET_DIR/release/trove-bench"

# --- seed -------------------------------------------------------------------------------
DB_URL="${TROVE_BENCH_DATABASE_URL:-sqlite://$WORK/trove.db}"
log "seeding $COUNT packages into ${DB_URL%%\?*}"
"$BENCH" seed --database-url "$DB_URL" --count "$COUNT"

# --- trove server -------------------------------------------------------------------------
PORT="$(free_port)"
log "starting trove server on 127.0.0.1:$PORT (builds the search index before serving)"
started=$(date +%s.%N)
# Rate limits off: the clients here are the benchmark (distribution has none either).
TROVE_DATA_DIR="$WORK/data" TROVE_DATABASE_URL="$DB_URL" TROVE_SERVER_LISTEN="127.0.0.1:$PORT" \
  TROVE_RATE_LIMITS_ENABLED=false TROVE_LOG_LEVEL=warn "$TROVE" server >"$WORK/trove.log" 2>&1 &
PIDS+=($!)
wait_http "http://127.0.0.1:$PORT/health/ready" 600 "${PIDS[0]}" "$WORK/trove.log"
ready=$(date +%s.%N)
INDEX_SECONDS=$(awk -v a="$started" -v b="$ready" 'BEGIN { printf "%.1f", b - a }')
log "ready after ${INDEX_SECONDS}s"

log "search latency ($QUERIES queries, one client, then 4 clients)"
SEARCH_1=$("$BENCH" search --url "127.0.0.1:$PORT" --count "$COUNT" --queries "$QUERIES" --clients 1)
echo "$SEARCH_1"
SEARCH_4=$("$BENCH" search --url "127.0.0.1:$PORT" --count "$COUNT" --queries "$QUERIES" --clients 4 --warmup 0 | grep latency)
echo "$SEARCH_4"

FULL=$(curl -sf "http://127.0.0.1:$PORT/api/v1/search?sort=downloads&per_page=1" |
  sed -n 's/.*"full_name":"\([^"]*\)".*/\1/p')
META_URL="http://127.0.0.1:$PORT/api/v1/packages/$FULL"
curl -sf -o /dev/null "$META_URL"
log "wrk: package metadata GET $META_URL"
wrk -t"$WRK_THREADS" -c"$WRK_CONNECTIONS" -d"${WRK_SECONDS}s" --latency "$META_URL" | tee "$WORK/wrk-trove.txt"
TROVE_RPS=$(rps <"$WORK/wrk-trove.txt")
kill "${PIDS[0]}" 2>/dev/null || true
wait "${PIDS[0]}" 2>/dev/null || true
PIDS[0]=""

# --- CNCF distribution --------------------------------------------------------------------
RPORT="$(free_port)"
mkdir -p "$WORK/registry"
cat >"$WORK/registry.yml" <<EOF
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $WORK/registry
  cache:
    blobdescriptor: inmemory
http:
  addr: 127.0.0.1:$RPORT
EOF
log "starting docker-registry $("$REGISTRY_BIN" --version 2>/dev/null | head -1) on 127.0.0.1:$RPORT"
"$REGISTRY_BIN" serve "$WORK/registry.yml" >"$WORK/registry.log" 2>&1 &
PIDS+=($!)
wait_http "http://127.0.0.1:$RPORT/v2/" 60 "${PIDS[1]}" "$WORK/registry.log"

REG="http://127.0.0.1:$RPORT/v2/bench/app"
push_blob() { # file → digest
  local file="$1" digest loc sep
  digest="sha256:$(sha256sum "$file" | cut -d' ' -f1)"
  loc=$(curl -sf -D - -o /dev/null -X POST "$REG/blobs/uploads/" | tr -d '\r' | sed -n 's/^[Ll]ocation: //p')
  case "$loc" in http*) ;; *) loc="http://127.0.0.1:$RPORT$loc" ;; esac
  case "$loc" in *\?*) sep='&' ;; *) sep='?' ;; esac
  curl -sf -o /dev/null -X PUT -H 'Content-Type: application/octet-stream' \
    --data-binary @"$file" "$loc${sep}digest=$digest"
  echo "$digest"
}
printf 'trove bench layer\n' >"$WORK/layer.txt"
tar -C "$WORK" -czf "$WORK/layer.tar.gz" layer.txt
printf '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]},"config":{}}' >"$WORK/config.json"
LAYER=$(push_blob "$WORK/layer.tar.gz")
CONFIG=$(push_blob "$WORK/config.json")
MT=application/vnd.docker.distribution.manifest.v2+json
cat >"$WORK/manifest.json" <<EOF
{"schemaVersion":2,"mediaType":"$MT",
 "config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":$(stat -c %s "$WORK/config.json"),"digest":"$CONFIG"},
 "layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","size":$(stat -c %s "$WORK/layer.tar.gz"),"digest":"$LAYER"}]}
EOF
curl -sf -o /dev/null -X PUT -H "Content-Type: $MT" --data-binary @"$WORK/manifest.json" "$REG/manifests/latest"
curl -sf -o /dev/null -H "Accept: $MT" "$REG/manifests/latest"
log "wrk: distribution manifest GET $REG/manifests/latest"
wrk -t"$WRK_THREADS" -c"$WRK_CONNECTIONS" -d"${WRK_SECONDS}s" --latency -H "Accept: $MT" "$REG/manifests/latest" |
  tee "$WORK/wrk-registry.txt"
REGISTRY_RPS=$(rps <"$WORK/wrk-registry.txt")

# --- summary ------------------------------------------------------------------------------
RATIO=$(awk -v a="$TROVE_RPS" -v b="$REGISTRY_RPS" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }')
cat <<EOF

==================== trove bench summary ====================
machine:         $(nproc) cores, $(uname -sr); load before run is in the lines above
packages:        $COUNT (index built and server ready in ${INDEX_SECONDS}s)
$(echo "$SEARCH_1" | grep latency)
$SEARCH_4
metadata GET:    ${TROVE_RPS} req/s  (wrk -t$WRK_THREADS -c$WRK_CONNECTIONS -d${WRK_SECONDS}s, GET /api/v1/packages/$FULL)
manifest GET:    ${REGISTRY_RPS} req/s  (docker-registry, same wrk settings)
ratio:           ${RATIO}x  (target: >= 10x)
search target:   p99 < 10 ms at 100,000 packages
=============================================================
EOF
