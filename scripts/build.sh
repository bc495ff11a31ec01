#!/usr/bin/env bash
# Configures and builds labctl into $1 (default build/). Extra arguments go to cmake.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build}"
shift || true
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLABCTL_WERROR=ON "$@" >/dev/null
cmake --build "$build" -j "$(nproc)" >&2  # stdout stays for results
