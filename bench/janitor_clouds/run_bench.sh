#!/usr/bin/env bash
# bench/janitor_clouds against the EC2, ARM and OCI fakes (127.0.0.1 only, dummy credentials):
# one stateless `down --expired` (a fresh state directory) over three clouds, one expired lab
# (run) on each (a router of clouds3.yaml), vs an AWS-only pass (only AWS configured, one expired
# aws lab). Each lab is made by `labctl up --provider CLOUD --ttl 1s` (untimed, the three side by
# side) and left to expire. One warm-up
# of each side (untimed), then REPEAT (default 3) of each, alternating the order; prints both
# medians and their ratio. A ratio is printed only when every pass exited 0 and left nothing of
# its labs in any fake; otherwise the line says why there is none.
# Usage: [REPEAT=3] run_bench.sh LABCTL_BINARY OCI_MODELS_JSON
set -euo pipefail
labctl="${1:?usage: run_bench.sh LABCTL_BINARY OCI_MODELS_JSON}"
models="${2:?usage: run_bench.sh LABCTL_BINARY OCI_MODELS_JSON}"
repeat="${REPEAT:-3}"
here="$(cd "$(dirname "$0")" && pwd)"
fakes="$here/../../tests/fakes"
py=/usr/bin/python3
[ -f "$models" ] || { echo "janitor_clouds: $models missing (tests/fakes/oci/setup-npm.sh BUILD_DIR)" >&2; exit 77; }
[ -d /usr/lib/python3/dist-packages/azure/mgmt/compute ] ||
  { echo "janitor_clouds: Debian python3-azure is missing (the ARM fake's models)" >&2; exit 77; }

work="$(mktemp -d)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
wait_port() { for _ in $(seq 200); do [ -s "$1" ] && return 0; sleep 0.05; done; echo "janitor_clouds: $2 did not start" >&2; exit 1; }

# The three fakes, as fast as they go (lifecycle steps of 5 ms, EC2 instances of 50 ms).
$py "$fakes/ec2/ec2_fake.py" --port 0 --port-file "$work/ec2.port" --run-delay-ms 50 \
  --verify-secret AKIDBENCHJANITOR0001=bench-dummy-secret 2>"$work/ec2.log" &
pids+=($!)
tenant=72f988bf-0000-4000-8000-00000000beef sub=5f1e0c2a-6b7d-4e8f-9a0b-1c2d3e4f5a6b
client=0b0b0b0b-1111-4222-8333-444444444444
$py "$fakes/azure/arm_fake.py" --port 0 --port-file "$work/arm.port" --tls-dir "$work/arm-tls" \
  --tenant "$tenant" --subscription "$sub" --client "$client=bench-dummy-secret" \
  --op-delay-ms 5 --retry-after-s 0 2>"$work/arm.log" &
pids+=($!)
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$work/oci-key.pem" 2>/dev/null
openssl pkey -in "$work/oci-key.pem" -pubout -out "$work/oci-public.pem"
tenancy=ocid1.tenancy.oc1..aaaaaaaabenchjanitortenancy0001 user=ocid1.user.oc1..aaaaaaaabenchjanitoruser0001
$py "$fakes/oci/oci_fake.py" --port 0 --port-file "$work/oci.port" --tls-dir "$work/oci-tls" \
  --models "$models" --tenancy "$tenancy" --user "$user" --public-key "$work/oci-public.pem" \
  --op-delay-ms 5 2>"$work/oci.log" &
pids+=($!)
wait_port "$work/ec2.port" "the EC2 fake"; wait_port "$work/arm.port" "the ARM fake"
wait_port "$work/oci.port" "the OCI fake"
ec2="http://127.0.0.1:$(cat "$work/ec2.port")"
arm="https://127.0.0.1:$(cat "$work/arm.port")"
oci="https://127.0.0.1:$(cat "$work/oci.port")"
state() { curl -fsS "$@"; }
fingerprint=$(state --cacert "$work/oci-tls/ca.pem" "$oci/_fake/state" |
  $py -c 'import json,sys; print(json.load(sys.stdin)["keyId"].split("/")[2])')

