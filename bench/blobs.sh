#!/usr/bin/env bash
# Blob download benchmark, runnable from a fresh clone: the same bytes served by Trove (OCI
# blob GET, filesystem store), nginx (static file, sendfile on) and CNCF distribution
# (Debian's docker-registry, filesystem), measured in one run, interleaved (Trove, nginx,
# distribution, Trove, …), with ratios.
#
#   1. 1 MiB blob: wrk, WRK_CONNECTIONS connections for WRK_SECONDS seconds, req/s;
#   2. 100 MiB blob: one stream with curl, MB/s (best of each round);
#   3. the number of threads of the Trove server after 100 concurrent 100 MiB downloads.
#
# nginx, wrk and docker-registry are installed with apt-get when missing. Everything
# listens on 127.0.0.1; every process started here is stopped on exit.
#
#   bench/blobs.sh
#   ROUNDS=3 WRK_SECONDS=5 bench/blobs.sh
#   Knobs: ROUNDS WRK_THREADS WRK_CONNECTIONS WRK_SECONDS BIG_MIB
#   TROVE_BENCH_BIN=path/to/trove bench/blobs.sh   (a prebuilt binary instead of building one)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

ROUNDS="${ROUNDS:-2}"
WRK_THREADS="${WRK_THREADS:-2}"
WRK_CONNECTIONS="${WRK_CONNECTIONS:-32}"
WRK_SECONDS="${WRK_SECONDS:-8}"
BIG_MIB="${BIG_MIB:-100}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/trove-target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"


command -v wrk >/dev/null || { log "installing wrk"; apt_install wrk; }
NGINX_BIN="$(command -v nginx || true)"
[ -n "$NGINX_BIN" ] || [ -x /usr/sbin/nginx ] || { log "installing nginx"; apt_install nginx-light || apt_install nginx; }
NGINX_BIN="$(command -v nginx || echo /usr/sbin/nginx)"
REGISTRY_BIN="$(command -v docker-registry || true)"
if [ -z "$REGISTRY_BIN" ]; then
  log "installing docker-registry (CNCF distribution)"
  apt_install docker-registry
  REGISTRY_BIN="$(command -v docker-registry || echo /usr/bin/docker-registry)"
fi

bench_workdir trove-blobs

trove_binary

mkdir -p "$WORK/www"
head -c $(( 1024 * 1024 )) /dev/urandom >"$WORK/www/small"
head -c $(( BIG_MIB * 1024 * 1024 )) /dev/urandom >"$WORK/www/big"
SMALL="sha256:$(sha256sum "$WORK/www/small" | cut -d' ' -f1)"
BIG="sha256:$(sha256sum "$WORK/www/big" | cut -d' ' -f1)"

push_blob() { # v2 repository URL, file, digest, [curl auth args…]
  local repo="$1" file="$2" digest="$3" loc sep base
  shift 3
  base="${repo%%/v2/*}"
  loc=$(curl -sf "$@" -D - -o /dev/null -X POST "$repo/blobs/uploads/" | tr -d '\r' | sed -n 's/^[Ll]ocation: //p')
  case "$loc" in http*) ;; *) loc="$base$loc" ;; esac
  case "$loc" in *\?*) sep='&' ;; *) sep='?' ;; esac
  curl -sf "$@" -o /dev/null -X PUT -H 'Content-Type: application/octet-stream' \
    --data-binary @"$file" "$loc${sep}digest=$digest"
}

# --- Trove ----------------------------------------------------------------------------------
TPORT="$(free_port)"
TROVE_DATA_DIR="$WORK/trove" TROVE_SERVER_LISTEN="127.0.0.1:$TPORT" TROVE_RATE_LIMITS_ENABLED=false \
  TROVE_LOG_LEVEL=warn "$TROVE" server >"$WORK/trove.log" 2>&1 &
