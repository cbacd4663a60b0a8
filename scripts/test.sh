#!/usr/bin/env bash
# The whole test suite, as CI runs it: lint, then every test through the real binary.
# Installs what the tests need (pytest in the project-local .rslm/venv) by itself.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
RSLM_PYTHON="$(scripts/python_env.sh)"
export RSLM_PYTHON
cargo fmt --check
cargo clippy --all-targets --quiet -- -D warnings
cargo test