# AWS alone, or the three clouds (the environment of each side).
aws_env=(AWS_ENDPOINT_URL_EC2="$ec2" AWS_ACCESS_KEY_ID=AKIDBENCHJANITOR0001
  AWS_SECRET_ACCESS_KEY=bench-dummy-secret AWS_REGION=us-east-1 CE_AWS_REGIONS=us-east-1
  AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true
  AZURE_IMDS_ENDPOINT=http://127.0.0.1:1 HOME="$work" CE_DRY_RUN=0)
cloud_env=("${aws_env[@]}" CE_AZURE_ARM_ENDPOINT="$arm" AZURE_AUTHORITY_HOST="$arm"
  AZURE_CA_BUNDLE="$work/arm-tls/ca.pem" AZURE_TENANT_ID="$tenant" AZURE_CLIENT_ID="$client"
  AZURE_CLIENT_SECRET=bench-dummy-secret AZURE_SUBSCRIPTION_ID="$sub"
  CE_OCI_ENDPOINT="$oci" OCI_CA_BUNDLE="$work/oci-tls/ca.pem" OCI_CLI_USER="$user"
  OCI_CLI_TENANCY="$tenancy" OCI_CLI_FINGERPRINT="$fingerprint"
  OCI_CLI_KEY_FILE="$work/oci-key.pem" OCI_CLI_REGION=us-ashburn-1)
clean_env=(env -u AWS_PROFILE -u AWS_SESSION_TOKEN -u AZURE_CLIENT_ID -u AZURE_CLIENT_SECRET
  -u AZURE_SUBSCRIPTION_ID -u AZURE_TENANT_ID -u OCI_CLI_USER -u OCI_CLI_CONFIG_FILE
  -u OCI_CONFIG_FILE -u OCI_CLI_PROFILE -u CE_PROVIDER_ORDER -u CE_TTL_MAX)

# Resources of any lab still alive in the fakes (terminated/deleted ones do not count).
left_over() {
  {
    state "$ec2/_fake/state?region=us-east-1"; echo
    state --cacert "$work/arm-tls/ca.pem" "$arm/_fake/state"; echo
    state --cacert "$work/oci-tls/ca.pem" "$oci/_fake/state"; echo
  } | $py -c 'import json,sys
ec2, arm, oci = (json.loads(line) for line in sys.stdin.read().split("\n")[:3])
n = 0
for items in ec2["regions"]["us-east-1"].values():
    for i in items if isinstance(items, list) else []:
        tags = i.get("tags") or {}
        if "routerd.cloudedge.run_id" in tags and (i.get("State") or {}).get("Name") != "terminated":
            n += 1
n += sum(1 for r in arm["resources"] if "routerd.cloudedge.run_id" in (r.get("tags") or {}))
n += sum(1 for r in oci["resources"] if r.get("lifecycleState") not in ("TERMINATED", "DETACHED")
         and "routerd.cloudedge.run_id" in (r.get("freeformTags") or {}))
print(n)'
}
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
median() { tr ' ' '\n' | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# pass SIDE -> "SECONDS EXIT LEFT_OVER": expired labs (aws: one on AWS; clouds: one per cloud), then
# one timed `down --expired` with a fresh state directory and that side's environment.
n=0
pass() {
  local side="$1" providers env_vars a b rc=0 started cloud ups=()
  n=$((n + 1))
  if [ "$side" = aws ]; then providers=(aws) env_vars=("${aws_env[@]}")
  else providers=(aws azure oci) env_vars=("${cloud_env[@]}"); fi
  started=$(now)
  for cloud in "${providers[@]}"; do  # one run per cloud, made side by side
    # A profile name per cloud: run ids are per second and profile, and these start together.
    sed "s/^name: .*/name: janitor-$cloud/" "$here/clouds3.yaml" >"$work/$cloud.yaml"
    "${clean_env[@]}" "${env_vars[@]}" CE_STATE_DIR="$work/up-$n-$cloud" \
      "$labctl" up --profile "$work/$cloud.yaml" --provider "$cloud" --ttl 1s \
      >/dev/null 2>>"$work/up-$cloud.log" &
    ups+=($!)
  done
  for pid in "${ups[@]}"; do
    wait "$pid" || { echo "janitor_clouds: an up ($side) failed" >&2; tail -5 "$work"/up-*.log >&2; exit 1; }
  done
  # The TTL tag has whole seconds: two seconds after the start it has passed.
  sleep "$(awk -v a="$started" -v b="$(now)" 'BEGIN { s = 2.1 - (b - a); print (s > 0 ? s : 0) }')"
  a=$(now)
  "${clean_env[@]}" "${env_vars[@]}" CE_STATE_DIR="$work/janitor-$n" \
    "$labctl" down --expired >/dev/null 2>>"$work/labctl.log" || rc=$?
  b=$(now)
  echo "$(elapsed "$a" "$b") $rc $(left_over)"
}

pass aws >/dev/null; pass clouds >/dev/null  # warm-up
aws_times=() cloud_times=() ok=1 why=""
for rep in $(seq "$repeat"); do
  if [ $((rep % 2)) = 1 ]; then
    read -r a_s a_rc a_left < <(pass aws); read -r c_s c_rc c_left < <(pass clouds)
  else
    read -r c_s c_rc c_left < <(pass clouds); read -r a_s a_rc a_left < <(pass aws)
  fi
  aws_times+=("$a_s") cloud_times+=("$c_s")
  if [ "$a_rc$c_rc" != 00 ] || [ "$a_left$c_left" != 00 ]; then
    ok=0 why="aws-only exit $a_rc left $a_left, three clouds exit $c_rc left $c_left"
  fi
done
aws_s=$(echo "${aws_times[*]}" | median); cloud_s=$(echo "${cloud_times[*]}" | median)
if [ "$ok" = 1 ]; then
  verdict=$(awk -v a="$cloud_s" -v b="$aws_s" 'BEGIN { printf "ratio %.2fx", a / b }')
else
  verdict="no ratio: a pass did not finish its work ($why)"
fi
echo "janitor_clouds: median of $repeat: aws+azure+oci ${cloud_s} s, aws-only ${aws_s} s, $verdict"
