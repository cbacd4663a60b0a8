#!/usr/bin/env bash
# The rslm demo against a REAL model: SmolLM2-135M-Instruct served by llama.cpp on this machine
# (scripts/model_server.sh). Three iterations of run-iteration + consolidate + eval, then a plot,
# all under ./artifacts/real/ with its own database (artifacts/real/real.sqlite, fresh each run).
#
#   scripts/run_real_demo.sh              # starts the model server if needed, stops it after
#   scripts/run_real_demo.sh --keep-server
#
# The task set is fitted to the model (docs/real-model.md): SmolLM2 solves about 3% of the
# bundled held-out tasks, so the demo regenerates the task families and keeps the seven easy
# ones it solved in a calibration run. It takes about 10 minutes on 2 shared cores; the
# variables below may be overridden from the environment (e.g. HELDOUT=24 N=2 OUT=/tmp/x).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

keep_server=0
for arg in "$@"; do
  case "$arg" in
    --keep-server) keep_server=1 ;;
    -h|--help) sed -n '2,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run_real_demo: unknown option $arg" >&2; exit 2 ;;
  esac
done

out="${OUT:-artifacts/real}"        # where everything goes
db="$out/real.sqlite"
tasks="$out/tasks.jsonl"
FAMILIES="${FAMILIES:-add_const mul_const keep_multiples parse_int_list remove_chars replace_char sum_above_threshold}"
REGEN_COUNT="${REGEN_COUNT:-1000}"  # 17 tasks per family, 119 in all
HELDOUT="${HELDOUT:-40}"            # held-out tasks (about 6 per family)
TASK_LIMIT="${TASK_LIMIT:-16}"      # train-pool tasks per iteration
K="${K:-2}"                         # candidates per train task
N="${N:-1}"                         # eval samples per task and condition
MAX_TOKENS="${MAX_TOKENS:-96}"      # the solutions are 10-40 tokens; the rest is chatter
CONCURRENCY="${CONCURRENCY:-4}"     # requests in flight (the server has 4 slots)
SERVER_THREADS="${SERVER_THREADS:-1}"  # llama.cpp threads if this script starts the server
CONDITIONS="baseline,memory,semantic,memory_learning"

cargo build --release --quiet
rslm="target/release/rslm"
# Resolve the interpreter once for all the commands below (a pyenv shim costs ~55 ms a call).
if [ -z "${RSLM_PYTHON:-}" ]; then
  RSLM_PYTHON="$(python3 -c 'import sys; print(sys.executable)')"
  export RSLM_PYTHON
fi

# ---- the model server -------------------------------------------------------------------------
started_server=0
if scripts/model_server.sh status >/dev/null 2>&1; then
  echo "model server: already running, using it ($(scripts/model_server.sh status))"
else
  # One llama.cpp thread: on 2 cores shared with the verifier (and often other work), two
  # threads spin against each other and generation drops from ~70 to ~5 tokens/s (measured).
  echo "model server: not running; starting it (scripts/model_server.sh start --threads $SERVER_THREADS)"
  scripts/model_server.sh start --threads "$SERVER_THREADS" >/dev/null
  started_server=1
fi
stop_server() {
  if [ "$started_server" = 1 ] && [ "$keep_server" = 0 ]; then
    echo "model server: stopping the server this script started (--keep-server keeps it)"
    scripts/model_server.sh stop || true
  fi
}
trap stop_server EXIT
eval "$(scripts/model_server.sh env)"
export RSLM_BASE_URL RSLM_MODEL
export RSLM_BACKEND=openai RSLM_DB="$db"
unset RSLM_FAST_VERIFY  # --fast below says it

mkdir -p "$out"
rm -f "$db" "$db-wal" "$db-shm" "$out"/results_iter00[0-9].json "$out/results.png" \
  "$out/timings.tsv" "$out/generated.jsonl" "$tasks"
printf 'stage\titeration\tseconds\n' >"$out/timings.tsv"

now_ns() { date +%s%N; }
# stage NAME ITERATION COMMAND...: runs the command and records its wall time.
stage() {
  local name="$1" iter="$2" t0 t1
  shift 2
  t0=$(now_ns)
  "$@"
  t1=$(now_ns)
  local ms=$(((t1 - t0) / 1000000))
  printf '%s\t%s\t%d.%03d\n' "$name" "$iter" $((ms / 1000)) $((ms % 1000)) >>"$out/timings.tsv"
  printf '   (%s: %d.%01d s)\n' "$name" $((ms / 1000)) $(((ms % 1000) / 100))
}

common=(--tasks "$tasks" --heldout-size "$HELDOUT")
model_flags=(--max-tokens "$MAX_TOKENS" --concurrency "$CONCURRENCY" --request-timeout 300)

started_ns=$(now_ns)
"$rslm" init-db
# The task set: every family regenerated, then only the fitted families kept.
"$rslm" seed-tasks --regen --count "$REGEN_COUNT" --out "$out/generated.jsonl" >/dev/null
pattern="\"family\":\"($(echo "$FAMILIES" | tr ' ' '|'))\""
grep -E "$pattern" "$out/generated.jsonl" >"$tasks"
"$rslm" seed-tasks --out "$tasks"

for i in 1 2 3; do
  echo "== iteration $i"
  stage run-iteration "$i" "$rslm" run-iteration "${common[@]}" "${model_flags[@]}" --fast \
    --k "$K" --mode trainpool --memory-enabled --task-limit "$TASK_LIMIT" --seed "$i"
  stage consolidate "$i" "$rslm" consolidate "${common[@]}" "${model_flags[@]}" --fast \
    --min-evidence 2
  stage eval "$i" "$rslm" eval "${common[@]}" "${model_flags[@]}" --fast \
    --conditions "$CONDITIONS" --k 1 --n "$N" --seed 0 --output "$out/results_iter00$i.json"
done
stage plot - "$rslm" plot --input "$db" --output "$out/results.png"

elapsed_ms=$((($(now_ns) - started_ns) / 1000000))
printf '\nreal-model demo finished in %d.%03d s after the build (%s at %s)\n' \
  $((elapsed_ms / 1000)) $((elapsed_ms % 1000)) "$RSLM_MODEL" "$RSLM_BASE_URL"
echo "results: $out/results_iter001.json .. $out/results_iter003.json"
echo "picture: $out/results.png"
echo "stage times: $out/timings.tsv"
echo "database: $db (failures: sqlite3 $db 'SELECT verdict, first_failure FROM failures')"
