#!/usr/bin/env bash
# Fuzzes the native REST API with schemathesis, driven by Trove's own OpenAPI document
# (GET /api/v1/openapi.json): every operation gets schema-conforming and schema-violating
# requests (with an admin token, and anonymously), and every answer is checked for server
# errors, undocumented statuses, bodies that do not match the documented schema, accepted
# bad input and refused good input.
#
# Each backend (SQLite, and PostgreSQL when the machine's server answers) gets a throwaway
# server with seeded data (an admin, a member, an organization, packages, a webhook) and three
# runs: as the admin, anonymously, and token revocation with spare tokens. All test phases run
# (examples, coverage, fuzzing, stateful), in positive and negative mode, with a fixed seed.
#
#   scripts/fuzz-api.sh                 # build, start a throwaway server, fuzz, stop it
#   TROVE_FUZZ_EXAMPLES=100 TROVE_FUZZ_SEED=7 scripts/fuzz-api.sh
#   TROVE_FUZZ_BACKENDS=sqlite scripts/fuzz-api.sh
#   TROVE_FUZZ_KEEP=1 scripts/fuzz-api.sh   # keep the data dirs and reports afterwards
#   TROVE_FUZZ_BIN=path/to/trove scripts/fuzz-api.sh   # skip the build
#   TROVE_FUZZ_STRICT=1 scripts/fuzz-api.sh  # also fail on schema-valid requests refused (see below)
#   TROVE_FUZZ_ARGS="--continue-on-failure --max-failures 500" scripts/fuzz-api.sh
#
# The binary is a debug build: overflow checks turn arithmetic bugs into panics the run sees.
# `positive_data_acceptance` (ST202, "schema-valid request rejected") is left out unless
# TROVE_FUZZ_STRICT=1: the document does not state every rule the server enforces (name
# patterns, lengths, page bounds, closed request objects), so it flags correct refusals; the
# hooks' hostile values (NUL, `..`, …) would be flagged too, being schema-valid strings.
#
# Installs schemathesis (pinned) into $TROVE_TOOLS_DIR/venv-fuzz on first use. Exits non-zero
# when any check failed, the server panicked or died; prints a summary; reports (JUnit,
# NDJSON) go to the work directory it prints when something failed.
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/trove-target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
TOOLS="${TROVE_TOOLS_DIR:-$HOME/.cache/trove-tools}"
VENV="$TOOLS/venv-fuzz"
ST_VERSION="${TROVE_FUZZ_ST_VERSION:-4.32.5}"
SEED="${TROVE_FUZZ_SEED:-20261129}"
EXAMPLES="${TROVE_FUZZ_EXAMPLES:-30}"
BACKENDS="${TROVE_FUZZ_BACKENDS:-sqlite postgres}"
PG_URL="${TROVE_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
STRICT="${TROVE_FUZZ_STRICT:-}"
WORKERS="${TROVE_FUZZ_WORKERS:-1}"  # CPython 3.11 ast.parse is not thread-safe (hypothesis uses it)
KEEP="${TROVE_FUZZ_KEEP:-}"
BIN="${TROVE_FUZZ_BIN:-}"
LOG_LEVEL="${TROVE_FUZZ_LOG:-warn}"
read -r -a EXTRA <<<"${TROVE_FUZZ_ARGS:-}"  # more `st run` options
# The server refuses unknown TROVE_* variables.
for v in $(compgen -e | grep '^TROVE_FUZZ_' || true); do unset "$v"; done

# --- schemathesis -----------------------------------------------------------------------
if [ ! -x "$VENV/bin/st" ] || ! "$VENV/bin/st" --version 2>/dev/null | grep -q "$ST_VERSION"; then
  echo "== installing schemathesis $ST_VERSION into $VENV" >&2
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q "schemathesis==$ST_VERSION"
fi
ST="$VENV/bin/st"
PY="$VENV/bin/python"

# --- build ------------------------------------------------------------------------------
if [ -n "$BIN" ]; then
  TROVE="$BIN"  # an already built binary
