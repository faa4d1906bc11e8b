#!/usr/bin/env bash
# Search and metadata benchmark, runnable from a fresh clone:
#
#   1. seeds COUNT synthetic packages into a SQLite database (or TROVE_BENCH_DATABASE_URL,
#      e.g. an empty PostgreSQL database) through the data layer, with trove-bench; with
#      SEED_DIR the database is kept there ($SEED_DIR/trove-$COUNT.db) and reused by later
#      runs, as seeding a million packages takes a while;
#   2. starts `trove server` (release build) on it with a fresh data directory and times
#      `/health/live` and `/health/ready` from the start (the first start builds the index);
#   3. measures search latency as a client does: QUERIES mixed queries (words, two words,
#      typos, exact names, prefixes, filters, sorts, pages, browsing) one after another over
#      a keep-alive connection, then with 4 concurrent clients; p50/p95/p99; and the
#      server's RSS (now and peak);
#   4. restarts the server on the same data directory (an existing index, if the engine
#      keeps one) and measures start-up, latency and RSS again;
#   5. repeats 1-4 for every count in COUNTS;
#   6. measures package-metadata GET throughput with wrk, and in the same run the manifest
#      GET of CNCF distribution (Debian's docker-registry) holding one small image pushed
#      with curl, with the same wrk settings; prints both and the ratio (METADATA=0 skips).
#
# wrk and docker-registry are installed with apt-get when missing. Everything listens on
# 127.0.0.1 only; all processes started here are stopped on exit.
#
#   bench/search.sh                      # 100k packages
#   COUNTS="100000 1000000" SEED_DIR=$HOME/bench-seed bench/search.sh
#   COUNT=10000 QUERIES=1000 bench/search.sh
#   Knobs: COUNT COUNTS QUERIES SEED_DIR METADATA WRK_THREADS WRK_CONNECTIONS WRK_SECONDS
#          TROVE_BENCH_DATABASE_URL (one count only) TROVE_BENCH_BIN (a prebuilt trove; the
#          trove-bench beside it is used too)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

COUNTS="${COUNTS:-${COUNT:-100000}}"
QUERIES="${QUERIES:-3000}"
METADATA="${METADATA:-1}"
WRK_THREADS="${WRK_THREADS:-2}"
WRK_CONNECTIONS="${WRK_CONNECTIONS:-32}"
WRK_SECONDS="${WRK_SECONDS:-10}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/trove-target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
if [ -n "${TROVE_BENCH_DATABASE_URL:-}" ] && [ "$(echo $COUNTS | wc -w)" -gt 1 ]; then
  echo "TROVE_BENCH_DATABASE_URL takes one count (COUNT), not COUNTS=\"$COUNTS\"" >&2
  exit 2
fi

# --- tools ----------------------------------------------------------------------------
command -v curl >/dev/null || apt_install curl
if [ "$METADATA" = 1 ]; then
  command -v wrk >/dev/null || { log "installing wrk"; apt_install wrk; }
  REGISTRY_BIN="$(command -v docker-registry || true)"
  if [ -z "$REGISTRY_BIN" ]; then
    log "installing docker-registry (CNCF distribution)"
    apt_install docker-registry
    REGISTRY_BIN="$(command -v docker-registry || echo /usr/bin/docker-registry)"
  fi
  command -v sha256sum >/dev/null || apt_install coreutils
fi

# --- scratch space and cleanup ----------------------------------------------------------
bench_workdir trove-bench

# --- build ------------------------------------------------------------------------------
if [ -n "${TROVE_BENCH_BIN:-}" ]; then
  TROVE="$TROVE_BENCH_BIN"
  BENCH="$(dirname "$TROVE_BENCH_BIN")/trove-bench"
  log "using $TROVE and $BENCH (TROVE_BENCH_BIN; a debug build's figures say nothing of release speed)"
else
  log "building trove and trove-bench (release)"
  cargo build --release -p trove -p trove-bench >&2 2>"$WORK/build.log" || { cat "$WORK/build.log" >&2; exit 1; }
  TROVE="$CARGO_TARGET_DIR/release/trove"
  BENCH="$CARGO_TARGET_DIR/release/trove-bench"
fi

