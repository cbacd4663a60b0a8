#!/usr/bin/env bash
# The whole test suite, as CI runs it: lint, then every test through the real binary.
# Installs what the tests need (pytest in the project-local .rslm/venv) by itself.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
RSLM_PYTHON="$(scripts/python_env.sh)"
export RSLM_PYTHON
cargo fmt --check
cargo clippy --all-targets --quiet -- -D warnings
# Windows (and macOS with RSLM_CROSS_MACOS=1): clippy for their targets; SKIPPED lines say why not.
scripts/cross_check.sh

# tests/cli/real_model.rs runs the loop against the real model (scripts/model_server.sh: llama.cpp
# with SmolLM2) when RSLM_REAL_BASE_URL and RSLM_REAL_MODEL are set. Start the server for it when
# possible, stop it at the end if this script started it; when it cannot be set up (no network
# for the first install, ...) the test says SKIPPED and the suite goes on. RSLM_SKIP_REAL=1 skips.
if [ -n "${RSLM_REAL_BASE_URL:-}" ]; then
  echo "real-model test: using RSLM_REAL_BASE_URL=$RSLM_REAL_BASE_URL" >&2
elif [ "${RSLM_SKIP_REAL:-}" = 1 ]; then
  echo "SKIPPED real-model test: RSLM_SKIP_REAL=1" >&2
elif scripts/model_server.sh status >/dev/null 2>&1; then
  echo "real-model test: using the model server that is already running" >&2
  eval "$(scripts/model_server.sh env)"
  export RSLM_REAL_BASE_URL="$RSLM_BASE_URL" RSLM_REAL_MODEL="$RSLM_MODEL"
  unset RSLM_BASE_URL RSLM_MODEL
elif scripts/model_server.sh start --threads 1 >/dev/null; then
  trap 'scripts/model_server.sh stop || true' EXIT
  eval "$(scripts/model_server.sh env)"
  export RSLM_REAL_BASE_URL="$RSLM_BASE_URL" RSLM_REAL_MODEL="$RSLM_MODEL"
  unset RSLM_BASE_URL RSLM_MODEL
else
  echo "SKIPPED real-model test: scripts/model_server.sh start failed (see the message above)" >&2
fi

# tests/cli/real_learning.rs trains a tiny adapter for real (transformers on the CPU), converts it
# and serves it through llama.cpp. It needs the training environment (scripts/train_env.sh: about
# 2.9 GB downloaded the first time, 1-2 minutes) and llama.cpp's (scripts/model_server.sh
# install); when the package registry cannot be reached the test says SKIPPED and the suite goes
# on. RSLM_SKIP_REAL=1 skips it too.
if [ "${RSLM_SKIP_REAL:-}" = 1 ]; then
  echo "SKIPPED real training test: RSLM_SKIP_REAL=1" >&2
elif train_started=$(date +%s) && scripts/train_env.sh >/dev/null && scripts/model_server.sh install >/dev/null; then
  echo "real training test: environments ready in $(( $(date +%s) - train_started )) s" >&2
  export RSLM_REAL_TRAINING=1
else
  echo "SKIPPED real training test: scripts/train_env.sh or scripts/model_server.sh install failed (is the package registry reachable? see above)" >&2
fi
cargo test
