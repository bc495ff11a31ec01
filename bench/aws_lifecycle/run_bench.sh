#!/usr/bin/env bash
# bench/aws_lifecycle against the EC2 fake (127.0.0.1 only, dummy credentials):
#  (a) up+down of a 4-instance lab: labctl vs aws_cli_lifecycle.sh (one `aws` process per call);
#  (b) `down --expired` over 16 regions x 50 expired instances vs 1 region x 50.
# Each comparison is warmed up once (untimed), then repeated REPEAT times (default 3) with the
# order of its two sides alternating, and reports medians. A ratio is printed only when both
# sides did the same work (the same count of instances taken to terminated, all of them);
# otherwise the line says why there is no ratio.
# Usage: [REPEAT=3] run_bench.sh LABCTL_BINARY [RUN_DELAY_MS (default 50)]
set -euo pipefail
labctl="${1:?usage: run_bench.sh LABCTL_BINARY [RUN_DELAY_MS]}"
delay_ms="${2:-50}"
repeat="${REPEAT:-3}"
here="$(cd "$(dirname "$0")" && pwd)"
fake="$here/../../tests/fakes/ec2/ec2_fake.py"
[ -x /usr/bin/aws ] || { echo "aws_lifecycle: /usr/bin/aws is missing (Debian awscli)" >&2; exit 77; }