# --- helpers ------------------------------------------------------------------------------
# Seconds since `$1` (a `date +%s.%N` stamp).
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }'; }
# RSS and peak RSS of a process in MB.
# Anonymous memory is the process's own; file-backed is the index's mapped files (the kernel
# can drop those pages under memory pressure and read them again).
rss_mb() { awk '/^VmRSS/ { r = $2 } /^VmHWM/ { h = $2 } /^RssAnon/ { a = $2 } /^RssFile/ { f = $2 } END { printf "%.0f MB (peak %.0f MB; anonymous %.0f MB, file-backed %.0f MB)", r / 1024, h / 1024, a / 1024, f / 1024 }' "/proc/$1/status"; }
# Waits until a URL answers 2xx; prints nothing, fails if the server exits.
wait_quiet() { wait_http "$1" "$2" "$3" "$4"; }

SERVER=""
start_server() { # db_url data_dir log → sets SERVER, PORT, LIVE_S, READY_S
  PORT="$(free_port)"
  local t0
  t0=$(date +%s.%N)
  # Rate limits off: the clients here are the benchmark (distribution has none either).
  TROVE_DATA_DIR="$2" TROVE_DATABASE_URL="$1" TROVE_SERVER_LISTEN="127.0.0.1:$PORT" \
    TROVE_RATE_LIMITS_ENABLED=false TROVE_LOG_LEVEL=warn "$TROVE" server >>"$3" 2>&1 &
  SERVER=$!
  PIDS+=("$SERVER")
  wait_quiet "http://127.0.0.1:$PORT/health/live" 600 "$SERVER" "$3"
  LIVE_S=$(since "$t0")
  wait_quiet "http://127.0.0.1:$PORT/health/ready" 1200 "$SERVER" "$3"
  READY_S=$(since "$t0")
}
stop_server() {
  kill "$SERVER" 2>/dev/null || true
  wait "$SERVER" 2>/dev/null || true
  local i
  for i in "${!PIDS[@]}"; do [ "${PIDS[$i]}" = "$SERVER" ] && PIDS[$i]=""; done
  SERVER=""
}
latency() { # count clients warmup → the latency line
  "$BENCH" search --url "127.0.0.1:$PORT" --count "$1" --queries "$QUERIES" --clients "$2" --warmup "$3" |
    tee -a "$WORK/search-out.txt" | grep latency | sed 's/.*: n=/n=/'
}

SUMMARY=""
add() { SUMMARY+="$*"$'\n'; }
FIRST_DB=""
FIRST_COUNT=""

