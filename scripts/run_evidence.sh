#!/usr/bin/env bash
# The evidence experiment (issue 14) on the real model: SmolLM2-135M-Instruct served by llama.cpp
# (scripts/model_server.sh). For every task distribution (the fitted 7 families of
# run_real_demo.sh, and the full, unfitted distribution), every split (leave-families-out and the
# in-template hash split) and every replicate (split seed, iteration seeds, training seed):
#
#   init, iterate-1..N   a fresh database; real-model iterations on the train pool (no memory)
#   consolidate          procedures and rules
#   train, promote       (learning) a LoRA adapter on the verified episodes; the promotion gate
#   dev                  baseline and memory on the dev split (where settings are chosen)
#   eval                 baseline, memory, the controls few_shot and random_memory, and (learning)
#                        learning and memory_learning on the held-out (test) split, over seeds
#   humaneval            (learning) the untouched external check: baseline vs the adapter on
#                        all 164 HumanEval tasks (without learning: the base model once)
#
# Results JSON and a manifest per run go to docs/results/evidence/<run>/; databases, task files
# and adapters to artifacts/evidence/. Resumable: a finished step is skipped (markers in
# artifacts/evidence/<run>/.done); an interrupted iteration is resumed (--resume). At the end it
# prints an estimate of the full run's wall time from the rates it measured.
#
#   scripts/run_evidence.sh                 # the full experiment (starts the model server)
#   scripts/run_evidence.sh --mock          # a tiny SIMULATION run on the mock backend
#   scripts/run_evidence.sh --estimate      # only the estimate, from the steps measured so far
#   RSLM_BASE_URL=... RSLM_MODEL=... LEARNING=0 scripts/run_evidence.sh   # an external server
#
# Every setting below may be overridden from the environment (e.g. REPLICATES="1" HELDOUT=10).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

mock=0
estimate_only=0
for arg in "$@"; do
  case "$arg" in
    --mock) mock=1 ;;
    --estimate) estimate_only=1 ;;
    -h|--help) sed -n '2,27p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run_evidence: unknown option $arg" >&2; exit 2 ;;
  esac
done

# ---- settings (the full experiment's defaults; --mock shrinks them) -------------------------
if [ "$mock" = 1 ]; then
  : "${WORK:=artifacts/evidence-mock}" "${OUT:=artifacts/evidence-mock/results}"
  : "${REPLICATES:=1 2}" "${HELDOUT:=12}" "${DEV:=6}" "${TRAIN_TASKS:=24}" "${ITERATIONS:=1}"
  : "${REGEN_FITTED:=1000}" "${REGEN_FULL:=200}" "${LEARNING:=0}" "${EVAL_SEEDS:=1,2}"
