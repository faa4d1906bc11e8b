#!/usr/bin/env bash
# Installs the JavaScript package managers the npm end-to-end tests drive
# (crates/trove/tests/it/npm/clients.rs) besides the machine's own npm: pnpm, yarn classic,
# yarn 4 (berry, `@yarnpkg/cli-dist`, in its own prefix: both are called `yarn`) and bun (its
# npm package carries the binary) from the npm registry, pinned, into a cache directory (nothing global is touched). Whatever
# is already there at the pinned version is left alone. The tests fail, never skip, when a
# client is missing.
#
#   scripts/install-npm-clients.sh          # prints nothing on stdout
#   TROVE_TEST_NPM_CLIENTS=/some/dir scripts/install-npm-clients.sh
set -euo pipefail

PNPM_VERSION=10.34.9
YARN_VERSION=1.22.22
YARN4_VERSION=4.18.1
BUN_VERSION=1.4.5
dir="${TROVE_TEST_NPM_CLIENTS:-$HOME/.cache/trove-npm-clients}"

command -v node >/dev/null 2>&1 || { echo "node is needed (Node 20 or later)" >&2; exit 1; }
command -v npm >/dev/null 2>&1 || { echo "npm is needed" >&2; exit 1; }

installed() { # name version
  [ -x "$dir/bin/$1" ] && [ "$("$dir/bin/$1" --version 2>/dev/null)" = "$2" ]
}

wanted=()
installed pnpm "$PNPM_VERSION" || wanted+=("pnpm@$PNPM_VERSION")
installed yarn "$YARN_VERSION" || wanted+=("yarn@$YARN_VERSION")
installed bun "$BUN_VERSION" || wanted+=("bun@$BUN_VERSION")
if [ "${#wanted[@]}" -gt 0 ]; then
  echo "installing ${wanted[*]} into $dir (npm registry) ..." >&2
  mkdir -p "$dir"
  # A clean user config: the tests' own .npmrc files must not leak into this install.
  npm install --global --prefix "$dir" --no-audit --no-fund --loglevel=error \
    --userconfig /dev/null --registry https://registry.npmjs.org/ "${wanted[@]}" >&2
fi

if ! { [ -x "$dir/yarn4/bin/yarn" ] && [ "$("$dir/yarn4/bin/yarn" --version 2>/dev/null)" = "$YARN4_VERSION" ]; }; then
  echo "installing @yarnpkg/cli-dist@$YARN4_VERSION into $dir/yarn4 (npm registry) ..." >&2
  mkdir -p "$dir/yarn4"
  npm install --global --prefix "$dir/yarn4" --no-audit --no-fund --loglevel=error \
    --userconfig /dev/null --registry https://registry.npmjs.org/ "@yarnpkg/cli-dist@$YARN4_VERSION" >&2
fi

echo "npm clients: node $(node --version), npm $(npm --version), pnpm $("$dir/bin/pnpm" --version), yarn $("$dir/bin/yarn" --version), bun $("$dir/bin/bun" --version) in $dir/bin; yarn $("$dir/yarn4/bin/yarn" --version) in $dir/yarn4/bin" >&2
