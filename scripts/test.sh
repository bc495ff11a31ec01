#!/usr/bin/env bash
# Installs the dependencies, builds labctl and runs every test once with CTest: under
# AddressSanitizer + UndefinedBehaviorSanitizer, but for the release-only ones, which run in an
# optimized build (warnings as errors in both; see the end of this file).
#
# A green run means every test ran and passed. As root (CI runs as root) nothing may skip: a
# test that reports skipped (exit 77, GTEST_SKIP: a missing tool such as ajv, chromium, the aws
# CLI or sshd), was not run (executable missing) or is disabled fails the suite. Without root,
# tests that need it report skipped and the run still passes, except in CI (CI=true), where
# not being root is itself a failure. Each suite ends with "N passed, N failed, N skipped",
# counted from CTest's JUnit report.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

is_root=false
[[ "$(id -u)" == 0 ]] && is_root=true
if [[ "${CI:-}" == true && "$is_root" != true ]]; then
  echo "test.sh: CI=true but not running as root: root-only tests would skip (run CI as root)" >&2
  exit 1
fi

"$root/scripts/install-deps.sh" --tests

# Tests talk only to loopback and to namespaces they create: never to an instance-metadata
# service, whatever a test forgets to set.
export AWS_EC2_METADATA_DISABLED=true
export AZURE_IMDS_ENDPOINT=http://127.0.0.1:1  # a closed loopback port: Azure IMDS never asked

# Prints the tests that failed or skipped, then "== <suite> ==" and, last, the closing line
# "N passed, N failed, N skipped" counted from a CTest JUnit file. Exits non-zero when the suite
# is not green: a failure, no test at all, or (as root) any test skipped, not run or disabled.
summarize_junit() {
  python3 - "$1" "$2" "$is_root" <<'PY'
import sys
import xml.etree.ElementTree as ET

junit, suite, is_root = sys.argv[1], sys.argv[2], sys.argv[3] == "true"
try:
    cases = ET.parse(junit).getroot().iter("testcase")
except (OSError, ET.ParseError) as error:
    print(f"{suite}: no readable CTest JUnit report at {junit}: {error}")
    sys.exit(1)
passed, failed, skipped = [], [], []
for case in cases:
    status = case.get("status", "")
    name = case.get("name", "?")
    if status == "run" and case.find("skipped") is None:
        passed.append(name)
    elif status in ("notrun", "disabled") or case.find("skipped") is not None:
        reason = case.find("skipped")
        skipped.append(f"{name} ({status}: {reason.get('message', '') if reason is not None else ''})")
    else:
        failed.append(f"{name} ({status})")
verdict = 0
if not passed and not failed and not skipped:
    print(f"{suite}: no test ran")
    verdict = 1
if failed:
    verdict = 1
if skipped and is_root:
    print(f"{suite}: running as root, nothing may skip (install what the skipped tests name)")
    verdict = 1
for name in failed:
    print(f"{suite}: FAILED {name}")
for name in skipped:
    print(f"{suite}: SKIPPED {name}")
print(f"== {suite} ==")
print(f"{len(passed)} passed, {len(failed)} failed, {len(skipped)} skipped")
sys.exit(verdict)
PY
}

# build_in_background LOG BUILD_DIR [BUILD_ARGS...]: builds with scripts/build.sh at the lowest
# CPU priority, output in LOG; sets background_pid. CI has two cores and a suite's tests leave
# about a third of them idle (they wait on sshd, fakes and timeouts), so the next build runs
# there; at nice 19 it takes only what the tests leave, and their timing stays as it was.
background_pid=""
build_in_background() {
  local log="$1"; shift
  nice -n 19 "$root/scripts/build.sh" "$@" >"$log" 2>&1 &
  background_pid=$!
}

# wait_for_build PID LOG WHAT: waits for a background build; on failure prints its log and
# stops the run.
wait_for_build() {
  local pid="$1" log="$2" what="$3"
  if ! wait "$pid"; then
    cat "$log" >&2
    echo "test.sh: the $what build failed (log above)" >&2
    exit 1
  fi
}

