#!/usr/bin/env bash
# bench/local_smoke (root): brings up the 4-site local lab, then times REPEAT (default 5)
# default 12-flow `labctl smoke` runs against `ping -c <count>` alone from one lab client to
# another, with the matrix's count and reply timeout (CE_MATRIX_PING_COUNT, default 3;
# CE_MATRIX_PING_TIMEOUT, default 2). One untimed warm-up of each side, then the two sides
# alternate; prints each smoke, the medians and their ratio (target <= 1.5x). The ratio is
# printed only when every timed smoke passed all its flows; otherwise the line says why not.
# The lab is torn down on any exit.
# Usage: [REPEAT=5] run_bench.sh LABCTL_BINARY
set -euo pipefail
labctl="${1:?usage: run_bench.sh LABCTL_BINARY}"
repeat="${REPEAT:-5}"
count="${CE_MATRIX_PING_COUNT:-3}"
wait_s="${CE_MATRIX_PING_TIMEOUT:-2}"
[ "$(id -u)" -eq 0 ] || { echo "local_smoke: needs root (the local lab)" >&2; exit 77; }

work="$(mktemp -d)"
export CE_DRY_RUN=0 CE_STATE_DIR="$work/state"
run_id=""
cleanup() {
  if [ -n "$run_id" ]; then "$labctl" down --run-id "$run_id" >/dev/null 2>>"$work/labctl.log" || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
median() { tr ' ' '\n' | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

run_id="$("$labctl" up --profile local --ttl 30m 2>>"$work/labctl.log")"
# One smoke -> "SECONDS PASSED TOTAL"
smoke() {
  local a b; a=$(now)
  "$labctl" smoke --run-id "$run_id" --out "$work/matrix.json" >/dev/null 2>>"$work/labctl.log" || true
  b=$(now)
  python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["summary"]; print(s["passed"], s["total"])' \
    "$work/matrix.json" | { read -r p t; echo "$(elapsed "$a" "$b") $p $t"; }
}
smoke >/dev/null  # warm-up; its matrix names the baseline's source and destination

# The baseline: the first flow's ping, run in its source client's namespace.
read -r src dst_ip < <(python3 -c 'import json,sys; f=json.load(open(sys.argv[1]))["flows"][0]; print(f["src"], f["dstIp"])' "$work/matrix.json")
meta="${LABCTL_LOCAL_META_DIR:-/run/labctl/local}/$run_id.json"
src_ns="$(python3 -c 'import json,sys; print(next(n for n in json.load(open(sys.argv[1]))["netns"] if n.endswith("-" + sys.argv[2] + "-client")))' "$meta" "$src")"
ping_once() {
  local a b; a=$(now)
  ip netns exec "$src_ns" ping -c "$count" -W "$wait_s" -n "$dst_ip" >/dev/null || { echo "local_smoke: the baseline ping $src -> $dst_ip failed" >&2; exit 1; }
  b=$(now)
  elapsed "$a" "$b"
}
ping_once >/dev/null  # warm-up

smoke_times=() ping_times=() all_passed=1
for rep in $(seq "$repeat"); do
  if [ $((rep % 2)) = 1 ]; then
    read -r s_s s_p s_t < <(smoke); p_s=$(ping_once)
  else
    p_s=$(ping_once); read -r s_s s_p s_t < <(smoke)
  fi
  echo "local_smoke: smoke $rep: ${s_s} s, $s_p/$s_t flows passed; ping -c $count alone: ${p_s} s"
  smoke_times+=("$s_s") ping_times+=("$p_s")
  [ "$s_p" = "$s_t" ] || all_passed=0
done
smoke_s=$(echo "${smoke_times[*]}" | median); ping_s=$(echo "${ping_times[*]}" | median)
if [ "$all_passed" = 1 ]; then
  verdict=$(awk -v a="$smoke_s" -v b="$ping_s" 'BEGIN { printf "ratio %.2fx", a / b }')
else
  verdict="no ratio: a smoke did not pass all its flows (see $work/labctl.log)"
fi
echo "local_smoke: median of $repeat: smoke (12 flows) ${smoke_s} s, ping -c $count alone ${ping_s} s, $verdict (target <= 1.5x)"