fi
WORK="${WORK:-artifacts/evidence}"          # databases, task files, adapters (not committed)
OUT="${OUT:-docs/results/evidence}"         # results JSON and manifests (committed)
DISTS="${DISTS:-fitted full}"               # fitted: the 7 families SmolLM2 solves; full: all 71
SPLITS="${SPLITS:-family hash}"             # leave-families-out, in-template
REPLICATES="${REPLICATES:-1 2 3}"           # split seed = replicate; iteration/training seeds follow
FITTED_FAMILIES="${FITTED_FAMILIES:-add_const mul_const keep_multiples parse_int_list remove_chars replace_char sum_above_threshold}"
REGEN_FITTED="${REGEN_FITTED:-1500}"        # about 25 tasks per fitted family, 175 in all
REGEN_FULL="${REGEN_FULL:-710}"             # 10 tasks per family of all 71
HELDOUT="${HELDOUT:-50}"                    # held-out (test) tasks per run; family split: at least
DEV="${DEV:-20}"                            # dev tasks per run (family split: whole families)
TRAIN_TASKS="${TRAIN_TASKS:-90}"            # train-pool tasks each iteration attempts
ITERATIONS="${ITERATIONS:-2}"
K="${K:-4}"                                 # candidates per task and iteration
TEMPERATURE="${TEMPERATURE:-0.7}"           # sampling of training data
EVAL_TEMPERATURE="${EVAL_TEMPERATURE:-0.2}" # > 0: llama.cpp is not bit-repeatable anyway
EVAL_SEEDS="${EVAL_SEEDS:-1,2,3}"           # eval replications (samples pooled per task)
EVAL_N="${EVAL_N:-1}"                       # samples per task and seed
MAX_TOKENS="${MAX_TOKENS:-96}"
HE_MAX_TOKENS="${HE_MAX_TOKENS:-256}"       # HumanEval answers are longer
HUMANEVAL="${HUMANEVAL:-1}"                 # 0: no external check
HE_LIMIT="${HE_LIMIT:-164}"                 # HumanEval tasks evaluated (all 164; fewer for a trial)
LEARNING="${LEARNING:-1}"                   # 0: no training, no learning conditions
LEARN_DISTS="${LEARN_DISTS:-fitted}"        # distributions that train (the full one has ~3% to learn from)
EPOCHS="${EPOCHS:-3}"
TRAIN_THREADS="${TRAIN_THREADS:-1}"
MAX_PER_FAMILY="${MAX_PER_FAMILY:-40}"
CHECK_LIMIT="${CHECK_LIMIT:-40}"
CONCURRENCY="${CONCURRENCY:-4}"
SERVER_THREADS="${SERVER_THREADS:-1}"
TRAIN_SECONDS="${TRAIN_SECONDS:-180}"       # assumed per training when none was measured (docs/learning.md)
CONTROLS="few_shot,random_memory"

mkdir -p "$WORK" "$OUT"
cargo build --release --quiet
rslm="$PWD/target/release/rslm"
if [ -z "${RSLM_PYTHON:-}" ]; then
  RSLM_PYTHON="$(python3 -c 'import sys; print(sys.executable)')"
  export RSLM_PYTHON
fi
unset RSLM_FAST_VERIFY RSLM_DB

now_ns() { date +%s%N; }
load() { uptime | sed 's/.*load average: //'; }

# ---- the estimate -----------------------------------------------------------------------------
# Rates from every steps.tsv under $OUT: seconds per candidate (iterations), per sample (evals
# and the gate), per consolidation and per training; applied to the full experiment's defaults.
estimate() {
  python3 - "$OUT" "$TRAIN_SECONDS" <<'PY'
import glob, os, sys
out, assumed_train = sys.argv[1], float(sys.argv[2])
rates = {"iterate": [0.0, 0], "sample": [0.0, 0], "consolidate": [0.0, 0], "train": [0.0, 0]}
for path in glob.glob(os.path.join(out, "*", "steps.tsv")):
    for line in open(path).read().splitlines()[1:]:
        step, seconds, units, kind = line.split("\t")[:4]
        seconds, units = float(seconds), int(units)
        if kind in ("iterate", "sample") and units > 0:
            rates[kind][0] += seconds; rates[kind][1] += units
        elif kind in ("consolidate", "train"):
            rates[kind][0] += seconds; rates[kind][1] += 1
def rate(kind, default):
    s, n = rates[kind]
    return (s / n, "measured") if n else (default, "assumed")
it, it_src = rate("iterate", 0.7)      # docs/learning.md: ~260 s per 360 candidates
sa, sa_src = rate("sample", 1.4)       # docs/learning.md: ~220 s per 160 samples
co, co_src = rate("consolidate", 60.0)
tr, tr_src = rate("train", assumed_train)
# The full experiment's defaults (see the settings at the top of the script).
dists, splits, reps = 2, 2, 3
heldout, dev, train_tasks, iterations, k, seeds, n, check, he = 50, 20, 90, 2, 4, 3, 1, 40, 164
runs = dists * splits * reps
learning_runs = 1 * splits * reps                  # fitted only
candidates = runs * iterations * train_tasks * k
samples = runs * (dev * 2 + heldout * 4 * seeds * n) + learning_runs * (
    heldout * 2 * seeds * n + 2 * (heldout + check) + he * 2)
total = candidates * it + samples * sa + runs * co + learning_runs * tr
print(f"estimate of the full run: {total / 3600:.1f} h "
      f"({runs} runs, {learning_runs} with training; {candidates} candidates at {it:.2f} s ({it_src}), "
      f"{samples} eval samples at {sa:.2f} s ({sa_src}), {runs} consolidations at {co:.0f} s ({co_src}), "
      f"{learning_runs} trainings at {tr:.0f} s ({tr_src}))")
PY
}
if [ "$estimate_only" = 1 ]; then estimate; exit 0; fi