else
  echo "== cargo build -p trove" >&2
  cargo build -q -p trove
  TROVE="$CARGO_TARGET_DIR/debug/trove"
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/trove-fuzz.XXXXXX")"
SERVER_PID=""
PG_DB=""
stop_server() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  SERVER_PID=""
  if [ -n "$PG_DB" ]; then
    psql "$PG_URL" -qc "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null 2>&1 || true
    PG_DB=""
  fi
}
cleanup() {
  stop_server
  if [ "$KEEP" = 1 ]; then
    echo "kept $WORK" >&2
  else
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT

# --- seeding and hooks ------------------------------------------------------------------
cat >"$WORK/seed.py" <<'EOF'
"""Seeds a fresh server; prints the admin's API token."""
import io, json, sys, tarfile, urllib.request

base = sys.argv[1]

def call(method, path, body=None, headers=None, raw=None):
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    h = {"content-type": "application/json"} if body is not None else {}
    h.update(headers or {})
    req = urllib.request.Request(base + path, data=data, method=method, headers=h)
    try:
        with urllib.request.urlopen(req) as r:
            data = r.read()
            if not r.headers.get("content-type", "").startswith("application/json"):
                return r.status, r.headers, data
            return r.status, r.headers, json.loads(data or b"null")
    except urllib.error.HTTPError as e:
        raise SystemExit(f"seed: {method} {path} -> {e.code} {e.read()!r}")

def archive(name, version, deps):
    manifest = (f'[package]\nname = "{name}"\nversion = "{version}"\nkind = "library"\n'
                f'description = "Seed package {name}"\nlicense = "MIT"\nkeywords = ["fuzz", "seed"]\n'
                f'categories = ["utilities"]\nreadme = "README.md"\n\n[dependencies]\n')
    manifest += "".join(f'"{d}" = "{r}"\n' for d, r in deps)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for path, content in [("trove.toml", manifest), ("README.md", f"# {name}\n\nSeeded for fuzzing.\n")]:
            data = content.encode()
            info = tarfile.TarInfo(path)
            info.size = len(data)
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()

_, headers, session = call("POST", "/api/v1/session", {"username": "fuzzadmin", "password": "fuzz admin password"})
cookie = headers["set-cookie"].split(";")[0]
_, _, created = call("POST", "/api/v1/tokens", {"name": "fuzz", "scopes": ["admin"]},
                     {"cookie": cookie, "x-csrf-token": session["csrf_token"]})
auth = {"authorization": "Bearer " + created["token"]}
call("POST", "/api/v1/users", {"username": "fuzzbob", "email": "fuzzbob@example.com", "password": "fuzz bob password"})
call("POST", "/api/v1/orgs", {"name": "acme", "description": "Fuzz org"}, auth)
call("PUT", "/api/v1/orgs/acme/members/fuzzbob", {"role": "write"}, auth)
for name, version, deps in [
    ("fuzzadmin/widget", "1.0.0", []),
    ("fuzzadmin/widget", "1.1.0-beta.1", []),
    ("fuzzadmin/gears", "0.3.0", [("fuzzadmin/widget", "^1.0")]),
    ("acme/tools", "2.0.0", []),
]:
    call("PUT", f"/api/v1/packages/{name}/versions/{version}", headers={**auth, "content-type": "application/gzip"},
         raw=archive(name, version, deps))
call("GET", "/api/v1/packages/fuzzadmin/widget/versions/1.0.0/download", headers=auth)
call("POST", "/api/v1/namespaces/acme/webhooks", {"url": "http://127.0.0.1:9/hook", "events": ["publish"]}, auth)
print(created["token"])
EOF

cat >"$WORK/spare.py" <<'EOF'
"""Creates spare admin tokens (for the revocation run); prints the last."""
import json, sys, urllib.request
base, token = sys.argv[1:]
for i in range(5):
    req = urllib.request.Request(base + "/api/v1/tokens", method="POST",
        data=json.dumps({"name": f"spare-{i}", "scopes": ["admin"]}).encode(),
        headers={"content-type": "application/json", "authorization": "Bearer " + token})
    spare = json.loads(urllib.request.urlopen(req).read())["token"]
print(spare)
EOF

# Hooks: send archives (`application/gzip`) as raw bytes, mixed with crafted valid and hostile
# archives; and often aim path parameters at the seeded data (fuzzed names alone mostly hit
# 404 and never reach the deeper code).
cat >"$WORK/hooks.py" <<'EOF'
import io, tarfile
import schemathesis
from hypothesis import strategies as st
from schemathesis.transport.serialization import serialize_binary

@schemathesis.serializer("application/gzip")
def gzip_body(ctx, value):
    return serialize_binary(value)

KNOWN = [
    {"scope": "fuzzadmin", "name": "widget", "version": "1.0.0", "org": "acme", "username": "fuzzbob"},
    {"scope": "fuzzadmin", "name": "gears", "version": "0.3.0", "org": "acme", "username": "fuzzadmin"},
    {"scope": "acme", "name": "tools", "version": "2.0.0", "org": "acme", "username": "fuzzbob"},
    {"scope": "fuzzadmin", "name": "widget", "version": "1.1.0-beta.1", "org": "acme", "username": "fuzzadmin"},
    {"scope": "fuzzadmin", "name": "fz", "version": "1.0.0", "org": "acme", "username": "fuzzbob"},
]

# Hostile text the generator rarely draws: NUL (PostgreSQL cannot store it), traversal,
# bidi and zero-width characters, astral characters, long text, numbers as text.
NASTY = [
    "\x00", "a\x00b", "..", "../../etc/passwd", "%00", "\u202egnp.exe", "\ufeff", "\U0001F600" * 50,
    "x" * 5000, " ", "\r\n", "99999999999999999999", "-1", "1.0.0\x00", "ACME",
]

def _with_nasty(value, key, nasty):
    out = dict(value)
    if isinstance(out[key], list):
        out[key] = list(out[key]) + [nasty]
    else:
        out[key] = nasty
    return out

def _nasty_dict(value, keys):
    return st.tuples(st.sampled_from(keys), st.sampled_from(NASTY)).map(lambda t: _with_nasty(value, *t))

@schemathesis.hook
def flatmap_path_parameters(context, params):
    keys = sorted(k for k in (params or {}) if k in KNOWN[0])
    if not keys:
        return st.just(params)
    known = st.tuples(st.sampled_from(KNOWN), st.sets(st.sampled_from(keys), min_size=1)).map(
        lambda t: {k: (t[0][k] if k in t[1] else v) for k, v in params.items()}
    )
    return st.one_of(st.just(params), known, known.flatmap(lambda p: _nasty_dict(p, keys)))

@schemathesis.hook
def flatmap_query(context, query):
    keys = sorted(k for k, v in (query or {}).items() if isinstance(v, str))
    if not keys:
        return st.just(query)
    options = [st.just(query), _nasty_dict(query, keys)]
    if "visibility" in query:  # publish: also the real values, or none, to get past the query
        rest = {k: v for k, v in query.items() if k != "visibility"}
        options.append(st.sampled_from([rest, {**rest, "visibility": "public"}, {**rest, "visibility": "private"}]))
    return st.one_of(*options)

def _tar(entries):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz", format=tarfile.GNU_FORMAT) as tar:
        for name, kind, data in entries:
            info = tarfile.TarInfo(name)
            info.mode = 0o644
            if kind == "file":
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
            else:
                info.type = {"sym": tarfile.SYMTYPE, "hard": tarfile.LNKTYPE, "chr": tarfile.CHRTYPE}[kind]
                info.linkname = data.decode() if data else ""
                tar.addfile(info)
    return buf.getvalue()

def _manifest(extra_pkg="", rest="", name="fuzzadmin/fz", version="1.0.0"):
    # Versions 1.0.0 to 1.0.3 are aimed at (see flatmap_case): mismatches are cases too.
    return (f'[package]\nname = "{name}"\nversion = "{version}"\n{extra_pkg}\n{rest}').encode()

ARCHIVES = [
    _tar([("trove.toml", "file", _manifest()), ("README.md", "file", b"# fz\n")]),
    _tar([("trove.toml", "file", _manifest()), ("../../etc/passwd", "file", b"x")]),
    _tar([("trove.toml", "file", _manifest()), ("/etc/cron.d/x", "file", b"x")]),
    _tar([("trove.toml", "file", _manifest()), ("esc", "sym", b"../../../etc/shadow")]),
    _tar([("trove.toml", "file", _manifest()), ("hl", "hard", b"/etc/passwd")]),
    _tar([("trove.toml", "file", _manifest()), ("dev/null", "chr", b"")]),
    _tar([("trove.toml", "file", _manifest('description = "a\\u0000b"'))]),
    _tar([("trove.toml", "file", _manifest('readme = "R.md"')), ("R.md", "file", b"\x00\xff\xfe nul")]),
    _tar([("trove.toml", "file", _manifest(rest='[metadata]\nbig = 9223372036854775807\nneg = -9223372036854775808\nf = 1e308\n"\\u0000" = "\\u0000"'))]),
    _tar([("trove.toml", "file", _manifest(rest='[dependencies]\n"fuzzadmin/fz" = "^1"'))]),
    _tar([("trove.toml", "file", _manifest(rest='[dependencies]\n"fuzzadmin/widget" = ">=99999999999999999999"'))]),
    _tar([("trove.toml", "file", _manifest('description = "\U0001F600 \u202e \ufeff"\nkeywords = ["\u00e9"]'))]),
    _tar([("trove.toml", "file", _manifest(name="FuzzAdmin/FZ"))]),
    _tar([("trove.toml", "file", b"\xff\xfe not utf-8")]),
    _tar([("README.md", "file", b"no manifest")]),
    b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03",
    b"not gzip at all",
]

def _publishable(case, n):
    case.path_parameters = {"scope": "fuzzadmin", "name": "fz", "version": f"1.0.{n}"}
    case.query = {}
    return case

@schemathesis.hook
def flatmap_case(context, case):
    # Publishing: often a real target, so that the archive itself is what gets judged.
    op = context.operation
    if op is None or op.method.upper() != "PUT" or not op.path.endswith("/versions/{version}"):
        return st.just(case)
    if not isinstance(case.body, (bytes, str)):
        return st.just(case)
    return st.one_of(st.just(case), st.integers(0, 3).map(lambda n: _publishable(case, n)))

@schemathesis.hook
def flatmap_body(context, body):
    op = context.operation
    if op is not None and op.method.upper() == "PUT" and op.path.endswith("/versions/{version}"):
        if not isinstance(body, (bytes, str)):
            return st.just(body)  # a negative case: keep it negative
        return st.one_of(st.just(body), st.sampled_from(ARCHIVES))
    # JSON objects: a string member (or a list of strings) gets hostile text. Strings stay
    # strings, so a case keeps its positive or negative standing.
    if isinstance(body, dict):
        keys = sorted(k for k, v in body.items()
                      if isinstance(v, str) or (isinstance(v, list) and all(isinstance(x, str) for x in v)))
        if keys:
            return st.one_of(st.just(body), _nasty_dict(body, keys))
    return st.just(body)
EOF
export SCHEMATHESIS_HOOKS="$WORK/hooks.py"

CHECKS=(--checks all)
[ "$STRICT" = 1 ] || CHECKS+=(--exclude-checks positive_data_acceptance)
COMMON=(
  --seed "$SEED" --max-examples "$EXAMPLES" --workers "$WORKERS"
  "${CHECKS[@]}" --request-timeout 20 --max-response-time 15
  --generation-database none --suppress-health-check all
  --no-color --output-truncate true --output-sanitize false
  ${EXTRA[@]+"${EXTRA[@]}"}
)

RESULT=0
SUMMARY=()
run() {
  local backend="$1" label="$2"
  shift 2
  local log="$WORK/$backend-$label.log"
  echo
  echo "== schemathesis ($backend, $label): st run $SCHEMA ${COMMON[*]} $*"
  local rc=0
  "$ST" run "$SCHEMA" "${COMMON[@]}" --report junit,ndjson --report-dir "$WORK/report-$backend-$label" "$@" \
    >"$log" 2>&1 || rc=$?
  cat "$log"
  [ "$rc" = 0 ] || RESULT=1
  local cases outcome
  cases="$(grep -Eo '[0-9]+ generated' "$log" | tail -1 || true)"
  outcome="$(grep -E '^=+ .* =+$' "$log" | tail -1 | sed -E 's/^=+ (.*) =+$/\1/' || true)"
  SUMMARY+=("$(printf '%-9s %-10s %-16s %s' "$backend" "$label" "${cases:-? generated}" "${outcome:-exit $rc}")")
}

fuzz_backend() {
  local backend="$1"
  local port
  port="$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
  BASE="http://127.0.0.1:$port"
  SCHEMA="$BASE/api/v1/openapi.json"
  export TROVE_DATA_DIR="$WORK/data-$backend"
  export TROVE_SERVER_LISTEN="127.0.0.1:$port"
  export TROVE_LOG_FORMAT=text
  export TROVE_LOG_LEVEL="$LOG_LEVEL"
  export TROVE_AUTH_ARGON2_MEMORY_KIB=1024     # cheap password hashing: thousands of logins
  export TROVE_RATE_LIMITS_ENABLED=false       # the fuzzer sends far more than a person would
  export TROVE_WEBHOOKS_DELIVER=false          # queue deliveries, never send them
  export TROVE_WEBHOOKS_ALLOW_PRIVATE_TARGETS=true
  unset TROVE_DATABASE_URL
  if [ "$backend" = postgres ]; then
    if ! psql "$PG_URL" -Atqc 'select 1' >/dev/null 2>&1; then
      echo "== PostgreSQL does not answer at $PG_URL: skipping that backend"
      SUMMARY+=("$(printf '%-9s skipped (no PostgreSQL at %s)' postgres "$PG_URL")")
      return
    fi
    PG_DB="trove_fuzz_$$_$RANDOM"
    psql "$PG_URL" -qc "CREATE DATABASE $PG_DB" >/dev/null
    export TROVE_DATABASE_URL="${PG_URL%/*}/$PG_DB"
  fi
  mkdir -p "$TROVE_DATA_DIR"
  local log="$WORK/server-$backend.log"
  "$TROVE" server >"$log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 100); do
    curl -fs -o /dev/null "$BASE/health/ready" && break
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$log" >&2; exit 1; }
    sleep 0.1
  done
  curl -fs -o /dev/null "$BASE/health/ready" || { echo "the $backend server did not start" >&2; exit 1; }
  echo 'fuzz admin password' |
    "$TROVE" admin create-user --username fuzzadmin --email fuzzadmin@example.com --admin >/dev/null
  local token spare
  token="$("$PY" "$WORK/seed.py" "$BASE")"

  # As the admin (everything is allowed: the deep paths are reached); revoking tokens is left
  # to the last run, as it would revoke this very token ...
  run "$backend" admin --header "Authorization: Bearer $token" --exclude-operation-id revoke_token
  # ... anonymously (401/404 paths, registration, login, device flow) ...
  run "$backend" anonymous
  # ... and token revocation, with spare tokens.
  spare="$("$PY" "$WORK/spare.py" "$BASE" "$token")"
  run "$backend" revoke --header "Authorization: Bearer $spare" --include-operation-id revoke_token

  if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    echo "the $backend server died during the run:" >&2
    tail -20 "$log" >&2
    SUMMARY+=("$backend: THE SERVER DIED")
    RESULT=1
  fi
  if grep -q "panicked" "$log"; then
    echo "the $backend server log records a panic:" >&2
    grep -A5 "panicked" "$log" | head -40 >&2
    SUMMARY+=("$backend: THE SERVER PANICKED (see $log)")
    RESULT=1
  fi
  stop_server
}

START=$SECONDS
for backend in $BACKENDS; do
  fuzz_backend "$backend"
done

echo
echo "== fuzz-api summary (schemathesis $ST_VERSION, seed $SEED, at most $EXAMPLES examples per operation and phase, $((SECONDS - START)) s)"
printf '%s\n' "${SUMMARY[@]}"
if [ "$RESULT" = 0 ]; then
  echo "fuzz-api: no failures"
else
  KEEP=1
  echo "fuzz-api: FAILURES (details above; logs and reports in $WORK)"
fi
exit "$RESULT"
