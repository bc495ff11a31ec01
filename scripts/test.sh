#!/usr/bin/env bash
# Installs the dependencies, builds labctl and runs every test with CTest: once in a normal
# build (warnings as errors) and once under AddressSanitizer + UndefinedBehaviorSanitizer.
# As root nothing may skip (CI runs as root); without root, tests that need it report skipped.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/install-deps.sh"

# Tests talk only to loopback and to namespaces they create: never to an instance-metadata
# service, whatever a test forgets to set.
export AWS_EC2_METADATA_DISABLED=true

run_suite() {
  local build="$1"; shift
  "$root/scripts/build.sh" "$build" "$@"
  "$root/tests/integration/evidence/setup-tools.sh" "$build" >/dev/null
  (cd "$build" && ctest --output-on-failure --timeout 900 -j 2)
}

run_suite "$root/build"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  run_suite "$root/build-asan" -DLABCTL_SANITIZE=address,undefined -DCMAKE_BUILD_TYPE=Debug
