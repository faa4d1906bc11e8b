#!/usr/bin/env bash
# OCI registry benchmark, runnable from a fresh clone: Trove (filesystem store) against CNCF
# distribution (Debian's docker-registry, filesystem), measured in one run, interleaved
# (Trove, distribution, Trove, distribution, …), with ratios.
#
#   1. manifest GET by tag: wrk, WRK_CONNECTIONS (64) connections for WRK_SECONDS, req/s
#      and p99 latency;
#   2. monolithic push (POST + PUT with the body) of a fresh PUSH_MIB (100) MiB blob, MiB/s;
#   3. a fresh BIG_MIB (1024) MiB blob pushed as one stream (PATCH with the whole body, then
#      an empty closing PUT) and in CHUNKS (17) chunks (PATCH with Content-Range each, then
#      an empty closing PUT), MiB/s, the ratio chunked/one stream per round, and the time of
#      the closing PUT. Both pushes go through bench/oci-push.py for both servers, as Go OCI
#      clients (containerd, oras, skopeo) send them: every request of the upload on one
#      keep-alive connection, no `Expect: 100-continue`, each body sent from a file (the
#      chunks are cut into files before the clock starts) with sendfile, timed inside the
#      script from the POST to the closing PUT's answer (a curl process per chunk cost 8-10 ms
#      of process start and a new connection per chunk, which no real client pays);
#   4. the Trove server's largest RSS while it receives the 1 GiB uploads (sampled every
#      0.1 s).
#
# Trove is pushed to as docker, containerd, podman, oras and skopeo do: a registry token
# from /v2/token (Basic credentials once), then `Authorization: Bearer` on every request;
# TROVE_AUTH=basic sends the password with every request instead (an argon2 check, 45-115 ms
# of CPU, per request). distribution runs without authentication.
#
# wrk and docker-registry are installed with apt-get when missing. Everything listens on
# 127.0.0.1; every process started here is stopped and every file removed on exit. Needs
# about 3 × BIG_MIB of free space under TMPDIR.
#
#   bench/oci.sh
#   ROUNDS=3 WRK_SECONDS=5 bench/oci.sh
#   Knobs: ROUNDS WRK_THREADS WRK_CONNECTIONS WRK_SECONDS PUSH_MIB BIG_MIB CHUNKS TROVE_AUTH
#   TROVE_BENCH_BIN=path/to/trove bench/oci.sh   (a prebuilt binary instead of building one)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

ROUNDS="${ROUNDS:-2}"
WRK_THREADS="${WRK_THREADS:-2}"
WRK_CONNECTIONS="${WRK_CONNECTIONS:-64}"
WRK_SECONDS="${WRK_SECONDS:-8}"
PUSH_MIB="${PUSH_MIB:-100}"
BIG_MIB="${BIG_MIB:-1024}"
CHUNKS="${CHUNKS:-17}"
TROVE_AUTH="${TROVE_AUTH:-token}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/trove-target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

command -v wrk >/dev/null || { log "installing wrk"; apt_install wrk; }
REGISTRY_BIN="$(command -v docker-registry || true)"
if [ -z "$REGISTRY_BIN" ]; then
  log "installing docker-registry (CNCF distribution)"
  apt_install docker-registry
  REGISTRY_BIN="$(command -v docker-registry || echo /usr/bin/docker-registry)"
fi

bench_workdir trove-oci

trove_binary

MT=application/vnd.oci.image.manifest.v1+json

# --- servers ----------------------------------------------------------------------------------
TPORT="$(free_port)"
TROVE_DATA_DIR="$WORK/trove" TROVE_SERVER_LISTEN="127.0.0.1:$TPORT" TROVE_RATE_LIMITS_ENABLED=false \
  TROVE_LOG_LEVEL=warn "$TROVE" server >"$WORK/trove.log" 2>&1 &
PIDS+=($!)
TROVE_PID=$!
wait_http "http://127.0.0.1:$TPORT/health/ready" 60 "$TROVE_PID" "$WORK/trove.log"
curl -sf -o /dev/null -H 'Content-Type: application/json' \
  -d '{"username":"bench","email":"bench@example.com","password":"correct horse battery"}' \
  "http://127.0.0.1:$TPORT/api/v1/users"