# ---- the model server -------------------------------------------------------------------------
backend_flags=()
managed_server=0
if [ "$mock" = 1 ]; then
  export RSLM_BACKEND=mock
  LEARNING=0
  HUMANEVAL="${HUMANEVAL_MOCK:-0}"
elif [ -n "${RSLM_BASE_URL:-}" ]; then
  # An external server (another checkout's): used as it is, never restarted.
  if [ "$LEARNING" = 1 ]; then
    echo "run_evidence: LEARNING=1 restarts the model server with each adapter; with an external server (RSLM_BASE_URL) use LEARNING=0" >&2
    exit 2
  fi
  export RSLM_BACKEND=openai RSLM_BASE_URL RSLM_MODEL
  backend_flags=(--max-tokens "$MAX_TOKENS" --concurrency "$CONCURRENCY" --request-timeout 300)
else
  managed_server=1
  export RSLM_BACKEND=openai
  backend_flags=(--max-tokens "$MAX_TOKENS" --concurrency "$CONCURRENCY" --request-timeout 300)
fi
current_lora="unset"
server() {  # server [ADAPTER.gguf]: (re)starts the managed server with exactly that adapter
  [ "$managed_server" = 1 ] || return 0
  local want="${1:-}"
  if [ "$current_lora" = "$want" ] && scripts/model_server.sh status >/dev/null 2>&1; then return 0; fi
  if [ -n "$want" ]; then
    scripts/model_server.sh restart --threads "$SERVER_THREADS" --lora "$want" >/dev/null
  else
    scripts/model_server.sh restart --threads "$SERVER_THREADS" >/dev/null
  fi
  current_lora="$want"
  eval "$(scripts/model_server.sh env)"
  export RSLM_BASE_URL RSLM_MODEL
}
if [ "$managed_server" = 1 ]; then
  trap 'scripts/model_server.sh stop >/dev/null 2>&1 || true' EXIT
fi

# ---- steps ------------------------------------------------------------------------------------
# step RUN NAME KIND UNITS COMMAND...: skipped when finished before; otherwise timed, recorded in
# $OUT/RUN/steps.tsv (seconds, units of work, kind, load) and marked finished.
step() {
  local run="$1" name="$2" kind="$3" units="$4" t0 ms
  shift 4
  local marker="$WORK/$run/.done/$name"
  if [ -e "$marker" ]; then
    echo "   ($run $name: done before, skipped)"
    return 0
  fi
  mkdir -p "$WORK/$run/.done" "$OUT/$run"
  [ -s "$OUT/$run/steps.tsv" ] || printf 'step\tseconds\tunits\tkind\tload (1, 5, 15 min)\n' >"$OUT/$run/steps.tsv"
  echo "== $run: $name"
  t0=$(now_ns)
  "$@"
  ms=$((($(now_ns) - t0) / 1000000))
  printf '%s\t%d.%03d\t%s\t%s\t%s\n' "$name" $((ms / 1000)) $((ms % 1000)) "$units" "$kind" "$(load)" >>"$OUT/$run/steps.tsv"
  printf '   (%s %s: %d.%01d s, load %s)\n' "$run" "$name" $((ms / 1000)) $(((ms % 1000) / 100)) "$(load)"
  touch "$marker"
}

