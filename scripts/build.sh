#!/usr/bin/env bash
# Configures and builds labctl into BUILD_DIR (default build/).
# Usage: build.sh [BUILD_DIR] [--target TARGET]... [CMAKE_ARGS...]
# With --target, only those targets and what they need are built (README's first command builds
# just `labctl`); without, everything, tests included (scripts/test.sh). Other arguments go to
# cmake's configure step.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build}"
shift || true
targets=()
cmake_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --target)
      [ $# -ge 2 ] || { echo "build.sh: --target needs a target name (e.g. labctl)" >&2; exit 2; }
      targets+=(--target "$2"); shift 2 ;;
    *) cmake_args+=("$1"); shift ;;
  esac
done
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLABCTL_WERROR=ON \
  ${cmake_args[@]+"${cmake_args[@]}"} >/dev/null
cmake --build "$build" -j "$(nproc)" ${targets[@]+"${targets[@]}"} >&2  # stdout stays for results