RPORT="$(free_port)"
cat >"$WORK/registry.yml" <<EOF
version: 0.1
log: { level: error, accesslog: { disabled: true } }
storage: { filesystem: { rootdirectory: $WORK/registry }, cache: { blobdescriptor: inmemory } }
http: { addr: 127.0.0.1:$RPORT }
EOF
"$REGISTRY_BIN" serve "$WORK/registry.yml" >"$WORK/registry.log" 2>&1 &
PIDS+=($!)
wait_http "http://127.0.0.1:$RPORT/v2/" 60 "${PIDS[-1]}" "$WORK/registry.log"

declare -A BASE=([trove]="http://127.0.0.1:$TPORT" [distribution]="http://127.0.0.1:$RPORT")
TROVE_USER="bench:correct horse battery"
declare -A AUTH=([trove]="" [distribution]="")
SERVERS=(trove distribution)

# curl against a server, with its credentials.
scurl() { # server, curl args…
  local s="$1"
  shift
  case "${AUTH[$s]}" in
    "") curl "$@" ;;
    basic) curl -u "$TROVE_USER" "$@" ;;
    *) curl -H "Authorization: Bearer ${AUTH[$s]}" "$@" ;;
  esac
}

# Trove's credentials for the next pushes (a token lives 15 minutes: one per round).
trove_login() {
  if [ "$TROVE_AUTH" = basic ]; then
    AUTH[trove]=basic
    return
  fi
  local q="service=trove" r
  for r in app $(for i in $(seq 1 "$ROUNDS"); do echo "push$i stream$i chunked$i"; done); do
    q="$q&scope=repository:bench/$r:push,pull"
  done
  AUTH[trove]=$(curl -sf -u "$TROVE_USER" "${BASE[trove]}/v2/token?$q" | sed -n 's/.*"token": *"\([^"]*\)".*/\1/p')
  [ -n "${AUTH[trove]}" ] || { echo "no registry token from trove" >&2; exit 1; }
}
trove_login

# Starts an upload; prints its absolute location.
start_upload() { # server, repository
  local loc
  loc=$(scurl "$1" -sf -D - -o /dev/null -X POST "${BASE[$1]}/v2/$2/blobs/uploads/" | tr -d '\r' | sed -n 's/^[Ll]ocation: //p')
  case "$loc" in http*) echo "$loc" ;; *) echo "${BASE[$1]}$loc" ;; esac
}
with_digest() { case "$1" in *\?*) echo "$1&digest=$2" ;; *) echo "$1?digest=$2" ;; esac; }

# Monolithic push (POST, then PUT with the body and the digest).
push_monolithic() { # server, repository, file, digest
  local loc
  loc=$(start_upload "$1" "$2")
  scurl "$1" -sf -o /dev/null -X PUT -H 'Content-Type: application/octet-stream' \
    -T "$3" "$(with_digest "$loc" "$4")"
}

# The value of the Authorization header for a server ('' for none).
auth_header() { # server
  case "${AUTH[$1]}" in
    "") echo "" ;;
    basic) echo "Basic $(printf '%s' "$TROVE_USER" | base64 -w0)" ;;
    *) echo "Bearer ${AUTH[$1]}" ;;
  esac
}

# Pushes files as one upload through bench/oci-push.py (one keep-alive connection for all of
# its requests, as Go OCI clients do; no process start between requests): the time from the
# POST to the closing PUT's answer goes to $WORK/secs, the closing PUT's to $WORK/close.
push_upload() { # server, repository, digest, files…
  local s="$1" repo="$2" digest="$3" out
  shift 3
  out=$(python3 bench/oci-push.py "${BASE[$s]}" "$repo" "$digest" "$(auth_header "$s")" "$@")
  echo "${out% *}" >"$WORK/secs"
  echo "${out#* }" >"$WORK/close"
}

# One stream: a PATCH with the whole body, then an empty closing PUT.
push_stream() { # server, repository, file, digest
  push_upload "$1" "$2" "$4" "$3"
}

# Cuts a file into CHUNKS files $WORK/chunk.NN (before the clock starts) and removes it.
cut_chunks() { # file
  local size
  size=$(stat -c %s "$1")
  rm -f "$WORK"/chunk.*
  split -a 2 -d -b $(( (size + CHUNKS - 1) / CHUNKS )) "$1" "$WORK/chunk."
  rm -f "$1"
}

# The chunks cut by cut_chunks as PATCHes with Content-Range, then an empty closing PUT.
push_chunked() { # server, repository, (unused), digest
  push_upload "$1" "$2" "$4" "$WORK"/chunk.*
}

