#!/usr/bin/env bash
# The measurements behind docs/scale.md, written to docs/results/scale/:
#   loop.json      --concurrency 1..256 against a fake server that takes 1 s per answer, several
#                  run-iterations sharing one store, and what an eval adds to the store;
#   verifier.json  verification throughput and CPU per candidate (cargo bench --bench verifier);
#   machine.json   the machine and its load when the figures were taken.
#
#   scripts/bench_scale.sh [--quick]     # --quick: skip the older 200 ms figures of the loop bench
#
# pytest rows of the verifier bench need RSLM_PYTHON (scripts/python_env.sh); without it they are
# left out and say so.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out=docs/results/scale
mkdir -p "$out"
quick=0
case "${1:-}" in
  --quick) quick=1 ;;
  "") ;;
  *) echo "error: unknown argument $1 (usage: scripts/bench_scale.sh [--quick])" >&2; exit 2 ;;
esac

load() { cut -d' ' -f1-3 /proc/loadavg; }
load_before=$(load)
RSLM_BENCH_QUICK=$quick RSLM_BENCH_JSON="$PWD/$out/loop.json" cargo bench --bench loop
RSLM_BENCH_JSON="$PWD/$out/verifier.json" cargo bench --bench verifier
load_after=$(load)
cat > "$out/machine.json" <<JSON
{
  "date_utc": "$(date -u +%Y-%m-%dT%H:%M:%SZ)",
  "cores": $(nproc),
  "cpu": "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//; s/"//g')",
  "memory_kib": $(grep MemTotal /proc/meminfo | awk '{print $2}'),
  "load_average_before": "$load_before",
  "load_average_after": "$load_after",
  "rslm_commit": "$(git rev-parse HEAD 2>/dev/null || echo unknown)"
}
JSON
echo "figures in $out/"