work="$(mktemp -d)"
fake_pid=""
cleanup() {
  if [ -n "$fake_pid" ]; then kill "$fake_pid" 2>/dev/null || true; wait "$fake_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
/usr/bin/python3 "$fake" --port 0 --port-file "$work/port" --run-delay-ms "$delay_ms" \
  --terminated-visible-s 3600 2>"$work/fake.log" &
fake_pid=$!
for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.05; done
endpoint="http://127.0.0.1:$(cat "$work/port")"

export AWS_ENDPOINT_URL_EC2="$endpoint" AWS_ACCESS_KEY_ID=AKIDBENCH0000000001 \
  AWS_SECRET_ACCESS_KEY=bench-dummy-secret AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 \
  AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true \
  AWS_PAGER="" CE_DRY_RUN=0
unset AWS_PROFILE AWS_SESSION_TOKEN

control() { curl -fsS -X "$1" "$endpoint/_fake/$2" ${3:+-H 'Content-Type: application/json' -d "$3"}; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
live_instances() {
  control GET state | /usr/bin/python3 -c 'import json,sys
s=json.load(sys.stdin)["regions"]
print(sum(1 for r in s.values() for i in r["instances"] if i["State"]["Name"] not in ("terminated","shutting-down")))'
}

# Instances that reached terminated, of one run (RUN_ID) or of all runs (no argument).
terminated_of() {
  control GET state | /usr/bin/python3 -c 'import json,sys
run = sys.argv[1] if len(sys.argv) > 1 else None
s = json.load(sys.stdin)["regions"]
print(sum(1 for r in s.values() for i in r["instances"] if i["State"]["Name"] == "terminated"
          and (run is None or any(t.get("Key") == "routerd.cloudedge.run_id" and t.get("Value") == run
                                  for t in i.get("Tags", [])))))' "$@"
}
median() { tr ' ' '\n' | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
# ratio NAME_A SECONDS_A DONE_A NAME_B SECONDS_B DONE_B WANT: "ratio Nx", or why there is none.
ratio() {
  if [ "$3" != "$6" ] || [ "$3" != "$7" ]; then
    echo "no ratio: the sides did different work ($1 finished $3, $4 finished $6, of $7)"
  else
    awk -v a="$5" -v b="$2" 'BEGIN { printf "ratio %.2fx", a / b }'
  fi
}

# (a) lifecycle: one side -> "SECONDS TERMINATED_INSTANCES"
export CE_STATE_DIR="$work/state-a"
lifecycle_labctl() {
  local a b run_id; a=$(now)
  run_id=$("$labctl" up --profile "$here/lab4.yaml" --ttl 1h 2>>"$work/labctl.log")
  "$labctl" down --run-id "$run_id" >/dev/null 2>>"$work/labctl.log"
  b=$(now)
  [ "$(live_instances)" = 0 ] || { echo "aws_lifecycle: labctl left instances behind" >&2; exit 1; }
  echo "$(elapsed "$a" "$b") $(terminated_of "$run_id")"
}
lifecycle_cli() {
  local a b id="bench-cli-$$-$1"; a=$(now)
  bash "$here/aws_cli_lifecycle.sh" "$id"
  b=$(now)
  [ "$(live_instances)" = 0 ] || { echo "aws_lifecycle: the aws CLI baseline left instances" >&2; exit 1; }
  echo "$(elapsed "$a" "$b") $(terminated_of "$id")"
}
lifecycle_labctl >/dev/null  # warm-up: caches, the fake's first requests
lifecycle_cli warmup >/dev/null
labctl_times=() cli_times=() labctl_done=4 cli_done=4
for rep in $(seq "$repeat"); do
  if [ $((rep % 2)) = 1 ]; then
    read -r l_s l_n < <(lifecycle_labctl); read -r c_s c_n < <(lifecycle_cli "$rep")
  else
    read -r c_s c_n < <(lifecycle_cli "$rep"); read -r l_s l_n < <(lifecycle_labctl)
  fi
  labctl_times+=("$l_s") cli_times+=("$c_s")
  [ "$l_n" = 4 ] || labctl_done="$l_n"
  [ "$c_n" = 4 ] || cli_done="$c_n"
done
labctl_s=$(echo "${labctl_times[*]}" | median); cli_s=$(echo "${cli_times[*]}" | median)
echo "aws_lifecycle: median of $repeat: labctl ${labctl_s} s, aws-cli baseline ${cli_s} s, $(ratio labctl "$labctl_s" "$labctl_done" aws-cli "$cli_s" "$cli_done" 4) (target >= 20x)"

# (b) janitor: 50 expired instances per region in RUNS_PER_REGION runs (default 1), fresh
# state dir each time
regions=(us-east-1 us-east-2 us-west-1 us-west-2 eu-west-1 eu-west-2 eu-west-3 eu-central-1
  eu-north-1 ap-south-1 ap-northeast-1 ap-northeast-2 ap-southeast-1 ap-southeast-2
  ca-central-1 sa-east-1)
seed() {
  /usr/bin/python3 - "${RUNS_PER_REGION:-1}" "$@" <<'PY'
import json, sys
batches = []
runs_per_region = int(sys.argv[1])
for region in sys.argv[2:]:
    runs = [{"count": 50 // runs_per_region, "tags": {
        "routerd.cloudedge.run_id": f"20200101T000000Z-cloudedge-expired-{region}-{n}",
        "routerd.cloudedge.owner": "bench", "routerd.cloudedge.provider": "aws",
        "routerd.cloudedge.purpose": "bench",
        "routerd.cloudedge.ttl_expires_at": "2020-01-01T01:00:00Z"}} for n in range(runs_per_region)]
    batches.append({"region": region, "instances": runs})
print(json.dumps({"regions": batches}))
PY
}
janitor() {  # janitor REGION... -> "SECONDS TERMINATED_INSTANCES"
  control POST reset '{}' >/dev/null
  control POST seed "$(seed "$@")" >/dev/null
  local csv; csv=$(IFS=,; echo "$*")
  export CE_STATE_DIR="$work/state-janitor-$#"
  local a b; a=$(now)
  CE_AWS_REGIONS="$csv" "$labctl" down --expired >/dev/null 2>>"$work/labctl.log"
  b=$(now)
  [ "$(live_instances)" = 0 ] || { echo "aws_lifecycle: down --expired left instances" >&2; tail -5 "$work/labctl.log" >&2; exit 1; }
  echo "$(elapsed "$a" "$b") $(terminated_of)"
}
janitor us-east-1 >/dev/null  # warm-up
one_times=() all_times=() one_done=50 all_done=$((50 * ${#regions[@]}))
for rep in $(seq "$repeat"); do
  if [ $((rep % 2)) = 1 ]; then
    read -r o_s o_n < <(janitor us-east-1); read -r a_s a_n < <(janitor "${regions[@]}")
  else
    read -r a_s a_n < <(janitor "${regions[@]}"); read -r o_s o_n < <(janitor us-east-1)
  fi
  one_times+=("$o_s") all_times+=("$a_s")
  [ "$o_n" = 50 ] || one_done="$o_n"
  [ "$a_n" = $((50 * ${#regions[@]})) ] || all_done="$a_n"
done
one_s=$(echo "${one_times[*]}" | median); all_s=$(echo "${all_times[*]}" | median)
# The two sides differ in size by design; "the same work" here is each finishing all it was given.
if [ "$one_done" = 50 ] && [ "$all_done" = $((50 * ${#regions[@]})) ]; then
  verdict=$(awk -v a="$all_s" -v b="$one_s" 'BEGIN { printf "ratio %.2fx", a / b }')
else
  verdict="no ratio: a side did not finish its work (1 region: $one_done of 50, 16 regions: $all_done of $((50 * ${#regions[@]})))"
fi
echo "aws_lifecycle janitor: median of $repeat: 16 regions x 50 ${all_s} s, 1 region x 50 ${one_s} s, $verdict (target <= 2x)"
