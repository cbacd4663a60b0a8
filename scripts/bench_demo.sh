#!/usr/bin/env bash
# Times rslm's demo (after the build) and, when a checkout of the Python original is given, the
# original's demo in the same run, and prints the ratio.
#
#   scripts/bench_demo.sh [--runs N] [--original DIR]
#
# DIR is a checkout of recursive_slm_lab whose `rslm` command is installed in DIR/.venv or on
# PATH (for example: python3 -m venv DIR/.venv && DIR/.venv/bin/pip install -e DIR). The
# original's demo runs in a temporary copy of DIR, so the checkout is not modified.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
runs=3
original=""
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    --original) original="$2"; shift 2 ;;
    *) echo "error: unknown argument $1 (usage: scripts/bench_demo.sh [--runs N] [--original DIR])" >&2; exit 2 ;;
  esac
done

cargo build --release --quiet
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

ours=()
for _ in $(seq "$runs"); do
  start=$(now_ms)
  scripts/run_demo.sh >/dev/null
  ours+=($(( $(now_ms) - start )))
done
ours_ms=$(printf '%s\n' "${ours[@]}" | median)
printf 'rslm demo (mock, after the build): median %d.%03d s over %d runs\n' $((ours_ms / 1000)) $((ours_ms % 1000)) "$runs"

if [ -n "$original" ]; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  cp -r "$original" "$work/original"
  rm -rf "$work/original/artifacts"
  bin_path="$PATH"
  [ -d "$original/.venv/bin" ] && bin_path="$original/.venv/bin:$PATH"
  start=$(now_ms)
  (cd "$work/original" && PATH="$bin_path" bash scripts/run_demo.sh >/dev/null 2>&1)
  orig_ms=$(( $(now_ms) - start ))
  printf 'original demo: %d.%03d s (one run)\n' $((orig_ms / 1000)) $((orig_ms % 1000))
  awk -v a="$orig_ms" -v b="$ours_ms" 'BEGIN { printf "ratio: rslm is %.1fx faster\n", a / b }'
else
  echo "original demo: not measured (pass --original DIR to time it side by side)"
fi