# The task sets: every family regenerated; the fitted set keeps the 7 families.
tasks_for() { echo "$WORK/tasks-$1.jsonl"; }
make_tasks() {
  local dist="$1" file
  file="$(tasks_for "$dist")"
  if [ "$dist" = fitted ]; then
    "$rslm" seed-tasks --regen --count "$REGEN_FITTED" --out "$WORK/generated-fitted.jsonl" >/dev/null
    pattern="\"family\":\"($(echo "$FITTED_FAMILIES" | tr ' ' '|'))\""
    grep -E "$pattern" "$WORK/generated-fitted.jsonl" >"$file.part"
    mv "$file.part" "$file"
  else
    "$rslm" seed-tasks --regen --count "$REGEN_FULL" --out "$file" >/dev/null
  fi
  "$rslm" seed-tasks --out "$file"
}
for dist in $DISTS; do
  step "tasks" "$dist" setup 0 make_tasks "$dist"
done
humaneval_tasks="$WORK/humaneval.jsonl"
fetch_humaneval() {
  "$rslm" import-tasks --format humaneval "$(scripts/fetch_humaneval.sh)" --out "$humaneval_tasks"
}
if [ "$HUMANEVAL" = 1 ]; then
  step "tasks" humaneval setup 0 fetch_humaneval
fi

# A comma list's length.
count_list() { echo "$1" | tr ',' '\n' | grep -c .; }
nseeds="$(count_list "$EVAL_SEEDS")"

# manifest RUN: the settings, the code and the model behind the run's results.
manifest() {
  local run="$1" dist="$2" split="$3" rep="$4" learning="$5"
  python3 - "$OUT/$run" "$run" "$dist" "$split" "$rep" "$learning" <<'PY'
import json, os, subprocess, sys, datetime
folder, run, dist, split, rep, learning = sys.argv[1:]
def git(*args):
    try:
        return subprocess.run(["git", *args], capture_output=True, text=True, check=True).stdout.strip()
    except Exception:
        return None
env = {k: os.environ.get(k) for k in [
    "REPLICATES", "HELDOUT", "DEV", "TRAIN_TASKS", "ITERATIONS", "K", "TEMPERATURE",
    "EVAL_TEMPERATURE", "EVAL_SEEDS", "EVAL_N", "MAX_TOKENS", "HE_MAX_TOKENS", "HE_LIMIT", "EPOCHS",
    "MAX_PER_FAMILY", "CHECK_LIMIT", "REGEN_FITTED", "REGEN_FULL", "FITTED_FAMILIES",
    "CONCURRENCY", "SERVER_THREADS", "TRAIN_THREADS"]}
steps = []
path = os.path.join(folder, "steps.tsv")
if os.path.exists(path):
    lines = open(path).read().splitlines()
    head = lines[0].split("\t")
    steps = [dict(zip(head, l.split("\t"))) for l in lines[1:]]
manifest = {
    "run": run, "distribution": dist, "split": split, "replicate": int(rep),
    "split_seed": int(rep), "learning": learning == "1",
    "simulation": os.environ.get("RSLM_BACKEND") == "mock",
    "backend": os.environ.get("RSLM_BACKEND"), "model": os.environ.get("RSLM_MODEL"),
    "git_commit": git("rev-parse", "HEAD"), "git_dirty": bool(git("status", "--porcelain")),
    "rslm_version": subprocess.run([os.environ["RSLM_BIN"], "--version"], capture_output=True, text=True).stdout.strip(),
    "written_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    "settings": env, "steps": steps,
    "results": sorted(f for f in os.listdir(folder) if f.endswith(".json") and f != "manifest.json"),
    "script": "scripts/run_evidence.sh",
}
if manifest["simulation"]:
    manifest["note"] = "SIMULATION: the mock backend is a simulated weak model; these results measure no model."
with open(os.path.join(folder, "manifest.json.part"), "w") as f:
    json.dump(manifest, f, indent=2)
    f.write("\n")
os.replace(os.path.join(folder, "manifest.json.part"), os.path.join(folder, "manifest.json"))
PY
}
export RSLM_BIN="$rslm" REPLICATES HELDOUT DEV TRAIN_TASKS ITERATIONS K TEMPERATURE EVAL_TEMPERATURE \
  EVAL_SEEDS EVAL_N MAX_TOKENS HE_MAX_TOKENS HE_LIMIT EPOCHS MAX_PER_FAMILY CHECK_LIMIT REGEN_FITTED REGEN_FULL \
  FITTED_FAMILIES CONCURRENCY SERVER_THREADS TRAIN_THREADS

