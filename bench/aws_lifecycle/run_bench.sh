#!/usr/bin/env bash
# bench/aws_lifecycle against the EC2 fake (127.0.0.1 only, dummy credentials):
#  (a) up+down of a 4-instance lab: labctl vs aws_cli_lifecycle.sh (one `aws` process per call);
#  (b) `down --expired` over 16 regions x 50 expired instances vs 1 region x 50.
# Usage: run_bench.sh LABCTL_BINARY [RUN_DELAY_MS (default 50)]
set -euo pipefail
labctl="${1:?usage: run_bench.sh LABCTL_BINARY [RUN_DELAY_MS]}"
delay_ms="${2:-50}"
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
  --terminated-visible-s 1 2>"$work/fake.log" &
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

# (a) lifecycle
export CE_STATE_DIR="$work/state-a"
t0=$(now)
run_id=$("$labctl" up --profile "$here/lab4.yaml" --ttl 1h 2>>"$work/labctl.log")
"$labctl" down --run-id "$run_id" >/dev/null 2>>"$work/labctl.log"
t1=$(now)
[ "$(live_instances)" = 0 ] || { echo "aws_lifecycle: labctl left instances behind" >&2; exit 1; }
bash "$here/aws_cli_lifecycle.sh" "bench-cli-$$"
t2=$(now)
[ "$(live_instances)" = 0 ] || { echo "aws_lifecycle: the aws CLI baseline left instances" >&2; exit 1; }
labctl_s=$(elapsed "$t0" "$t1"); cli_s=$(elapsed "$t1" "$t2")
echo "aws_lifecycle: labctl ${labctl_s} s, aws-cli baseline ${cli_s} s, ratio $(awk -v a="$cli_s" -v b="$labctl_s" 'BEGIN { printf "%.1f", a / b }')x (target >= 20x)"

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
janitor() {  # janitor REGION... -> seconds
  control POST reset '{}' >/dev/null
  control POST seed "$(seed "$@")" >/dev/null
  local csv; csv=$(IFS=,; echo "$*")
  export CE_STATE_DIR="$work/state-janitor-$#"
  local a b; a=$(now)
  CE_AWS_REGIONS="$csv" "$labctl" down --expired >/dev/null 2>>"$work/labctl.log"
  b=$(now)
  [ "$(live_instances)" = 0 ] || { echo "aws_lifecycle: down --expired left instances" >&2; tail -5 "$work/labctl.log" >&2; exit 1; }
  elapsed "$a" "$b"
}
one_s=$(janitor us-east-1)
all_s=$(janitor "${regions[@]}")
echo "aws_lifecycle janitor: 16 regions x 50 ${all_s} s, 1 region x 50 ${one_s} s, ratio $(awk -v a="$all_s" -v b="$one_s" 'BEGIN { printf "%.2f", a / b }')x (target <= 2x)"