PIDS+=($!)
TROVE_PID=$!
wait_http "http://127.0.0.1:$TPORT/health/ready" 60 "$TROVE_PID" "$WORK/trove.log"
curl -sf -o /dev/null -H 'Content-Type: application/json' \
  -d '{"username":"bench","email":"bench@example.com","password":"correct horse battery"}' \
  "http://127.0.0.1:$TPORT/api/v1/users"
TREPO="http://127.0.0.1:$TPORT/v2/bench/blobs"
push_blob "$TREPO" "$WORK/www/small" "$SMALL" -u bench:'correct horse battery'
push_blob "$TREPO" "$WORK/www/big" "$BIG" -u bench:'correct horse battery'
# A manifest makes the repository (and its blobs) public and pullable anonymously.
printf '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]},"config":{}}' >"$WORK/config.json"
CONFIG="sha256:$(sha256sum "$WORK/config.json" | cut -d' ' -f1)"
push_blob "$TREPO" "$WORK/config.json" "$CONFIG" -u bench:'correct horse battery'
MT=application/vnd.oci.image.manifest.v1+json
manifest() {
  cat <<EOF
{"schemaVersion":2,"mediaType":"$MT",
 "config":{"mediaType":"application/vnd.oci.image.config.v1+json","size":$(stat -c %s "$WORK/config.json"),"digest":"$CONFIG"},
 "layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","size":$(stat -c %s "$WORK/www/small"),"digest":"$SMALL"},
           {"mediaType":"application/vnd.oci.image.layer.v1.tar","size":$(stat -c %s "$WORK/www/big"),"digest":"$BIG"}]}
EOF
}
manifest >"$WORK/manifest.json"
curl -sf -o /dev/null -u bench:'correct horse battery' -X PUT -H "Content-Type: $MT" \
  --data-binary @"$WORK/manifest.json" "$TREPO/manifests/latest"
for d in "$SMALL" "$BIG"; do
  curl -sf -o /dev/null "$TREPO/blobs/$d" || { echo "anonymous blob GET from Trove failed" >&2; exit 1; }
done

# --- nginx ----------------------------------------------------------------------------------
NPORT="$(free_port)"
mkdir -p "$WORK/nginx"
cat >"$WORK/nginx.conf" <<EOF
worker_processes auto;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log warn;
daemon off;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 100000;
  client_body_temp_path $WORK/nginx; proxy_temp_path $WORK/nginx; fastcgi_temp_path $WORK/nginx;
  uwsgi_temp_path $WORK/nginx; scgi_temp_path $WORK/nginx;
  server { listen 127.0.0.1:$NPORT; root $WORK/www; }
}
EOF
# nginx's workers run as an unprivileged user: they must be able to read the files.
chmod 755 "$WORK" "$WORK/www"
chmod 644 "$WORK/www/small" "$WORK/www/big"
"$NGINX_BIN" -c "$WORK/nginx.conf" >"$WORK/nginx/out.log" 2>&1 &
PIDS+=($!)
wait_http "http://127.0.0.1:$NPORT/small" 30 "${PIDS[-1]}" "$WORK/nginx/out.log"
for s in small big; do
  got=$(curl -sf -o /dev/null -w '%{size_download}' "http://127.0.0.1:$NPORT/$s") || { echo "nginx does not serve $s" >&2; cat "$WORK/nginx/error.log" >&2; exit 1; }
  [ "$got" = "$(stat -c %s "$WORK/www/$s")" ] || { echo "nginx served $got bytes of $s" >&2; exit 1; }
done

# --- CNCF distribution ------------------------------------------------------------------------
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
RREPO="http://127.0.0.1:$RPORT/v2/bench/blobs"
push_blob "$RREPO" "$WORK/www/small" "$SMALL"
push_blob "$RREPO" "$WORK/www/big" "$BIG"