# Runs a command while sampling the Trove server's RSS every 0.1 s; the peak (kB) is kept in
# $WORK/rss across calls.
with_rss() {
  local sampler
  (
    peak=$(cat "$WORK/rss" 2>/dev/null || echo 0)
    while :; do
      r=$(awk '/VmRSS/ { print $2 }' "/proc/$TROVE_PID/status" 2>/dev/null || echo 0)
      if [ "${r:-0}" -gt "$peak" ]; then peak=$r; echo "$peak" >"$WORK/rss"; fi
      sleep 0.1
    done
  ) &
  sampler=$!
  PIDS+=("$sampler")
  "$@"
  kill "$sampler" 2>/dev/null || true
  wait "$sampler" 2>/dev/null || true
}

# A copy of a random base file with unique first 32 bytes (so a new digest each push).
FRESH=0
fresh() { # base file, name → sets F and D
  FRESH=$(( FRESH + 1 ))
  F="$WORK/$2"
  cp "$1" "$F"
  printf '%032d' "$FRESH$RANDOM" | dd of="$F" bs=32 count=1 conv=notrunc status=none
  D="sha256:$(sha256sum "$F" | cut -d' ' -f1)"
}

# Runs a command; its wall time goes to $WORK/secs.
timed() {
  local t0
  t0=$(date +%s.%N)
  "$@"
  awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f", b - a }' >"$WORK/secs"
}

# --- an image on both, for manifest GETs ------------------------------------------------------
printf '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]},"config":{}}' >"$WORK/config.json"
head -c 4096 /dev/urandom >"$WORK/layer"
CONFIG="sha256:$(sha256sum "$WORK/config.json" | cut -d' ' -f1)"
LAYER="sha256:$(sha256sum "$WORK/layer" | cut -d' ' -f1)"
printf '{"schemaVersion":2,"mediaType":"%s","config":{"mediaType":"application/vnd.oci.image.config.v1+json","size":%s,"digest":"%s"},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","size":4096,"digest":"%s"}]}' \
  "$MT" "$(stat -c %s "$WORK/config.json")" "$CONFIG" "$LAYER" >"$WORK/manifest.json"
for s in "${SERVERS[@]}"; do
  push_monolithic "$s" bench/app "$WORK/config.json" "$CONFIG"
  push_monolithic "$s" bench/app "$WORK/layer" "$LAYER"
  scurl "$s" -sf -o /dev/null -X PUT -H "Content-Type: $MT" --data-binary @"$WORK/manifest.json" \
    "${BASE[$s]}/v2/bench/app/manifests/latest"
  got=$(curl -sf -H "Accept: $MT" "${BASE[$s]}/v2/bench/app/manifests/latest" | sha256sum | cut -d' ' -f1)
  [ "$got" = "$(sha256sum "$WORK/manifest.json" | cut -d' ' -f1)" ] || { echo "$s does not serve the manifest anonymously" >&2; exit 1; }
done

log "random bases: ${PUSH_MIB} MiB and ${BIG_MIB} MiB"
head -c $(( PUSH_MIB * 1024 * 1024 )) /dev/urandom >"$WORK/push-base"
head -c $(( BIG_MIB * 1024 * 1024 )) /dev/urandom >"$WORK/big-base"

RSS_START=$(awk '/VmRSS/ { print $2 }' "/proc/$TROVE_PID/status")