# eval_with_adapter NAME COMMAND...: runs an eval with adapter NAME active (activated for it and
# rolled back after when the gate did not promote it).
eval_with_adapter() {
  local name="$1" active
  shift
  active="$("$rslm" list-adapters --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["active"] or "")')"
  if [ "$active" != "$name" ]; then
    "$rslm" set-active-adapter --name "$name" --reason "run_evidence: eval of the learning conditions (not promoted)"
  fi
  "$@"
  if [ "$active" != "$name" ]; then
    "$rslm" rollback-adapter --reason "run_evidence: eval done; $name was not promoted"
  fi
}

# same_settings RUN SETTINGS: a run resumes only with the settings it started with; otherwise
# its finished steps would be mixed with steps of another experiment.
same_settings() {
  local file="$WORK/$1/.done/settings"
  mkdir -p "$WORK/$1/.done"
  if [ -e "$file" ] && [ "$(cat "$file")" != "$2" ]; then
    echo "run_evidence: $1 was started with other settings ($(cat "$file")); remove $WORK/$1 and $OUT/$1 to start it again" >&2
    exit 2
  fi
  printf '%s' "$2" >"$file"
}

# train_adapter RUN REPLICATE DIR: a LoRA adapter from the base model on the run's verified
# episodes (a half-written folder of an interrupted attempt is replaced).
train_adapter() {
  rm -rf "$3"
  "$rslm" train-lora "${common[@]}" --out "$3" --epochs "$EPOCHS" --threads "$TRAIN_THREADS" \
    --max-per-family "$MAX_PER_FAMILY" --seed "$2" --json >"$OUT/$1/train-lora.json"
}