# --- measurements -----------------------------------------------------------------------------
declare -A SMALL_URL=([trove]="$TREPO/blobs/$SMALL" [nginx]="http://127.0.0.1:$NPORT/small" [distribution]="$RREPO/blobs/$SMALL")
declare -A BIG_URL=([trove]="$TREPO/blobs/$BIG" [nginx]="http://127.0.0.1:$NPORT/big" [distribution]="$RREPO/blobs/$BIG")
declare -A BEST_RPS=() BEST_MBS=()
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
SERVERS=(trove nginx distribution)
for round in $(seq 1 "$ROUNDS"); do
  declare -A R=()
  for s in "${SERVERS[@]}"; do
    r=$(wrk -t"$WRK_THREADS" -c"$WRK_CONNECTIONS" -d"${WRK_SECONDS}s" "${SMALL_URL[$s]}" | rps)
    log "round $round: $s 1 MiB GET: $r req/s"
    R[$s]=$r
    BEST_RPS[$s]=$(awk -v a="${BEST_RPS[$s]:-0}" -v b="$r" 'BEGIN { print (b > a ? b : a) }')
  done
  SMALL_RATIOS="${SMALL_RATIOS:-}$(ratio "${R[trove]}" "${R[nginx]}") "
  declare -A M=()
  for s in "${SERVERS[@]}"; do
    round_best=0
    for _ in 1 2 3; do
      bps=$(curl -s -o /dev/null -w '%{speed_download}' -L "${BIG_URL[$s]}")
      mbs=$(awk -v b="$bps" 'BEGIN { printf "%.0f", b / 1e6 }')
      round_best=$(awk -v a="$round_best" -v b="$mbs" 'BEGIN { print (b > a ? b : a) }')
      BEST_MBS[$s]=$(awk -v a="${BEST_MBS[$s]:-0}" -v b="$mbs" 'BEGIN { print (b > a ? b : a) }')
    done
    log "round $round: $s ${BIG_MIB} MiB GET: best ${BEST_MBS[$s]} MB/s so far"
    M[$s]=$round_best
  done
  BIG_RATIOS="${BIG_RATIOS:-}$(ratio "${M[trove]}" "${M[nginx]}") "
done

log "100 concurrent ${BIG_MIB} MiB downloads from Trove"
for _ in $(seq 1 100); do curl -s -o /dev/null "${BIG_URL[trove]}" & done
sleep 2
THREADS_DURING=$(ls "/proc/$TROVE_PID/task" | wc -l)
wait_jobs() { for j in $(jobs -p); do case " ${PIDS[*]} " in *" $j "*) ;; *) wait "$j" 2>/dev/null || true ;; esac; done; }
wait_jobs
RSS_KB=$(awk '/VmHWM/ { print $2 }' "/proc/$TROVE_PID/status")

cat <<EOF

==================== trove blob bench summary ====================
machine:   $(nproc) cores, $(uname -sr); $ROUNDS interleaved rounds, best of each
1 MiB GET (wrk -t$WRK_THREADS -c$WRK_CONNECTIONS -d${WRK_SECONDS}s), req/s:
  trove ${BEST_RPS[trove]}   nginx ${BEST_RPS[nginx]}   distribution ${BEST_RPS[distribution]}
  trove/nginx $(ratio "${BEST_RPS[trove]}" "${BEST_RPS[nginx]}") [per round: ${SMALL_RATIOS% }]   trove/distribution $(ratio "${BEST_RPS[trove]}" "${BEST_RPS[distribution]}")
${BIG_MIB} MiB GET, one stream (curl), MB/s:
  trove ${BEST_MBS[trove]}   nginx ${BEST_MBS[nginx]}   distribution ${BEST_MBS[distribution]}
  trove/nginx $(ratio "${BEST_MBS[trove]}" "${BEST_MBS[nginx]}") [per round: ${BIG_RATIOS% }]   trove/distribution $(ratio "${BEST_MBS[trove]}" "${BEST_MBS[distribution]}")
trove threads during 100 concurrent ${BIG_MIB} MiB downloads: $THREADS_DURING; peak RSS ${RSS_KB} kB
EOF
