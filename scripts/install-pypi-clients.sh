#!/usr/bin/env bash
# Installs the real Python packaging clients the PyPI end-to-end tests drive
# (crates/trove/tests/it/pypi/): pip, twine, uv and build (with setuptools and wheel, so test
# projects build without network isolation) into one virtual environment, from PyPI.
# The tests find it at $TROVE_TEST_PYPI_CLIENTS (default ~/.cache/trove-pypi-clients) and fail,
# never skip, when a client is missing. Prints the versions.
set -euo pipefail

venv="${TROVE_TEST_PYPI_CLIENTS:-$HOME/.cache/trove-pypi-clients}"
python="${PYTHON:-python3}"

if [ ! -x "$venv/bin/python" ]; then
  echo "creating $venv ..." >&2
  "$python" -m venv "$venv" >&2
fi
need=()
[ -x "$venv/bin/uv" ] || need+=(uv)
# twine 6.2 refuses `--skip-existing` for every index but pypi.org's; 6.1 is the newest that
# lets the tests check that Trove's 409 "File already exists" makes it skip.
"$venv/bin/python" -c "import twine; assert tuple(map(int, twine.__version__.split('.')[:2])) < (6, 2)" >/dev/null 2>&1 ||
  need+=("twine<6.2")
# setuptools recent enough to write Metadata-Version 2.2+ (PEP 643), so sdists carry PEP 658 metadata.
"$venv/bin/python" -c "import build, wheel, setuptools; assert int(setuptools.__version__.split('.')[0]) >= 75" >/dev/null 2>&1 ||
  need+=(build wheel "setuptools>=75")
if [ "${#need[@]}" -gt 0 ]; then
  echo "installing ${need[*]} (PyPI) into $venv ..." >&2
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip >&2
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade "${need[@]}" >&2
fi

echo "PyPI clients: pip $("$venv/bin/python" -m pip --version | cut -d' ' -f2)," \
  "twine $("$venv/bin/python" -c 'import twine; print(twine.__version__)')," \
  "$("$venv/bin/uv" --version)," \
  "build $("$venv/bin/python" -c 'import build; print(build.__version__)')," \
  "setuptools $("$venv/bin/python" -c 'import setuptools; print(setuptools.__version__)')" >&2