# ---- the runs ---------------------------------------------------------------------------------
started_ns=$(now_ns)
for dist in $DISTS; do
  tasks="$(tasks_for "$dist")"
  learning=0
  if [ "$LEARNING" = 1 ] && [[ " $LEARN_DISTS " == *" $dist "* ]]; then learning=1; fi
  for split in $SPLITS; do
    for rep in $REPLICATES; do
      run="$dist-$split-r$rep"
      db="$WORK/$run/evidence.sqlite"
      adapter="evidence-$run"
      adapter_dir="$WORK/$run/adapters/$adapter"
      export RSLM_DB="$db"
      mkdir -p "$WORK/$run" "$OUT/$run"
      common=(--tasks "$tasks" --split "$split" --split-seed "$rep" --heldout-size "$HELDOUT" --dev-size "$DEV")
      # No adapter loaded while data is made: llama.cpp applies a loaded adapter to requests that
      # name none.
      server ""
      same_settings "$run" "$tasks $split $rep $learning $HELDOUT $DEV $TRAIN_TASKS $ITERATIONS $K $TEMPERATURE $EVAL_TEMPERATURE $EVAL_SEEDS $EVAL_N $MAX_TOKENS $HE_MAX_TOKENS $HE_LIMIT $EPOCHS $MAX_PER_FAMILY $CHECK_LIMIT $REGEN_FITTED $REGEN_FULL $FITTED_FAMILIES"
      step "$run" init setup 0 "$rslm" init-db
      for i in $(seq 1 "$ITERATIONS"); do
        step "$run" "iterate-$i" iterate $((TRAIN_TASKS * K)) "$rslm" run-iteration "${common[@]}" \
          "${backend_flags[@]}" --fast --k "$K" --temperature "$TEMPERATURE" --mode trainpool \
          --no-memory --task-limit "$TRAIN_TASKS" --task-order split --seed $((rep * 100 + i)) --resume
      done
      step "$run" consolidate consolidate 0 "$rslm" consolidate "${common[@]}" "${backend_flags[@]}" \
        --fast --min-evidence 2
      step "$run" dev sample $((DEV * 2)) "$rslm" eval "${common[@]}" "${backend_flags[@]}" --fast \
        --eval-split dev --conditions baseline,memory --k 1 --n 1 --temperature "$EVAL_TEMPERATURE" \
        --seed 1 --output "$OUT/$run/dev.json"
      conditions="baseline,memory,$CONTROLS"
      if [ "$learning" = 1 ]; then
        conditions="$conditions,learning,memory_learning"
        step "$run" train train 0 train_adapter "$run" "$rep" "$adapter_dir"
        server "$adapter_dir/adapter.gguf"
        step "$run" promote sample $((2 * (HELDOUT + CHECK_LIMIT))) "$rslm" promote-adapter "${common[@]}" \
          "${backend_flags[@]}" --fast --temperature 0 --name "$adapter" --check-limit "$CHECK_LIMIT" \
          --output "$OUT/$run/promotion.json"
        step "$run" eval sample $((HELDOUT * 6 * nseeds * EVAL_N)) eval_with_adapter "$adapter" \
          "$rslm" eval "${common[@]}" "${backend_flags[@]}" --fast --conditions "$conditions" --k 1 \
          --n "$EVAL_N" --temperature "$EVAL_TEMPERATURE" --seeds "$EVAL_SEEDS" --output "$OUT/$run/eval.json"
        if [ "$HUMANEVAL" = 1 ]; then
          step "$run" humaneval sample $((HE_LIMIT * 2)) eval_with_adapter "$adapter" \
            "$rslm" eval --tasks "$humaneval_tasks" --heldout-size 164 --task-limit "$HE_LIMIT" --max-tokens "$HE_MAX_TOKENS" \
            --concurrency "$CONCURRENCY" --request-timeout 300 --fast --conditions baseline,learning \
            --primary learning --k 1 --n 1 --temperature 0 --seed 0 --output "$OUT/$run/humaneval.json"
        fi
      else
        step "$run" eval sample $((HELDOUT * 4 * nseeds * EVAL_N)) "$rslm" eval "${common[@]}" \
          "${backend_flags[@]}" --fast --conditions "$conditions" --k 1 --n "$EVAL_N" \
          --temperature "$EVAL_TEMPERATURE" --seeds "$EVAL_SEEDS" --output "$OUT/$run/eval.json"
      fi
      manifest "$run" "$dist" "$split" "$rep" "$learning"
    done
  done
done

# Without learning: the base model on HumanEval once (the external check's reference).
if [ "$HUMANEVAL" = 1 ] && [ "$LEARNING" = 0 ]; then
  run="humaneval-base"
  export RSLM_DB="$WORK/$run/evidence.sqlite"
  mkdir -p "$WORK/$run"
  server ""
  step "$run" init setup 0 "$rslm" init-db
  step "$run" humaneval sample "$HE_LIMIT" "$rslm" eval --tasks "$humaneval_tasks" --heldout-size 164 \
    --task-limit "$HE_LIMIT" --max-tokens "$HE_MAX_TOKENS" --concurrency "$CONCURRENCY" --request-timeout 300 --fast \
    --conditions baseline --k 1 --n 1 --temperature 0 --seed 0 --output "$OUT/$run/humaneval.json"
  manifest "$run" humaneval hash 0 0
fi

elapsed_ms=$((($(now_ns) - started_ns) / 1000000))
printf '\nevidence runs finished in %d.%03d s after the build; results under %s\n' \
  $((elapsed_ms / 1000)) $((elapsed_ms % 1000)) "$OUT"
if [ "$mock" = 1 ]; then
  echo "SIMULATION: the mock backend; these results measure no model (no estimate from its rates)"
else
  estimate
fi
