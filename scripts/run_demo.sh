#!/usr/bin/env bash
# The rslm demo on the built-in mock backend (a SIMULATED weak model): three iterations of
# run-iteration + consolidate + eval, then a plot. Builds the binary if needed and writes
# everything under ./artifacts/ (its own database, artifacts/demo.sqlite, starts fresh each run).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

cargo build --release --quiet
rslm="target/release/rslm"
db="artifacts/demo.sqlite"
export RSLM_BACKEND=mock RSLM_FAST_VERIFY=1 RSLM_DB="$db"
# Resolve the interpreter once for all the commands below (a pyenv shim costs ~55 ms a call).
if [ -z "${RSLM_PYTHON:-}" ]; then
  RSLM_PYTHON="$(python3 -c 'import sys; print(sys.executable)')"
  export RSLM_PYTHON
fi

mkdir -p artifacts
rm -f "$db" "$db-wal" "$db-shm" artifacts/results_iter00[0-9].json artifacts/results.png

heldout=40
started_ns=$(date +%s%N)
"$rslm" init-db
"$rslm" seed-tasks
for i in 1 2 3; do
  echo "== iteration $i"
  "$rslm" run-iteration --k 4 --mode trainpool --memory-enabled --heldout-size "$heldout" --task-limit 40 --seed "$i"
  "$rslm" consolidate --min-evidence 2 --heldout-size "$heldout"
  "$rslm" eval --conditions all --k 1 --n 2 --heldout-size "$heldout" --output "artifacts/results_iter00$i.json"
  "$RSLM_PYTHON" scripts/paired.py "artifacts/results_iter00$i.json" semantic memory
done
"$rslm" plot --input "$db" --output artifacts/results.png
elapsed_ms=$(( ($(date +%s%N) - started_ns) / 1000000 ))
printf '\ndemo finished in %d.%03d s after the build (SIMULATION: mock backend)\n' $((elapsed_ms / 1000)) $((elapsed_ms % 1000))
echo "results: artifacts/results_iter001.json .. artifacts/results_iter003.json"
echo "picture: artifacts/results.png"
echo "database: $db"