for COUNT in $COUNTS; do
  # --- seed ---------------------------------------------------------------------------
  if [ -n "${TROVE_BENCH_DATABASE_URL:-}" ]; then
    DB_URL="$TROVE_BENCH_DATABASE_URL"
    log "seeding $COUNT packages into ${DB_URL%%\?*}"
    "$BENCH" seed --database-url "$DB_URL" --count "$COUNT"
  else
    if [ -n "${SEED_DIR:-}" ]; then
      mkdir -p "$SEED_DIR"
      DB_FILE="$SEED_DIR/trove-$COUNT.db"
    else
      DB_FILE="$WORK/trove-$COUNT.db"
    fi
    DB_URL="sqlite://$DB_FILE"
    if [ -f "$DB_FILE.seeded" ]; then
      log "reusing $DB_FILE (seeded earlier with $COUNT packages)"
    else
      rm -f "$DB_FILE" "$DB_FILE-wal" "$DB_FILE-shm"
      log "seeding $COUNT packages into $DB_FILE"
      seeded=$(date +%s.%N)
      "$BENCH" seed --database-url "$DB_URL" --count "$COUNT"
      log "seeded in $(since "$seeded")s"
      touch "$DB_FILE.seeded"
    fi
  fi
  [ -z "$FIRST_DB" ] && { FIRST_DB="$DB_URL"; FIRST_COUNT="$COUNT"; }
  DATA="$WORK/data-$COUNT"
  LOGF="$WORK/trove-$COUNT.log"

  # --- first start: fresh data directory ----------------------------------------------------
  log "[$COUNT] starting trove server (fresh data directory: no index yet)"
  start_server "$DB_URL" "$DATA" "$LOGF"
  log "[$COUNT] live after ${LIVE_S}s, ready after ${READY_S}s"
  COLD="live ${LIVE_S}s, ready ${READY_S}s"
  log "[$COUNT] search latency ($QUERIES queries, one client, then 4 clients)"
  A1=$(latency "$COUNT" 1 300); echo "$A1"
  A4=$(latency "$COUNT" 4 0); echo "$A4"
  RSS_A=$(rss_mb "$SERVER")
  grep -m1 '^sample' "$WORK/search-out.txt" >&2 || true
  stop_server
  INDEX_SIZE="none on disk"
  if [ -d "$DATA/search" ]; then
    INDEX_SIZE="$(du -sh "$DATA/search" | cut -f1) ($DATA/search)"
  fi

  # --- second start: the same data directory --------------------------------------------
  log "[$COUNT] restarting on the same data directory"
  start_server "$DB_URL" "$DATA" "$LOGF"
  log "[$COUNT] live after ${LIVE_S}s, ready after ${READY_S}s"
  WARM="live ${LIVE_S}s, ready ${READY_S}s"
  B1=$(latency "$COUNT" 1 300); echo "$B1"
  B4=$(latency "$COUNT" 4 0); echo "$B4"
  RSS_B=$(rss_mb "$SERVER")
  SAMPLE=$(grep '^sample' "$WORK/search-out.txt" | tail -1)
  stop_server

  add "--- $COUNT packages ---"
  add "first start:     $COLD (builds the index)"
  add "restart:         $WARM (index size: $INDEX_SIZE)"
  add "1 client:        $A1"
  add "                 $B1 (after restart)"
  add "4 clients:       $A4"
  add "                 $B4 (after restart)"
  add "server RSS:      $RSS_A after the first run; $RSS_B after the restart run"
  add "$SAMPLE"
done

if [ "$METADATA" != 1 ]; then
  cat <<EOF

==================== trove search bench summary ====================
machine:         $(nproc) cores, $(uname -sr), load $(cut -d' ' -f1-3 /proc/loadavg)
queries:         $QUERIES per run (trove-bench search; p50/p95/p99 as the client sees them)
${SUMMARY}targets (1M):    1-client p99 < 10 ms, 4-client p99 < 20 ms, RSS < 500 MB, ready < 3 s on restart
=====================================================================
EOF
  exit 0
fi

# --- package metadata GET (the first count's database) ---------------------------------------
start_server "$FIRST_DB" "$WORK/data-$FIRST_COUNT" "$WORK/trove-meta.log"
FULL=$(curl -sf "http://127.0.0.1:$PORT/api/v1/search?sort=downloads&per_page=1" |
  sed -n 's/.*"full_name":"\([^"]*\)".*/\1/p')
META_URL="http://127.0.0.1:$PORT/api/v1/packages/$FULL"
curl -sf -o /dev/null "$META_URL"
log "wrk: package metadata GET $META_URL"
wrk -t"$WRK_THREADS" -c"$WRK_CONNECTIONS" -d"${WRK_SECONDS}s" --latency "$META_URL" | tee "$WORK/wrk-trove.txt"
TROVE_RPS=$(rps <"$WORK/wrk-trove.txt")
stop_server

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
wait_http "http://127.0.0.1:$RPORT/v2/" 60 "$!" "$WORK/registry.log"

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
machine:         $(nproc) cores, $(uname -sr), load $(cut -d' ' -f1-3 /proc/loadavg)
queries:         $QUERIES per run (trove-bench search; p50/p95/p99 as the client sees them)
${SUMMARY}targets (1M):    1-client p99 < 10 ms, 4-client p99 < 20 ms, RSS < 500 MB, ready < 3 s on restart
metadata GET:    ${TROVE_RPS} req/s  (wrk -t$WRK_THREADS -c$WRK_CONNECTIONS -d${WRK_SECONDS}s, GET /api/v1/packages/$FULL, $FIRST_COUNT packages)
manifest GET:    ${REGISTRY_RPS} req/s  (docker-registry, same wrk settings)
ratio:           ${RATIO}x  (target: >= 10x)
=============================================================
EOF
