#!/usr/bin/env bash
# npm registry benchmark against Verdaccio, runnable from a fresh clone:
#
#   1. builds trove (release) and installs Verdaccio 6.8.0 from the npm registry (into
#      ~/.cache/trove-npm-clients/verdaccio, with the `node-fetch` 2.7.0 override it needs);
#   2. starts both on 127.0.0.1 (trove on SQLite + files, rate limits off; Verdaccio with its
#      file storage, no uplink, web UI off) and publishes the same COUNT-package graph to each
#      with bench/npm-seed.js (the body `npm publish` sends; p000 depends on everything);
#   3. measures, with the same wrk settings, the abbreviated packument GET (what installs
#      ask for) and the tarball GET of one package on each, and times a cold
#      `npm install @bench/p000` (fresh project, fresh npm cache) from each — interleaved
#      (Trove, Verdaccio, Trove, …) for ROUNDS rounds; the best of each is reported.
#
# Needs node and npm (the machine's); wrk is installed with apt-get when missing. All
# processes started here are stopped on exit.
#
#   bench/npm.sh
#   COUNT=300 ROUNDS=3 WRK_SECONDS=10 WRK_CONNECTIONS=32 bench/npm.sh
#   TROVE_BENCH_BIN=path/to/release/trove bench/npm.sh   # a prebuilt binary instead of building one
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
ROOT="$PWD"

COUNT="${COUNT:-300}"
ROUNDS="${ROUNDS:-3}"
WRK_THREADS="${WRK_THREADS:-2}"
WRK_CONNECTIONS="${WRK_CONNECTIONS:-32}"
WRK_SECONDS="${WRK_SECONDS:-10}"
VERDACCIO_VERSION=6.8.0
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/trove-target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
ACCEPT='application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*'


# --- tools ----------------------------------------------------------------------------
command -v node >/dev/null && command -v npm >/dev/null || { echo "node and npm are needed" >&2; exit 1; }
command -v wrk >/dev/null || { log "installing wrk"; apt_install wrk curl; }
VDIR="${TROVE_TEST_NPM_CLIENTS:-$HOME/.cache/trove-npm-clients}/verdaccio"
VERDACCIO="$VDIR/node_modules/.bin/verdaccio"
if [ "$("$VERDACCIO" --version 2>/dev/null)" != "v$VERDACCIO_VERSION" ]; then
  log "installing verdaccio@$VERDACCIO_VERSION into $VDIR"
  mkdir -p "$VDIR"
  cat >"$VDIR/package.json" <<EOF
{ "name": "trove-bench-verdaccio", "private": true,
  "dependencies": { "verdaccio": "$VERDACCIO_VERSION" },
  "overrides": { "node-fetch": "2.7.0" } }
EOF
  (cd "$VDIR" && npm install --no-audit --no-fund --loglevel=error --userconfig /dev/null \
    --registry https://registry.npmjs.org/ >&2)
fi

# --- scratch space and cleanup ----------------------------------------------------------
bench_workdir trove-npm-bench



ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1f", a / b; else print "n/a" }'; }

# A token from the registry's legacy login (`npm adduser`): the same request on both.
adduser() { # registry url (ending in /)
  curl -sf -X PUT -H 'content-type: application/json' \
    -d '{"_id":"org.couchdb.user:bench","name":"bench","password":"bench password 1","email":"bench@example.com","type":"user","roles":[]}' \
    "${1}-/user/org.couchdb.user:bench" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).token))'
}

# Best requests/s of wrk runs (one per round), and the fastest cold install.
best() { sort -g | tail -1; }

wrk_rps() { # url [header]
  if [ -n "${2:-}" ]; then
    wrk -t"$WRK_THREADS" -c"$WRK_CONNECTIONS" -d"${WRK_SECONDS}s" --latency -H "$2" "$1"
  else
    wrk -t"$WRK_THREADS" -c"$WRK_CONNECTIONS" -d"${WRK_SECONDS}s" --latency "$1"
  fi | tee -a "$WORK/wrk.txt" | rps
}

cold_install() { # name registry-url → seconds
  local name="$1" reg="$2" proj started installed
  proj="$WORK/install-$name-$RANDOM"
  mkdir -p "$proj"
  printf '{"name":"install-%s","version":"1.0.0","private":true}\n' "$name" >"$proj/package.json"
  printf 'registry=%s\n' "$reg" >"$proj/.npmrc"
  started=$(date +%s.%N)
  (cd "$proj" && npm install @bench/p000 --cache "$proj/.npm-cache" --no-audit --no-fund \
    --loglevel=error --no-update-notifier >&2)
  installed=$(find "$proj/node_modules/@bench" -mindepth 1 -maxdepth 1 -type d | wc -l)
  [ "$installed" -eq "$COUNT" ] || { echo "$name: installed $installed of $COUNT packages" >&2; exit 1; }
  awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }'
}

tarball_of() { # registry-url → the tarball URL of @bench/p000 (from its packument)
  curl -sf -H "Accept: $ACCEPT" "${1}@bench%2fp000" |
    node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).versions["1.0.0"].dist.tarball))'
}

# --- trove ------------------------------------------------------------------------------
if [ -n "${TROVE_BENCH_BIN:-}" ]; then
  TROVE="$TROVE_BENCH_BIN"
  log "using $TROVE (TROVE_BENCH_BIN; a debug build's figures say nothing of release speed)"
