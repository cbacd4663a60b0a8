#!/usr/bin/env bash
# The learning proof against a REAL model: SmolLM2-135M-Instruct served by llama.cpp
# (scripts/model_server.sh), everything under ./artifacts/learning/ with its own database.
#
#   scripts/run_real_learning_single_round.sh                 # every stage, from a clean state
#   scripts/run_real_learning_single_round.sh --from train    # rerun from a stage on the existing data
#   scripts/run_real_learning_single_round.sh --to data       # stop after a stage
#
# Stages (docs/learning.md reports what they measured):
#   data      fresh database, the 7-family task set of run_real_demo.sh, real-model iterations
#             on the first TRAIN_TASKS train-pool tasks (split order), consolidate
#   train     rslm train-lora on the verified episodes (from the base model)
#   promote   the server restarted with the adapter; rslm promote-adapter: the candidate against
#             the base model on the held-out set and on the check set (train-pool tasks it did
#             not train on); it is activated only if the gate says so
#   eval      baseline, memory, semantic, learning, memory_learning on the held-out set with the
#             adapter active (activated for the eval and rolled back after if the gate refused)
#   rival     (only with --to rival) a second adapter, other settings, from the base model;
#             the server loads both; promote-adapter gates it against the first
# Needs .rslm/train-venv (scripts/train_env.sh) and the model server's venv. Variables below
# may be overridden from the environment.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

from=data
to=eval
while [ $# -gt 0 ]; do
  case "$1" in
    --from) from="${2:?--from needs a stage: data, train, promote, eval or rival}"; shift 2 ;;
    --to) to="${2:?--to needs a stage: data, train, promote, eval or rival}"; shift 2 ;;
    -h|--help) sed -n '2,21p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run_real_learning: unknown option $1" >&2; exit 2 ;;
  esac
done
for s in "$from" "$to"; do
  case "$s" in data|train|promote|eval|rival) ;; *) echo "run_real_learning: unknown stage $s" >&2; exit 2 ;; esac
done

out="${OUT:-artifacts/learning}"
db="$out/learning.sqlite"
tasks="$out/tasks.jsonl"
FAMILIES="${FAMILIES:-add_const mul_const keep_multiples parse_int_list remove_chars replace_char sum_above_threshold}"
REGEN_COUNT="${REGEN_COUNT:-1500}"  # about 25 tasks per family, 175 in the 7 families
HELDOUT="${HELDOUT:-40}"
TRAIN_TASKS="${TRAIN_TASKS:-90}"    # train-pool tasks the iterations attempt; the rest stay unseen
ITERATIONS="${ITERATIONS:-2}"
K="${K:-4}"                         # candidates per task and iteration
TEMPERATURE="${TEMPERATURE:-0.7}"   # sampling for training data; eval and promotion use 0
MAX_TOKENS="${MAX_TOKENS:-96}"
CONCURRENCY="${CONCURRENCY:-4}"
SERVER_THREADS="${SERVER_THREADS:-1}"
EPOCHS="${EPOCHS:-3}"
# One trainer thread: with two, PyTorch's OpenMP threads spin against the other work on these 2
# shared cores (measured: 38 s per step of 4 examples at load 4.7, against ~2 s calm).
TRAIN_THREADS="${TRAIN_THREADS:-1}"
MAX_PER_FAMILY="${MAX_PER_FAMILY:-40}"
CHECK_LIMIT="${CHECK_LIMIT:-40}"
NAME="${NAME:-smollm2-learning-001}"
RIVAL="${RIVAL:-smollm2-learning-002}"
RIVAL_ARGS="${RIVAL_ARGS:---seed 1 --max-per-task 4}"
adapter_dir="$out/adapters/$NAME"

cargo build --release --quiet
rslm="target/release/rslm"
if [ -z "${RSLM_PYTHON:-}" ]; then
  RSLM_PYTHON="$(python3 -c 'import sys; print(sys.executable)')"
  export RSLM_PYTHON
fi
export RSLM_DB="$db"
unset RSLM_FAST_VERIFY

mkdir -p "$out"
now_ns() { date +%s%N; }
stage() {  # stage NAME COMMAND...: runs it, records wall time and load
  local name="$1" t0 t1 ms
  shift
  t0=$(now_ns)
  "$@"
  t1=$(now_ns)
  ms=$(((t1 - t0) / 1000000))
  printf '%s\t%d.%03d\t%s\n' "$name" $((ms / 1000)) $((ms % 1000)) "$(uptime | sed 's/.*load average: //')" >>"$out/timings.tsv"
  printf '   (%s: %d.%01d s, load %s)\n' "$name" $((ms / 1000)) $(((ms % 1000) / 100)) "$(uptime | sed 's/.*load average: //')" >&2
}
server() {  # server [--lora FILE]...: (re)starts the model server with exactly these adapters
  scripts/model_server.sh restart --threads "$SERVER_THREADS" "$@" >/dev/null
  eval "$(scripts/model_server.sh env)"
  export RSLM_BASE_URL RSLM_MODEL RSLM_BACKEND=openai
}
stop_server() { scripts/model_server.sh stop >/dev/null 2>&1 || true; }
trap stop_server EXIT

