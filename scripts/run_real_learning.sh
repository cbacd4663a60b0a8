#!/usr/bin/env bash
# The loop that learns, on a REAL model: `rslm self-improve --rounds` with SmolLM2-135M-Instruct
# on a llama.cpp server that rslm starts, restarts with each round's adapters and stops itself
# (on its own port, so a shared server elsewhere is untouched). Everything goes under
# $OUT (artifacts/real-learning); the report, the eval and gate results and the plot are then
# copied to docs/results/learning/, which docs/learning.md quotes.
#
#   scripts/run_real_learning.sh            # from a clean state
#   RESUME=1 scripts/run_real_learning.sh   # continue an interrupted run (same settings)
#
# Needs .rslm/train-venv (scripts/train_env.sh) and the server's environment
# (scripts/model_server.sh install). Variables below may be overridden from the environment.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

out="${OUT:-artifacts/real-learning}"
results="${RESULTS:-docs/results/learning}"
db="$out/learning.sqlite"
tasks="$out/tasks.jsonl"
FAMILIES="${FAMILIES:-add_const mul_const keep_multiples parse_int_list remove_chars replace_char sum_above_threshold}"
REGEN_COUNT="${REGEN_COUNT:-1500}"  # about 25 tasks per family, 175 in the 7 families
ROUNDS="${ROUNDS:-3}"
HELDOUT="${HELDOUT:-40}"
TASKS_PER_ROUND="${TASKS_PER_ROUND:-45}"
K="${K:-4}"
TEMPERATURE="${TEMPERATURE:-0.7}"   # sampling for training data; eval and the gate use 0
MAX_TOKENS="${MAX_TOKENS:-96}"
EPOCHS="${EPOCHS:-3}"
TRAIN_THREADS="${TRAIN_THREADS:-1}"
MAX_PER_FAMILY="${MAX_PER_FAMILY:-40}"
CHECK_LIMIT="${CHECK_LIMIT:-40}"
PORT="${PORT:-18090}"

cargo build --release --quiet
rslm="target/release/rslm"
if [ -z "${RSLM_PYTHON:-}" ]; then
  RSLM_PYTHON="$(python3 -c 'import sys; print(sys.executable)')"
  export RSLM_PYTHON
fi
unset RSLM_FAST_VERIFY RSLM_BASE_URL RSLM_MODEL RSLM_BACKEND

resume=()
if [ "${RESUME:-0}" = 1 ]; then
  resume=(--resume)
else
  rm -rf "$out"
  mkdir -p "$out"
  "$rslm" init-db --db "$db" >/dev/null
  "$rslm" seed-tasks --regen --count "$REGEN_COUNT" --out "$out/generated.jsonl" >/dev/null
  pattern="\"family\":\"($(echo "$FAMILIES" | tr ' ' '|'))\""
  grep -E "$pattern" "$out/generated.jsonl" >"$tasks"
  "$rslm" seed-tasks --tasks "$tasks" >/dev/null
fi

started=$(date +%s)
"$rslm" self-improve --rounds "$ROUNDS" --db "$db" --tasks "$tasks" --heldout-size "$HELDOUT" --fast \
  --serve llamacpp --serve-port "$PORT" --max-tokens "$MAX_TOKENS" --concurrency 4 --request-timeout 300 \
  --k "$K" --temperature "$TEMPERATURE" --eval-temperature 0 --task-limit "$TASKS_PER_ROUND" --no-memory \
  --epochs "$EPOCHS" --threads "$TRAIN_THREADS" --max-per-family "$MAX_PER_FAMILY" \
  --gate-check-limit "$CHECK_LIMIT" --output-dir "$out" "${resume[@]}"
echo "wall time: $(( $(date +%s) - started )) s, load $(uptime | sed 's/.*load average: //')"

run="$(ls -d "$out"/run* | tail -n1)"
mkdir -p "$results"
cp "$run/report.json" "$run/report.md" "$results/"
for round in "$run"/round*; do
  mkdir -p "$results/$(basename "$round")"
  cp "$round"/*.json "$results/$(basename "$round")/"
done
"$rslm" plot --input "$results/report.json" --output "$results/rounds.png"
echo "results: $results"
