#!/usr/bin/env bash
# Runs the whole test suite on a fresh machine: installs and starts what the tests need
# (a real S3 server; PostgreSQL and Redis are the machine's), then runs every test of the
# workspace against real SQLite, PostgreSQL and S3.
#
#   scripts/test.sh            # everything
#   scripts/test.sh -p trove   # extra arguments go to the test runner
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/trove-target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

# The S3 server is left running for the next run (`scripts/test-services.sh stop` ends it).
eval "$(scripts/test-services.sh start)"
scripts/install-oci-clients.sh  # skopeo, podman, oras for the OCI end-to-end tests
scripts/install-npm-clients.sh  # pnpm and yarn (beside the machine's npm) for the npm end-to-end tests
scripts/install-pypi-clients.sh  # pip, twine, uv, build for the PyPI end-to-end tests
scripts/install-cargo-clients.sh  # the machine's cargo (>= 1.74) for the Cargo end-to-end tests


# Databases left behind by an interrupted earlier run.
psql "${TROVE_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}" -Atqc \
  "SELECT datname FROM pg_database WHERE datname LIKE 'trove\_test\_%'" 2>/dev/null |
  while read -r db; do
    psql "${TROVE_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  done

echo "== cargo fmt --check (advisory)"
cargo fmt --all -- --check >/dev/null 2>&1 || echo "warning: code is not formatted; run cargo fmt --all"


if command -v cargo-nextest >/dev/null 2>&1; then
  echo "== cargo nextest (workspace)"
  cargo nextest run --workspace --no-fail-fast --test-threads 4 "$@"
else
  echo "== cargo test (workspace)"
  cargo test --workspace --no-fail-fast "$@" -- --test-threads 4
fi
[ "${TROVE_SKIP_BROWSER:-}" = 1 ] || scripts/browser-test.sh  # web UI in headless Chromium