common=(--tasks "$tasks" --heldout-size "$HELDOUT")
model_flags=(--max-tokens "$MAX_TOKENS" --concurrency "$CONCURRENCY" --request-timeout 300)
reached=0
done_=0
at() {  # true for the stages from --from up to --to
  [ "$1" = "$from" ] && reached=1
  [ "$reached" = 1 ] && [ "$done_" = 0 ] || return 1
  [ "$1" = "$to" ] && done_=1
  return 0
}

if at data; then
  rm -rf "$db" "$db-wal" "$db-shm" "$out/adapters" "$out"/*.json "$tasks" "$out/generated.jsonl"
  printf 'stage\tseconds\tload (1, 5, 15 min)\n' >"$out/timings.tsv"
  "$rslm" init-db
  "$rslm" seed-tasks --regen --count "$REGEN_COUNT" --out "$out/generated.jsonl" >/dev/null
  pattern="\"family\":\"($(echo "$FAMILIES" | tr ' ' '|'))\""
  grep -E "$pattern" "$out/generated.jsonl" >"$tasks"
  "$rslm" seed-tasks --out "$tasks"
  server
  for i in $(seq 1 "$ITERATIONS"); do
    echo "== iteration $i: $TRAIN_TASKS train-pool tasks, k $K, temperature $TEMPERATURE"
    stage "run-iteration $i" "$rslm" run-iteration "${common[@]}" "${model_flags[@]}" --fast \
      --k "$K" --temperature "$TEMPERATURE" --mode trainpool --no-memory \
      --task-limit "$TRAIN_TASKS" --task-order split --seed "$i"
  done
  stage consolidate "$rslm" consolidate "${common[@]}" "${model_flags[@]}" --fast --min-evidence 2
  sqlite3 "$db" "SELECT COUNT(*) || ' verified episodes of ' || COUNT(DISTINCT task_id) || ' tasks' FROM episodes" || true
fi

if at train; then
  rm -rf "$adapter_dir"
  stage train-lora /usr/bin/time -v -o "$out/train-lora.time" "$rslm" train-lora "${common[@]}" \
    --out "$adapter_dir" --epochs "$EPOCHS" --threads "$TRAIN_THREADS" --max-per-family "$MAX_PER_FAMILY" --json \
    >"$out/train-lora.json"
  grep -E 'Maximum resident|Elapsed' "$out/train-lora.time"
fi

if at promote; then
  server --lora "$adapter_dir/adapter.gguf"
  # The gate compares the candidate with what is active: here the base model (a fresh store).
  stage promote-adapter "$rslm" promote-adapter "${common[@]}" "${model_flags[@]}" --fast \
    --temperature 0 --name "$NAME" --check-limit "$CHECK_LIMIT" --output "$out/promotion.json"
fi

if at eval; then
  server --lora "$adapter_dir/adapter.gguf"
  active="$("$rslm" list-adapters --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["active"] or "")')"
  if [ "$active" != "$NAME" ]; then
    # The gate refused it: activate it for this eval only (recorded), and roll back after.
    "$rslm" set-active-adapter --name "$NAME" --reason "eval of the learning conditions only (not promoted)"
  fi
  stage eval "$rslm" eval "${common[@]}" "${model_flags[@]}" --fast --temperature 0 \
    --conditions baseline,memory,semantic,learning,memory_learning --k 1 --n 1 --seed 0 \
    --output "$out/eval.json"
  if [ "$active" != "$NAME" ]; then
    "$rslm" rollback-adapter --reason "eval done; the promotion gate did not promote $NAME"
  fi
  "$rslm" list-adapters --history
fi
if at rival; then
  # Optional (--to rival): a second adapter, trained from the base model with other settings,
  # gated against the first one with the server loading both (ids by file, not by order).
  rival_dir="$out/adapters/$RIVAL"
  rm -rf "$rival_dir"
  # shellcheck disable=SC2086
  stage train-lora-rival "$rslm" train-lora "${common[@]}" --out "$rival_dir" --epochs "$EPOCHS" --threads "$TRAIN_THREADS" \
    --max-per-family "$MAX_PER_FAMILY" $RIVAL_ARGS --json >"$out/train-lora-rival.json"
  server --lora "$rival_dir/adapter.gguf" --lora "$adapter_dir/adapter.gguf"
  active="$("$rslm" list-adapters --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["active"] or "")')"
  if [ "$active" != "$NAME" ]; then
    "$rslm" set-active-adapter --name "$NAME" --reason "made current by hand to gate $RIVAL against it"
  fi
  stage promote-adapter-rival "$rslm" promote-adapter "${common[@]}" "${model_flags[@]}" --fast \
    --temperature 0 --name "$RIVAL" --check-limit "$CHECK_LIMIT" --output "$out/promotion-rival.json"
  "$rslm" list-adapters --history
fi
echo "timings: $out/timings.tsv"