else
  log "building trove (release)"
  cargo build --release -p trove >&2 2>"$WORK/build.log" || { cat "$WORK/build.log" >&2; exit 1; }
  TROVE="$CARGO_TARGET_DIR/release/trove"
fi
PORT="$(free_port)"
log "starting trove server on 127.0.0.1:$PORT"
TROVE_DATA_DIR="$WORK/trove" TROVE_SERVER_LISTEN="127.0.0.1:$PORT" TROVE_RATE_LIMITS_ENABLED=false \
  TROVE_LOG_LEVEL=warn "$TROVE" server >"$WORK/trove.log" 2>&1 &
PIDS+=($!)
wait_http "http://127.0.0.1:$PORT/health/ready" 120 "${PIDS[0]}" "$WORK/trove.log"
TREG="http://127.0.0.1:$PORT/npm/"
node bench/npm-seed.js "$TREG" "$(adduser "$TREG")" "$COUNT" bench >&2

# --- Verdaccio ----------------------------------------------------------------------------
VPORT="$(free_port)"
mkdir -p "$WORK/verdaccio"
cat >"$WORK/verdaccio/config.yaml" <<EOF
storage: $WORK/verdaccio/storage
auth:
  htpasswd:
    file: $WORK/verdaccio/htpasswd
    max_users: 100
packages:
  '@*/*':
    access: \$all
    publish: \$authenticated
  '**':
    access: \$all
    publish: \$authenticated
web:
  enable: false
max_body_size: 100mb
server:
  keepAliveTimeout: 60
log: { type: stdout, format: pretty, level: fatal }
EOF
log "starting verdaccio $("$VERDACCIO" --version) on 127.0.0.1:$VPORT"
(cd "$WORK/verdaccio" && exec "$VERDACCIO" --config "$WORK/verdaccio/config.yaml" --listen "127.0.0.1:$VPORT") \
  >"$WORK/verdaccio.log" 2>&1 &
PIDS+=($!)
wait_http "http://127.0.0.1:$VPORT/-/ping" 60 "${PIDS[1]}" "$WORK/verdaccio.log"
VREG="http://127.0.0.1:$VPORT/"
node bench/npm-seed.js "$VREG" "$(adduser "$VREG")" "$COUNT" bench >&2

# --- measurements, interleaved: Trove then Verdaccio, ROUNDS times ------------------------------
TTAR="$(tarball_of "$TREG")"
VTAR="$(tarball_of "$VREG")"
for f in t_pack v_pack t_tar v_tar t_inst v_inst; do : >"$WORK/$f"; done
for round in $(seq 1 "$ROUNDS"); do
  log "round $round of $ROUNDS: abbreviated packument GET (trove, verdaccio)"
  wrk_rps "${TREG}@bench%2fp000" "Accept: $ACCEPT" >>"$WORK/t_pack"
  wrk_rps "${VREG}@bench%2fp000" "Accept: $ACCEPT" >>"$WORK/v_pack"
  log "round $round of $ROUNDS: tarball GET (trove $TTAR, verdaccio $VTAR)"
  wrk_rps "$TTAR" >>"$WORK/t_tar"
  wrk_rps "$VTAR" >>"$WORK/v_tar"
  log "round $round of $ROUNDS: cold npm install of @bench/p000 ($COUNT packages; trove, verdaccio)"
  cold_install trove "$TREG" >>"$WORK/t_inst"; echo >>"$WORK/t_inst"
  cold_install verdaccio "$VREG" >>"$WORK/v_inst"; echo >>"$WORK/v_inst"
done
log "all rounds (req/s or s): trove packument $(paste -sd' ' "$WORK/t_pack"); verdaccio $(paste -sd' ' "$WORK/v_pack"); trove tarball $(paste -sd' ' "$WORK/t_tar"); verdaccio $(paste -sd' ' "$WORK/v_tar"); trove install $(grep . "$WORK/t_inst" | paste -sd' '); verdaccio $(grep . "$WORK/v_inst" | paste -sd' ')"
trove_PACKUMENT=$(best <"$WORK/t_pack"); verdaccio_PACKUMENT=$(best <"$WORK/v_pack")
trove_TARBALL=$(best <"$WORK/t_tar"); verdaccio_TARBALL=$(best <"$WORK/v_tar")
trove_INSTALL=$(grep . "$WORK/t_inst" | sort -g | head -1); verdaccio_INSTALL=$(grep . "$WORK/v_inst" | sort -g | head -1)


# --- summary ------------------------------------------------------------------------------
cat <<EOF

==================== npm bench summary ====================
machine:              $(nproc) cores, $(uname -sr); node $(node --version), npm $(npm --version)
packages:             $COUNT (@bench/p000 … a tree; p000 depends on all), same bodies on both
wrk:                  -t$WRK_THREADS -c$WRK_CONNECTIONS -d${WRK_SECONDS}s, Accept: install-v1 for packuments; $ROUNDS interleaved rounds, best of each
abbreviated packument GET:  trove ${trove_PACKUMENT} req/s   verdaccio ${verdaccio_PACKUMENT} req/s   ratio $(ratio "$trove_PACKUMENT" "$verdaccio_PACKUMENT")x (target >= 50x)
tarball GET:                trove ${trove_TARBALL} req/s   verdaccio ${verdaccio_TARBALL} req/s   ratio $(ratio "$trove_TARBALL" "$verdaccio_TARBALL")x
cold npm install ($COUNT):  trove ${trove_INSTALL} s   verdaccio ${verdaccio_INSTALL} s
===========================================================
EOF
