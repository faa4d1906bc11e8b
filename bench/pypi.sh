#!/usr/bin/env bash
# PyPI front-end benchmark, runnable from a fresh clone: Trove against pypiserver and
# devpi-server (both from PyPI) in the same run, interleaved, with the same wrk settings, on
# the same project.
#
#   1. builds trove (release) and a project's sdist and wheel (python -m build, from the
#      PyPI clients' environment of scripts/install-pypi-clients.sh), and a graph of
#      GRAPH_SIZE tiny wheels (graph-000 depends on all the others, each graph-N on graph-N+1);
#   2. starts trove (SQLite) and uploads them with twine; starts pypiserver on a directory
#      holding the same files; starts devpi-server (offline, its own virtual environment)
#      and uploads them with twine to an index of its own (no PyPI base);
#   3. for each measure — simple project page as PEP 691 JSON (Trove and devpi; pypiserver
#      has no JSON), as HTML, and the wheel download — runs wrk against each server in turn,
#      ROUNDS times, and prints the median req/s of each and Trove's ratio to each peer;
#   4. times a cold `pip install graph-000` (the GRAPH_SIZE distributions, no cache, a fresh
#      target directory) from Trove, pypiserver and devpi in turn, ROUNDS times, and prints
#      the median wall times and the ratios.
#
# wrk is installed with apt-get when missing; pypiserver with pip into the clients' venv,
# devpi-server into $TROVE_BENCH_DEVPI (default ~/.cache/trove-bench-devpi).
# Everything listens on 127.0.0.1; all processes started here are stopped on exit.
#
#   bench/pypi.sh
#   ROUNDS=3 WRK_SECONDS=5 bench/pypi.sh
#   TROVE_BENCH_BIN=path/to/release/trove bench/pypi.sh   # an already built binary
#   Knobs: ROUNDS WRK_THREADS WRK_CONNECTIONS WRK_SECONDS GRAPH_SIZE TROVE_BENCH_BIN TROVE_BENCH_DEVPI
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

ROUNDS="${ROUNDS:-3}"
WRK_THREADS="${WRK_THREADS:-2}"
WRK_CONNECTIONS="${WRK_CONNECTIONS:-32}"
WRK_SECONDS="${WRK_SECONDS:-5}"
GRAPH_SIZE="${GRAPH_SIZE:-100}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/trove-target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
VENV="${TROVE_TEST_PYPI_CLIENTS:-$HOME/.cache/trove-pypi-clients}"


command -v wrk >/dev/null || { log "installing wrk"; apt_install wrk curl; }
scripts/install-pypi-clients.sh
"$VENV/bin/python" -c "import pypiserver" 2>/dev/null ||
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check pypiserver >&2
DEVPI="${TROVE_BENCH_DEVPI:-$HOME/.cache/trove-bench-devpi}"
if [ ! -x "$DEVPI/bin/devpi-server" ]; then
  log "installing devpi-server (PyPI) into $DEVPI"
  "${PYTHON:-python3}" -m venv "$DEVPI" >&2
  "$DEVPI/bin/python" -m pip install --quiet --disable-pip-version-check devpi-server >&2
fi

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

