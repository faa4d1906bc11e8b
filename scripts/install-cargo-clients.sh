#!/usr/bin/env bash
# Checks the real client the Cargo end-to-end tests drive (crates/trove/tests/it/cargo/):
# the machine's own `cargo`, which also builds Trove. Registries that require a token
# (`auth-required`, the `cargo:token` credential provider) need cargo 1.74 or newer; an
# older toolchain is updated through rustup when rustup manages it. The tests fail, never
# skip, when cargo is missing or too old.
set -euo pipefail

need_minor=74
version() { cargo --version 2>/dev/null | awk '{print $2}'; }

if ! command -v cargo >/dev/null 2>&1; then
  echo "cargo is not installed: install Rust with rustup (https://rustup.rs)" >&2
  exit 1
fi
minor=$(version | cut -d. -f2)
if [ "${minor:-0}" -lt "$need_minor" ]; then
  if command -v rustup >/dev/null 2>&1; then
    echo "cargo $(version) is older than 1.$need_minor: updating the stable toolchain ..." >&2
    rustup update stable >&2
    minor=$(version | cut -d. -f2)
  fi
  if [ "${minor:-0}" -lt "$need_minor" ]; then
    echo "cargo $(version) is older than 1.$need_minor (needed for auth-required registries)" >&2
    exit 1
  fi
fi
echo "Cargo client: $(cargo --version)" >&2
