#!/usr/bin/env bash
# Installs the real Python packaging clients the PyPI end-to-end tests drive
# (crates/trove/tests/it/pypi/): pip, twine, uv and build (with setuptools and wheel, so test
# projects build without network isolation) into one virtual environment, from PyPI.
# The tests find it at $TROVE_PYPI_CLIENTS (default ~/.cache/trove-pypi-clients) and fail,
# never skip, when a client is missing. Prints the versions.
set -euo pipefail

venv="${TROVE_PYPI_CLIENTS:-$HOME/.cache/trove-pypi-clients}"
python="${PYTHON:-python3}"

if [ ! -x "$venv/bin/python" ]; then
  echo "creating $venv ..." >&2
  "$python" -m venv "$venv" >&2
fi
need=()
for tool in twine uv; do
  [ -x "$venv/bin/$tool" ] || need+=("$tool")
done
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
