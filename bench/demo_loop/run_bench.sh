#!/usr/bin/env bash
# bench/demo_loop (root): times scripts/demo.sh's loop after the build (DEMO_SKIP_BUILD=1: up,
# smoke, failover --measure, smoke, down, evidence collect) REPEAT times (default 1), each with
# a fresh state directory; prints each run, the median and its ratio to the 30 s target. A
# ratio is printed only when every run's demo passed (exit 0); otherwise the line says why not.
# Usage: [REPEAT=1] run_bench.sh LABCTL_BINARY
set -euo pipefail
labctl="${1:?usage: run_bench.sh LABCTL_BINARY}"
repeat="${REPEAT:-1}"
here="$(cd "$(dirname "$0")" && pwd)"
[ "$(id -u)" -eq 0 ] || { echo "demo_loop: needs root (the local lab)" >&2; exit 77; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
now() { date +%s.%N; }
median() { tr ' ' '\n' | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

times=() all_passed=1
for rep in $(seq "$repeat"); do
  rm -rf "$work/state" "$work/out"
  a=$(now)
  rc=0
  DEMO_SKIP_BUILD=1 LABCTL="$labctl" CE_STATE_DIR="$work/state" DEMO_OUT="$work/out" \
    bash "$here/../../scripts/demo.sh" >"$work/demo.out" 2>"$work/demo.err" || rc=$?
  b=$(now)
  s=$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", b - a }')
  echo "demo_loop: run $rep: ${s} s, exit $rc, $(grep '^result:' "$work/demo.out" || echo 'no result')"
  [ "$rc" = 0 ] || { all_passed=0; tail -5 "$work/demo.err" >&2; }
  times+=("$s")
done
median_s=$(echo "${times[*]}" | median)
if [ "$all_passed" = 1 ]; then
  verdict=$(awk -v a="$median_s" 'BEGIN { printf "ratio %.2fx of the target", a / 30 }')
else
  verdict="no ratio: a demo run did not pass"
fi
echo "demo_loop: median of $repeat: ${median_s} s, $verdict (target <= 30 s)"
