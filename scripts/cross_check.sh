#!/usr/bin/env bash
# rslm must build on Windows and macOS too (README, "Platforms"). This machine runs neither, but it
# can compile for them: clippy with -D warnings for x86_64-pc-windows-gnu and aarch64-apple-darwin.
# Installs what each needs by itself (the Rust target with rustup; for Windows the MinGW C
# compiler from apt, for macOS zig's C compiler from PyPI, both for the bundled SQLite and the
# TLS library's C code). When a target cannot be set up it prints a SKIPPED line saying why and
# goes on; a target that was set up and fails clippy fails the script.
#
# The C code of the dependencies is most of the cost (minutes on 2 cores), so the zig venv and the
# cross targets' build folder live outside the clone, in $RSLM_CROSS_CACHE (default
# ~/.cache/rslm-cross), and a later run (CI's fresh clone included) only re-checks rslm itself.
#
#   scripts/cross_check.sh [windows] [macos]     # default: windows, and macos with RSLM_CROSS_MACOS=1
#
# macOS is opt-in: zig builds the TLS library's C code for it without errors as far as it was
# watched, but took over 20 minutes on this loaded 2-core machine without finishing, so it is not
# yet a step CI can afford or trust; when the C dependencies fail to build it says SKIPPED.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

ZIGLANG_VERSION="0.17.1"
cache="${RSLM_CROSS_CACHE:-${HOME:-/tmp}/.cache/rslm-cross}"
mkdir -p "$cache"
export CARGO_TARGET_DIR="$cache/target"

skip() { echo "SKIPPED cross-target check for $1: $2" >&2; }

have_target() {
  command -v rustup >/dev/null 2>&1 || return 1
  rustup target list --installed 2>/dev/null | grep -qx "$1" && return 0
  rustup target add "$1" >/dev/null 2>&1
}

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo -n "$@"; else return 1; fi
}

windows() {
  local target=x86_64-pc-windows-gnu
  have_target "$target" || { skip windows "rustup cannot add the $target target"; return 0; }
  if ! command -v x86_64-w64-mingw32-gcc >/dev/null 2>&1; then
    echo "cross-check: installing gcc-mingw-w64-x86-64 (apt-get)" >&2
    { as_root apt-get install -y -qq gcc-mingw-w64-x86-64 >/dev/null 2>&1 ||
      { as_root apt-get update -qq >/dev/null 2>&1 && as_root apt-get install -y -qq gcc-mingw-w64-x86-64 >/dev/null 2>&1; }; } ||
      { skip windows "no MinGW C compiler (apt-get install gcc-mingw-w64-x86-64 needs root or sudo)"; return 0; }
  fi
  cargo clippy --quiet --all-targets --target "$target" -- -D warnings
  echo "cross-check: clippy clean for $target" >&2
}

macos() {
  local target=aarch64-apple-darwin venv="$cache/zig-venv" wrappers="$cache/zig-cc"
  have_target "$target" || { skip macos "rustup cannot add the $target target"; return 0; }
  if ! "$venv/bin/python" -m ziglang version >/dev/null 2>&1; then
    echo "cross-check: installing ziglang==$ZIGLANG_VERSION into $venv (a C compiler with macOS headers)" >&2
    { python3 -m venv "$venv" >/dev/null 2>&1 &&
      "$venv/bin/pip" install -q --disable-pip-version-check "ziglang==$ZIGLANG_VERSION" >/dev/null 2>&1; } ||
      { skip macos "zig's C compiler could not be installed from PyPI (no network, or no python3-venv)"; return 0; }
  fi
  mkdir -p "$wrappers"
  local python
  python="$(cd "$venv/bin" && pwd)/python"
  # zig's clang targets macOS by itself; cc-rs adds Apple clang's own target flags, dropped here.
  cat >"$wrappers/cc" <<EOF
#!/bin/sh
skip=0
for a in "\$@"; do
  shift
  if [ "\$skip" = 1 ]; then skip=0; continue; fi
  case "\$a" in
    -arch) skip=1 ;;
    -mmacosx-version-min=*|--target=*) ;;
    *) set -- "\$@" "\$a" ;;
  esac
done
exec "$python" -m ziglang cc -target aarch64-macos "\$@"
EOF
  printf '#!/bin/sh\nexec "%s" -m ziglang ar "$@"\n' "$python" >"$wrappers/ar"
  chmod +x "$wrappers/cc" "$wrappers/ar"
  local out
  if ! out="$(CC_aarch64_apple_darwin="$wrappers/cc" AR_aarch64_apple_darwin="$wrappers/ar" \
    cargo clippy --quiet --all-targets --target "$target" -- -D warnings 2>&1)"; then
    if grep -q "failed to run custom build command" <<<"$out"; then
      skip macos "a C dependency did not build with zig: $(grep -m1 "failed to run custom build command" <<<"$out")"
      return 0
    fi
    printf '%s\n' "$out" >&2
    return 1
  fi
  echo "cross-check: clippy clean for $target" >&2
}

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(windows)
  if [ "${RSLM_CROSS_MACOS:-}" = 1 ]; then
    targets+=(macos)
  else
    skip macos "not run by default (set RSLM_CROSS_MACOS=1): building its C dependencies with zig takes over 20 minutes here"
  fi
fi
for t in "${targets[@]}"; do
  case "$t" in
    windows) windows ;;
    macos) macos ;;
    *) echo "cross_check: unknown target $t (windows, macos)" >&2; exit 2 ;;
  esac
done
