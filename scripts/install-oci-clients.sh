#!/usr/bin/env bash
# Installs the real OCI clients the end-to-end tests drive (crates/trove/tests/it/oci/
# clients.rs): skopeo and podman from Debian, oras (oras-py) from PyPI. Whatever is already
# installed is left alone. The tests fail, never skip, when a client is missing.
set -euo pipefail

missing=()
command -v skopeo >/dev/null 2>&1 || missing+=(skopeo)
command -v podman >/dev/null 2>&1 || missing+=(podman)
if [ "${#missing[@]}" -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  echo "installing ${missing[*]} (Debian packages) ..." >&2
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >&2
fi

if ! python3 -c "import oras.client" >/dev/null 2>&1; then
  echo "installing oras (oras-py, PyPI) ..." >&2
  python3 -m pip install --quiet --disable-pip-version-check oras >&2
fi

echo "OCI clients: $(skopeo --version), $(podman --version), oras-py $(python3 -c 'import oras; print(oras.__version__)')" >&2
