#!/usr/bin/env bash
# Runs labctl's libFuzzer targets (fuzz/, built with -DLABCTL_FUZZ=ON, see fuzz/CMakeLists.txt).
#
#   scripts/fuzz.sh BUILD_DIR SECONDS_PER_TARGET [TARGET...]
#       Fuzzes each target (default: every BUILD_DIR/fuzz/fuzz_* binary) for SECONDS on a
#       temporary copy of fuzz/corpus/<name>/; the repository is never written.
#   scripts/fuzz.sh --regressions BUILD_DIR [TARGET...]
#       Replays every saved crash input fuzz/regressions/<name>/* through its target once.
#
# Prints one line per target (name, executions, result) and exits 1 if any target crashed,
# leaked, timed out (one input > 10 s), ran out of memory (> 2 GiB) or failed to start; for each
# failure it prints the input's path and its base64, to save under fuzz/regressions/<name>/.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

usage() {
  echo "usage: $0 BUILD_DIR SECONDS_PER_TARGET [TARGET...] | --regressions BUILD_DIR [TARGET...]" >&2
  exit 2
}

mode=fuzz
if [[ "${1:-}" == "--regressions" ]]; then
  mode=regressions
  shift
fi
[[ $# -ge 1 ]] || usage
build="$(cd "$1" && pwd)"
shift
seconds=0
if [[ $mode == fuzz ]]; then
  [[ $# -ge 1 && "$1" =~ ^[1-9][0-9]*$ ]] || usage
  seconds="$1"
  shift
fi

# The longest input worth trying per target: a little above the largest realistic document, so
# libFuzzer spends its time on structure, not on ever-longer byte strings. Size limits of the
# product (16 MiB documents) are checked by the unit tests, not here.
max_len_of() {
  case "$1" in
    duration|run_id|provider_list) echo 256 ;;
    sigv4|shared_config|matrix_runner|aws_error) echo 4096 ;;
    *) echo 16384 ;;
  esac
}

targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
  for binary in "$build"/fuzz/fuzz_*; do
    [[ -x "$binary" && -f "$binary" ]] && targets+=("${binary##*/fuzz_}")
  done
fi
if [[ ${#targets[@]} -eq 0 ]]; then
  echo "fuzz: no fuzz_* binaries in $build/fuzz (configure with -DLABCTL_FUZZ=ON and build labctl_fuzz)" >&2
  exit 2
fi

work="$(mktemp -d /tmp/labctl-fuzz.XXXXXX)"
# Crash inputs stay for the developer; everything else is removed.
keep="$work/crashes"
mkdir -p "$keep"
cleanup() { find "$work" -mindepth 1 -maxdepth 1 ! -name crashes -exec rm -rf {} +; rmdir "$keep" 2>/dev/null && rmdir "$work" 2>/dev/null || true; }
trap cleanup EXIT
# Targets that need files make their private dirs under TMPDIR; a crashing target cannot remove
# its own, so they live in $work and go with it.
export TMPDIR="$work"

# Leaks fail the run; a crash aborts (so libFuzzer writes the input); UBSan findings are fatal.
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:symbolize=1:allocator_may_return_null=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
# Symbolized stacks in the reports.
for symbolizer in llvm-symbolizer-19 llvm-symbolizer; do
  if command -v "$symbolizer" >/dev/null; then
    export ASAN_SYMBOLIZER_PATH="$(command -v "$symbolizer")"
    break
  fi
done
# Targets that reach AWS code must never reach AWS (they also set this themselves).
export AWS_EC2_METADATA_DISABLED=true
export AZURE_IMDS_ENDPOINT=http://127.0.0.1:1  # a closed loopback port: Azure IMDS never asked

failed=0
report_failure() {  # name log input...
  local name="$1" log="$2"
  shift 2
  failed=1
  echo "---- fuzz_$name: last lines of its log ($log)"
  grep -E 'ERROR: |SUMMARY: |fuzz property violated|runtime error|Test unit written' "$log" | head -20 || true
  tail -n 25 "$log"
  local input
  for input in "$@"; do
    [[ -f "$input" ]] || continue
    if [[ $mode == regressions ]]; then
      echo "regression input: $input"
    else
      cp "$input" "$keep/"
      echo "crash input: $keep/${input##*/} (save as fuzz/regressions/$name/${input##*/})"
    fi
    echo "base64: $(base64 -w0 "$input")"
  done
}

passed=0
printf '%-16s %12s  %s\n' target executions result
for name in "${targets[@]}"; do
  binary="$build/fuzz/fuzz_$name"
  log="$work/$name.log"
  if [[ ! -x "$binary" ]]; then
    printf '%-16s %12s  %s\n' "$name" - "missing ($binary)"
    failed=1
    continue
  fi

  if [[ $mode == regressions ]]; then
    inputs=("$root"/fuzz/regressions/"$name"/*)
    [[ -e "${inputs[0]}" ]] || { printf "%-16s %12s  %s\n" "$name" 0 "no regressions"; passed=$((passed + 1)); continue; }
    if "$binary" -timeout=10 -rss_limit_mb=2048 "${inputs[@]}" >"$log" 2>&1; then
      printf '%-16s %12s  %s\n' "$name" "${#inputs[@]}" ok
      passed=$((passed + 1))
    else
      printf '%-16s %12s  %s\n' "$name" "${#inputs[@]}" FAILED
      report_failure "$name" "$log" "${inputs[@]}"
    fi
    continue
  fi

  corpus="$work/corpus-$name"
  artifacts="$work/artifacts-$name/"
  mkdir -p "$corpus" "$artifacts"
  if [[ -d "$root/fuzz/corpus/$name" ]]; then cp -R "$root/fuzz/corpus/$name/." "$corpus/"; fi
  # -close_fd_mask=3: the product logs every flow and request to stderr, which would fill the log
  # at thousands of lines a second; libFuzzer and the sanitizers keep their own report channel.
  # A property's message (fuzz/fuzz_check.hpp) shows when the input is replayed (--regressions).
  status=0
  (cd "$work" && "$binary" "$corpus" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      -max_len="$(max_len_of "$name")" -print_final_stats=1 -close_fd_mask=3 \
      -artifact_prefix="$artifacts") >"$log" 2>&1 || status=$?
  runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)"
  crashes=("$artifacts"*)
  if [[ $status -eq 0 && ! -e "${crashes[0]}" ]]; then
    printf '%-16s %12s  %s\n' "$name" "${runs:-?}" ok
    passed=$((passed + 1))
  else
    kind="$(grep -oE 'ERROR: (libFuzzer: )?[A-Za-z]+[-A-Za-z ]*' "$log" | head -n1 || true)"
    printf '%-16s %12s  %s\n' "$name" "${runs:-?}" "FAILED (exit $status${kind:+, $kind})"
    report_failure "$name" "$log" "${crashes[@]}"
  fi
done
# The closing line CI reads: targets that passed and failed (a missing binary counts as failed).
echo "fuzz: $passed passed, $(( ${#targets[@]} - passed )) failed"
exit "$failed"
