#!/usr/bin/env bash
# Installs the real Python packaging clients the PyPI end-to-end tests drive
# (crates/trove/tests/it/pypi/): pip, twine, uv and build (with setuptools and wheel, so test
# projects build without network isolation) into one virtual environment, from PyPI.
# The tests find it at $TROVE_TEST_PYPI_CLIENTS (default ~/.cache/trove-pypi-clients) and fail,
# never skip, when a client is missing. Prints the versions.
#
# twine is the newest release (6.2 or later). Since 6.2, twine refuses `--skip-existing` for
# every repository URL that does not start with https://upload.pypi.org/ or
# https://test.pypi.org/ (twine/settings.py, Settings.verify_feature_capability, called by
# `twine upload` before any request): it exits with "does not have support for the following
# features: --skip-existing" and nothing a server answers can change that. Trove's 409 "File
# already exists" is still what twine < 6.2 skips on (twine/commands/upload.py, skip_upload:
# status 409) and what `uv publish --check-url` relies on, so the tests also check the last
# twine that allows it, 6.1, from a second environment: $TROVE_TEST_PYPI_CLIENTS/twine-6.1.
set -euo pipefail

venv="${TROVE_TEST_PYPI_CLIENTS:-$HOME/.cache/trove-pypi-clients}"
python="${PYTHON:-python3}"
quiet=(--quiet --disable-pip-version-check)

if [ ! -x "$venv/bin/python" ]; then
  echo "creating $venv ..." >&2
  "$python" -m venv "$venv" >&2
fi
need=()
[ -x "$venv/bin/uv" ] || need+=(uv)
# The newest twine (an older one, e.g. the 6.1 this script used to pin, is upgraded).
"$venv/bin/python" -c "import twine; assert tuple(map(int, twine.__version__.split('.')[:2])) >= (6, 2)" >/dev/null 2>&1 ||
  need+=(twine)
# setuptools recent enough to write Metadata-Version 2.2+ (PEP 643), so sdists carry PEP 658 metadata.
"$venv/bin/python" -c "import build, wheel, setuptools; assert int(setuptools.__version__.split('.')[0]) >= 75" >/dev/null 2>&1 ||
  need+=(build wheel "setuptools>=75")
if [ "${#need[@]}" -gt 0 ]; then
  echo "installing ${need[*]} (PyPI) into $venv ..." >&2
  "$venv/bin/python" -m pip install "${quiet[@]}" --upgrade pip >&2
  "$venv/bin/python" -m pip install "${quiet[@]}" --upgrade "${need[@]}" >&2
fi

# twine 6.1 for the `--skip-existing` test (see above).
legacy="$venv/twine-6.1"
if ! "$legacy/bin/python" -c "import twine; assert twine.__version__.startswith('6.1.')" >/dev/null 2>&1; then
  echo "installing twine 6.1 (PyPI) into $legacy ..." >&2
  "$python" -m venv "$legacy" >&2
  "$legacy/bin/python" -m pip install "${quiet[@]}" "twine>=6.1,<6.2" >&2
fi

echo "PyPI clients: pip $("$venv/bin/python" -m pip --version | cut -d' ' -f2)," \
  "twine $("$venv/bin/python" -c 'import twine; print(twine.__version__)')" \
  "(and $("$legacy/bin/python" -c 'import twine; print(twine.__version__)') for --skip-existing)," \
  "$("$venv/bin/uv" --version)," \
  "build $("$venv/bin/python" -c 'import build; print(build.__version__)')," \
  "setuptools $("$venv/bin/python" -c 'import setuptools; print(setuptools.__version__)')" >&2