# run_tests BUILD_DIR SELECT LABELS: runs the tests of a built tree whose labels match LABELS
# (SELECT --label-regex) or all but those (SELECT --label-exclude); LABELS is a CTest regex.
run_tests() {
  local build="$1" select="$2" labels="$3"
  "$root/tests/integration/evidence/setup-tools.sh" "$build" >/dev/null
  "$root/tests/fakes/oci/setup-npm.sh" "$build" >/dev/null
  local junit="$build/ctest-junit.xml"
  rm -f "$junit"
  local status=0
  (cd "$build" && ctest --output-on-failure --timeout 900 -j 2 --output-junit "$junit" \
    "$select" "$labels") || status=$?
  summarize_junit "$junit" "$(basename "$build")" || status=1
  return "$status"
}

# Every parser and decoder under libFuzzer (fuzz/), built with clang-19 under ASan+UBSan: the
# saved crash inputs first (each must now pass), then LABCTL_FUZZ_SECONDS of fuzzing per target.
# Any crash, leak, timeout or OOM fails the run. Built without LABCTL_FAST_BUILD: unity batches
# and precompiled headers hide an #include a file forgets, so one configuration goes without.
fuzz_build="$root/build-fuzz"
configure_fuzz() {
  CC=clang-19 CXX=clang++-19 cmake -S "$root" -B "$fuzz_build" -G Ninja -DCMAKE_BUILD_TYPE=Debug \
    -DLABCTL_SANITIZE=address,undefined -DLABCTL_FUZZ=ON -DLABCTL_TESTS=OFF -DLABCTL_WERROR=ON \
    -DLABCTL_FAST_BUILD=OFF >/dev/null
}
run_fuzz() {
  "$root/scripts/fuzz.sh" --regressions "$fuzz_build"
  "$root/scripts/fuzz.sh" "$fuzz_build" "${LABCTL_FUZZ_SECONDS:-20}"
}

# Every test runs once. The sanitizer tree (Debug, ASan+UBSan) builds and runs them all but the
# release-only ones; the optimized tree (RelWithDebInfo, -Werror) builds labctl and the
# release-only executables (tests/CMakeLists.txt) and runs those, and the fakes' own tests:
# - labels ec2fake and ocifake: the Python fakes held to botocore, aws, Oracle's SDK; no labctl
#   code runs in them;
# - label release-only: the scale, chaos and kill-point tests (20,000-row plans, randomised
#   endpoint faults over a whole loop, SIGKILL at each point of a run) and the ARM fake held to
#   az. The code they drive is the code the other tests drive under the sanitizers; what they
#   add is size and timing, and a killed process reports nothing to a sanitizer.
# Called plainly, not in an `||` list: set -e then stops at the first failing step (inside an
# `||` list bash ignores set -e, and a failed build would go on to test stale binaries).
# Each build after the first runs in the background during the previous suite's tests.
once_labels='release-only|ec2fake|ocifake'
"$root/scripts/build.sh" "$root/build" --target labctl --target labctl_release_only
asan_log="$(mktemp)"; fuzz_log="$(mktemp)"
build_in_background "$asan_log" "$root/build-asan" \
  -DLABCTL_SANITIZE=address,undefined -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG=-g1 \
  -DLABCTL_RELEASE_ONLY_TESTS=OFF
asan_pid=$background_pid
release_status=0
run_tests "$root/build" --label-regex "$once_labels" || release_status=$?
wait_for_build "$asan_pid" "$asan_log" sanitizer
[[ $release_status == 0 ]] || exit "$release_status"
configure_fuzz
(nice -n 19 cmake --build "$fuzz_build" -j "$(nproc)" --target labctl_fuzz >"$fuzz_log" 2>&1) &
fuzz_pid=$!
asan_status=0
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  run_tests "$root/build-asan" --label-exclude "$once_labels" || asan_status=$?
wait_for_build "$fuzz_pid" "$fuzz_log" fuzz
[[ $asan_status == 0 ]] || exit "$asan_status"
run_fuzz
