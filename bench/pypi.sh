#!/usr/bin/env bash
# PyPI front-end benchmark, runnable from a fresh clone: Trove against pypiserver (from
# PyPI) in the same run, interleaved, with the same wrk settings, on the same tiny project.
#
#   1. builds trove (release) and a project's sdist and wheel (python -m build, from the
#      PyPI clients' environment of scripts/install-pypi-clients.sh);
#   2. starts trove (SQLite) and uploads them with twine; starts pypiserver on a directory
#      holding the same files;
#   3. for each measure — simple project page as PEP 691 JSON (Trove only: pypiserver has no
#      JSON), as HTML, and the wheel download — runs wrk against Trove and pypiserver in
#      turn, ROUNDS times, and prints the median req/s of each and the ratio.
#
# wrk is installed with apt-get when missing; pypiserver with pip into the clients' venv.
# Everything listens on 127.0.0.1; all processes started here are stopped on exit.
#
#   bench/pypi.sh
#   ROUNDS=3 WRK_SECONDS=5 bench/pypi.sh
#   Knobs: ROUNDS WRK_THREADS WRK_CONNECTIONS WRK_SECONDS TROVE_BENCH_BIN (an already built binary)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

ROUNDS="${ROUNDS:-3}"
WRK_THREADS="${WRK_THREADS:-2}"
WRK_CONNECTIONS="${WRK_CONNECTIONS:-32}"
WRK_SECONDS="${WRK_SECONDS:-5}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/trove-target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
VENV="${TROVE_TEST_PYPI_CLIENTS:-$HOME/.cache/trove-pypi-clients}"


command -v wrk >/dev/null || { log "installing wrk"; apt_install wrk curl; }
scripts/install-pypi-clients.sh
"$VENV/bin/python" -c "import pypiserver" 2>/dev/null ||
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check pypiserver >&2

bench_workdir trove-bench-pypi

median() { sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

if [ -n "${TROVE_BENCH_BIN:-}" ]; then
  TROVE="$TROVE_BENCH_BIN"
  log "using $TROVE (TROVE_BENCH_BIN; figures of a debug build say nothing of release speed)"
else
  log "building trove (release)"
  cargo build --release -p trove >&2
  TROVE="$CARGO_TARGET_DIR/release/trove"
fi

log "building the bench project"
mkdir -p "$WORK/proj/src/bench_pkg"
cat >"$WORK/proj/pyproject.toml" <<'TOML'
[build-system]
requires = ["setuptools>=75"]
build-backend = "setuptools.build_meta"
[project]
name = "bench-pkg"
version = "1.0"
requires-python = ">=3.8"
TOML
echo 'X = 1' >"$WORK/proj/src/bench_pkg/__init__.py"
(cd "$WORK/proj" && "$VENV/bin/python" -m build --no-isolation --outdir "$WORK/dist" . >/dev/null 2>&1)
WHEEL=$(basename "$WORK"/dist/*.whl)

PORT="$(free_port)"
log "starting trove on 127.0.0.1:$PORT"
TROVE_DATA_DIR="$WORK/data" TROVE_SERVER_LISTEN="127.0.0.1:$PORT" TROVE_RATE_LIMITS_ENABLED=false \
  TROVE_LOG_LEVEL=warn "$TROVE" server >"$WORK/trove.log" 2>&1 &
PIDS+=($!)
wait_http "http://127.0.0.1:$PORT/health/ready" 120 "${PIDS[-1]}" "$WORK/trove.log"
T="http://127.0.0.1:$PORT"
curl -sf -o /dev/null -X POST "$T/api/v1/users" -H 'content-type: application/json' \
  -d '{"username":"bench","email":"bench@example.com","password":"bench password"}'
TOKEN=$(curl -sf -c "$WORK/cookies" -X POST "$T/api/v1/session" -H 'content-type: application/json' \
  -d '{"username":"bench","password":"bench password"}' | sed -n 's/.*"csrf_token":"\([^"]*\)".*/\1/p')
TOKEN=$(curl -sf -b "$WORK/cookies" -X POST "$T/api/v1/tokens" -H "x-csrf-token: $TOKEN" \
  -H 'content-type: application/json' -d '{"name":"bench","scopes":["publish"]}' |
  sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
"$VENV/bin/twine" upload --non-interactive --disable-progress-bar --repository-url "$T/pypi/bench/" \
  -u __token__ -p "$TOKEN" "$WORK"/dist/* >&2

PPORT="$(free_port)"
log "starting pypiserver $("$VENV/bin/python" -c 'import pypiserver; print(pypiserver.__version__)') on 127.0.0.1:$PPORT"
"$VENV/bin/python" -m pypiserver run -i 127.0.0.1 -p "$PPORT" -a . -P . "$WORK/dist" >"$WORK/pypiserver.log" 2>&1 &
PIDS+=($!)
wait_http "http://127.0.0.1:$PPORT/simple/" 60 "${PIDS[-1]}" "$WORK/pypiserver.log"
P="http://127.0.0.1:$PPORT"

run_wrk() { # name url [header]
  local out="$WORK/wrk-$1-$RANDOM.txt"
  if [ -n "${3:-}" ]; then
    wrk -t"$WRK_THREADS" -c"$WRK_CONNECTIONS" -d"${WRK_SECONDS}s" -H "$3" "$2" >"$out"
  else
    wrk -t"$WRK_THREADS" -c"$WRK_CONNECTIONS" -d"${WRK_SECONDS}s" "$2" >"$out"
  fi
  rps "$out"
}
PEP691="Accept: application/vnd.pypi.simple.v1+json"
declare -A R
for round in $(seq 1 "$ROUNDS"); do
  log "round $round/$ROUNDS"
  R[trove_json]+="$(run_wrk tj "$T/pypi/bench/simple/bench-pkg/" "$PEP691") "
  R[trove_html]+="$(run_wrk th "$T/pypi/bench/simple/bench-pkg/") "
  R[pypiserver_html]+="$(run_wrk ph "$P/simple/bench-pkg/") "
  R[trove_file]+="$(run_wrk tf "$T/pypi/bench/files/bench-pkg/$WHEEL") "
  R[pypiserver_file]+="$(run_wrk pf "$P/packages/$WHEEL") "
done
med() { tr ' ' '\n' <<<"${R[$1]}" | grep -v '^$' | median; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1f", a / b; else print "n/a" }'; }
TJ=$(med trove_json); TH=$(med trove_html); PH=$(med pypiserver_html); TF=$(med trove_file); PF=$(med pypiserver_file)
cat <<SUMMARY

==================== trove PyPI bench (median of $ROUNDS rounds, wrk -t$WRK_THREADS -c$WRK_CONNECTIONS -d${WRK_SECONDS}s) ====================
machine:                 $(nproc) cores, $(uname -sr)
simple page, PEP 691:    trove ${TJ} req/s  (pypiserver serves no JSON; ratio to its HTML: $(ratio "$TJ" "$PH")x)
simple page, HTML:       trove ${TH} req/s  pypiserver ${PH} req/s  ratio $(ratio "$TH" "$PH")x
wheel download:          trove ${TF} req/s  pypiserver ${PF} req/s  ratio $(ratio "$TF" "$PF")x
SUMMARY