# --- measurements -----------------------------------------------------------------------------
declare -A RPS=() P99=() PUSH=() STREAM=() CHUNKED=() CLOSE_STREAM=() CLOSE_CHUNKED=() RATIOS=()
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
best() { awk -v a="${1:-0}" -v b="$2" 'BEGIN { print (b > a ? b : a) }'; }
mibs() { awk -v m="$1" -v t="$2" 'BEGIN { printf "%.0f", m / t }'; }
for round in $(seq 1 "$ROUNDS"); do
  trove_login
  for s in "${SERVERS[@]}"; do
    out=$(wrk -t"$WRK_THREADS" -c"$WRK_CONNECTIONS" -d"${WRK_SECONDS}s" --latency -H "Accept: $MT" \
      "${BASE[$s]}/v2/bench/app/manifests/latest")
    r=$(echo "$out" | rps)
    p=$(echo "$out" | awk '$1 == "99%" { print $2 }')
    if echo "$out" | grep -q 'Non-2xx'; then echo "$s answered manifest GETs with errors: $out" >&2; exit 1; fi
    log "round $round: $s manifest GET by tag: $r req/s, p99 $p"
    RPS[$s]=$(best "${RPS[$s]:-}" "$r")
    P99[$s]="${P99[$s]:-}$p "
  done
  for s in "${SERVERS[@]}"; do
    fresh "$WORK/push-base" push
    sync
    timed push_monolithic "$s" "bench/push$round" "$F" "$D"
    m=$(mibs "$PUSH_MIB" "$(cat "$WORK/secs")")
    log "round $round: $s monolithic push of ${PUSH_MIB} MiB: $(cat "$WORK/secs")s, $m MiB/s"
    PUSH[$s]=$(best "${PUSH[$s]:-}" "$m")
    rm -f "$F"
  done
  for s in "${SERVERS[@]}"; do
    for how in stream chunked; do
      fresh "$WORK/big-base" big
      if [ "$how" = chunked ]; then cut_chunks "$F"; fi
      # The file(s) just written reach the disk before the clock starts: their writeback
      # would otherwise compete with the server's writes (1 GiB more for whichever push
      # follows the copy most closely).
      sync
      if [ "$s" = trove ]; then
        with_rss "push_$how" "$s" "bench/$how$round" "$F" "$D"
      else
        "push_$how" "$s" "bench/$how$round" "$F" "$D"
      fi
      secs=$(cat "$WORK/secs")
      close=$(cat "$WORK/close")
      m=$(mibs "$BIG_MIB" "$secs")
      log "round $round: $s ${BIG_MIB} MiB, $how: ${secs}s, $m MiB/s (closing PUT ${close}s)"
      if [ "$how" = stream ]; then
        STREAM[$s]=$(best "${STREAM[$s]:-}" "$m")
        CLOSE_STREAM[$s]="${CLOSE_STREAM[$s]:-}${close}s "
        stream_m=$m
      else
        CHUNKED[$s]=$(best "${CHUNKED[$s]:-}" "$m")
        CLOSE_CHUNKED[$s]="${CLOSE_CHUNKED[$s]:-}${close}s "
        RATIOS[$s]="${RATIOS[$s]:-}$(ratio "$m" "$stream_m") "
        log "round $round: $s chunked/one stream $(ratio "$m" "$stream_m")"
      fi
      rm -f "$F" "$WORK"/chunk.*
    done
  done
done
RSS_KB=$(cat "$WORK/rss" 2>/dev/null || echo 0)
cat <<SUMMARY

==================== trove OCI bench summary ====================
machine:   $(nproc) cores, $(uname -sr); $ROUNDS interleaved rounds, best of each; trove auth: $TROVE_AUTH
manifest GET by tag (wrk -t$WRK_THREADS -c$WRK_CONNECTIONS -d${WRK_SECONDS}s), req/s [p99 per round]:
  trove ${RPS[trove]} [${P99[trove]% }]   distribution ${RPS[distribution]} [${P99[distribution]% }]
  trove/distribution $(ratio "${RPS[trove]}" "${RPS[distribution]}")
monolithic push of a fresh ${PUSH_MIB} MiB blob, MiB/s:
  trove ${PUSH[trove]}   distribution ${PUSH[distribution]}   trove/distribution $(ratio "${PUSH[trove]}" "${PUSH[distribution]}")
fresh ${BIG_MIB} MiB blob, MiB/s [closing PUT per round]:
  one stream:  trove ${STREAM[trove]} [${CLOSE_STREAM[trove]% }]   distribution ${STREAM[distribution]} [${CLOSE_STREAM[distribution]% }]
  $CHUNKS chunks:   trove ${CHUNKED[trove]} [${CLOSE_CHUNKED[trove]% }]   distribution ${CHUNKED[distribution]} [${CLOSE_CHUNKED[distribution]% }]
  chunked/one stream, best of each: trove $(ratio "${CHUNKED[trove]}" "${STREAM[trove]}") distribution $(ratio "${CHUNKED[distribution]}" "${STREAM[distribution]}")
  chunked/one stream per round: trove [${RATIOS[trove]% }] distribution [${RATIOS[distribution]% }]
  trove/distribution: one stream $(ratio "${STREAM[trove]}" "${STREAM[distribution]}"), chunked $(ratio "${CHUNKED[trove]}" "${CHUNKED[distribution]}")
trove RSS: ${RSS_START} kB before the measurements, peak ${RSS_KB} kB during the ${BIG_MIB} MiB uploads
SUMMARY