log "writing a graph of $GRAPH_SIZE wheels"
mkdir -p "$WORK/graph"
"$VENV/bin/python" - "$WORK/graph" "$GRAPH_SIZE" <<'PY'
# Minimal valid wheels (METADATA, WHEEL, RECORD): graph-000 requires every other one,
# graph-N requires graph-N+1, so pip reads all the metadata and downloads every file.
import base64, hashlib, sys, zipfile
out, n = sys.argv[1], int(sys.argv[2])
def digest(b):
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(b).digest()).rstrip(b"=").decode()
for i in range(n):
    name, mod = f"graph-{i:03d}", f"graph_{i:03d}"
    reqs = [f"graph-{j:03d}" for j in range(1, n)] if i == 0 else ([f"graph-{i + 1:03d}"] if i + 1 < n else [])
    di = f"{mod}-1.0.dist-info"
    files = {
        f"{mod}/__init__.py": b"X = 1\n",
        f"{di}/METADATA": ("Metadata-Version: 2.1\nName: %s\nVersion: 1.0\n%s" % (name, "".join(f"Requires-Dist: {r}\n" for r in reqs))).encode(),
        f"{di}/WHEEL": b"Wheel-Version: 1.0\nGenerator: trove-bench\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = "".join(f"{p},{digest(b)},{len(b)}\n" for p, b in files.items()) + f"{di}/RECORD,,\n"
    with zipfile.ZipFile(f"{out}/{mod}-1.0-py3-none-any.whl", "w", zipfile.ZIP_DEFLATED) as z:
        for p, b in files.items():
            z.writestr(p, b)
        z.writestr(f"{di}/RECORD", record)
PY

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
  -u __token__ -p "$TOKEN" "$WORK"/dist/* "$WORK"/graph/* >/dev/null

PPORT="$(free_port)"
log "starting pypiserver $("$VENV/bin/python" -c 'import pypiserver; print(pypiserver.__version__)') on 127.0.0.1:$PPORT"
cp "$WORK"/graph/* "$WORK/dist/"
"$VENV/bin/python" -m pypiserver run -i 127.0.0.1 -p "$PPORT" -a . -P . "$WORK/dist" >"$WORK/pypiserver.log" 2>&1 &
PIDS+=($!)
wait_http "http://127.0.0.1:$PPORT/simple/" 60 "${PIDS[-1]}" "$WORK/pypiserver.log"
P="http://127.0.0.1:$PPORT"

DPORT="$(free_port)"
log "starting devpi-server $("$DEVPI/bin/devpi-server" --version) on 127.0.0.1:$DPORT (offline: no PyPI mirror)"
"$DEVPI/bin/devpi-init" --serverdir "$WORK/devpi" --root-passwd root >"$WORK/devpi.log" 2>&1
"$DEVPI/bin/devpi-server" --serverdir "$WORK/devpi" --host 127.0.0.1 --port "$DPORT" --offline-mode \
  >>"$WORK/devpi.log" 2>&1 &
PIDS+=($!)
wait_http "http://127.0.0.1:$DPORT/+api" 300 "${PIDS[-1]}" "$WORK/devpi.log"
D="http://127.0.0.1:$DPORT"
curl -sf -o /dev/null -X PUT "$D/bench" -H 'content-type: application/json' \
  -d '{"password":"bench","email":"bench@example.com"}'
curl -sf -o /dev/null -u bench:bench -X PUT "$D/bench/dev" -H 'content-type: application/json' \
  -d '{"type":"stage","bases":[]}'
"$VENV/bin/twine" upload --non-interactive --disable-progress-bar --repository-url "$D/bench/dev/" \
  -u bench -p bench "$WORK"/dist/* >/dev/null
# devpi serves files under a digest path: take the wheel's URL from its simple page.
DWHEEL=$(curl -sf "$D/bench/dev/+simple/bench-pkg/" | grep -o "href=\"[^\"#]*$WHEEL" | sed 's/^href="..\/..\///')
DWHEEL="$D/bench/dev/$DWHEEL"
for url in "$T/pypi/bench/files/bench-pkg/$WHEEL" "$P/packages/$WHEEL" "$DWHEEL"; do
  cmp -s <(curl -sf "$url") "$WORK/dist/$WHEEL" || { echo "$url does not serve $WHEEL" >&2; exit 1; }
done

run_wrk() { # name url [header]
  local out="$WORK/wrk-$1-$RANDOM.txt"
  if [ -n "${3:-}" ]; then
    wrk -t"$WRK_THREADS" -c"$WRK_CONNECTIONS" -d"${WRK_SECONDS}s" -H "$3" "$2" >"$out"
  else
    wrk -t"$WRK_THREADS" -c"$WRK_CONNECTIONS" -d"${WRK_SECONDS}s" "$2" >"$out"
  fi
  # A refusal is no measure: every answer must be a success.
  ! grep -q 'Non-2xx' "$out" || { echo "$2 answered errors under wrk:" >&2; cat "$out" >&2; exit 1; }
  rps "$out"
}
PEP691="Accept: application/vnd.pypi.simple.v1+json"
# A cold install of the graph: a fresh target, no cache; wall seconds.
pip_install() { # index-url
  local target="$WORK/target-$RANDOM" start end
  start=$(date +%s.%N)
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-cache-dir \
    --index-url "$1" --target "$target" graph-000 >&2
  end=$(date +%s.%N)
  [ "$(ls -d "$target"/graph_*.dist-info | wc -l)" -eq "$GRAPH_SIZE" ] || { echo "pip from $1 did not install the graph" >&2; exit 1; }
  rm -rf "$target"
  awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }'
}
declare -A R
for round in $(seq 1 "$ROUNDS"); do
  log "round $round/$ROUNDS"
  R[trove_json]+="$(run_wrk tj "$T/pypi/bench/simple/bench-pkg/" "$PEP691") "
  R[devpi_json]+="$(run_wrk dj "$D/bench/dev/+simple/bench-pkg/" "$PEP691") "
  R[trove_html]+="$(run_wrk th "$T/pypi/bench/simple/bench-pkg/") "
  R[pypiserver_html]+="$(run_wrk ph "$P/simple/bench-pkg/") "
  R[devpi_html]+="$(run_wrk dh "$D/bench/dev/+simple/bench-pkg/") "
  R[trove_file]+="$(run_wrk tf "$T/pypi/bench/files/bench-pkg/$WHEEL") "
  R[pypiserver_file]+="$(run_wrk pf "$P/packages/$WHEEL") "
  R[devpi_file]+="$(run_wrk df "$DWHEEL") "
  R[trove_pip]+="$(pip_install "$T/pypi/bench/simple/") "
  R[pypiserver_pip]+="$(pip_install "$P/simple/") "
  R[devpi_pip]+="$(pip_install "$D/bench/dev/+simple/") "
done
med() { tr ' ' '\n' <<<"${R[$1]}" | grep -v '^$' | median; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1f", a / b; else print "n/a" }'; }
TJ=$(med trove_json); DJ=$(med devpi_json)
TH=$(med trove_html); PH=$(med pypiserver_html); DH=$(med devpi_html)
TF=$(med trove_file); PF=$(med pypiserver_file); DF=$(med devpi_file)
TP=$(med trove_pip); PP=$(med pypiserver_pip); DP=$(med devpi_pip)
cat <<SUMMARY

==================== trove PyPI bench (median of $ROUNDS rounds, wrk -t$WRK_THREADS -c$WRK_CONNECTIONS -d${WRK_SECONDS}s) ====================
machine:                 $(nproc) cores, $(uname -sr)
                         req/s: trove / pypiserver / devpi-server    trove's ratio to pypiserver, devpi
simple page, PEP 691:    ${TJ} / (no JSON) / ${DJ}    -, $(ratio "$TJ" "$DJ")x
simple page, HTML:       ${TH} / ${PH} / ${DH}    $(ratio "$TH" "$PH")x, $(ratio "$TH" "$DH")x
wheel download:          ${TF} / ${PF} / ${DF}    $(ratio "$TF" "$PF")x, $(ratio "$TF" "$DF")x
cold pip install of $GRAPH_SIZE distributions, wall seconds (lower is better):
                         ${TP} / ${PP} / ${DP}    pypiserver/trove $(ratio "$PP" "$TP")x, devpi/trove $(ratio "$DP" "$TP")x
SUMMARY
