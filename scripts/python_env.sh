#!/usr/bin/env bash
# Creates (or reuses) the project-local Python environment .rslm/venv with pytest, which the
# verifier's pytest mode and the test suite need. Never touches the user's global Python.
# Prints the interpreter path on stdout: RSLM_PYTHON="$(scripts/python_env.sh)".
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.rslm/venv"
python="${RSLM_BASE_PYTHON:-python3}"
pytest_pin="pytest==8.4.2"

if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c "import pytest" >/dev/null 2>&1; then
  echo "$venv/bin/python"
  exit 0
fi
command -v "$python" >/dev/null 2>&1 || { echo "error: $python not found; install Python 3.8+ or set RSLM_BASE_PYTHON" >&2; exit 1; }
mkdir -p "$root/.rslm"
"$python" -m venv "$venv" >&2 || { echo "error: could not create $venv (is the venv module installed? on Debian: apt-get install python3-venv)" >&2; exit 1; }
if ! "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$pytest_pin" >&2; then
  echo "error: could not install $pytest_pin into $venv; is the Python package registry reachable?" >&2
  exit 1
fi
echo "$venv/bin/python"
