#!/usr/bin/env bash
# The main job: install, build, then run the whole lab loop for real on this host's local
# network-namespace lab (needs root): up -> smoke -> failover stop-active (measured) -> smoke
# -> evidence collect -> down. Prints the evidence path and its result.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh" "$root/build"
labctl="$root/build/bin/labctl"

export CE_DRY_RUN=0
export CE_STATE_DIR="${CE_STATE_DIR:-$root/build/demo-state}"
out="${DEMO_OUT:-$root/build/demo}"
mkdir -p "$out"

run_id="$("$labctl" up --profile local --ttl 30m --scenario local-demo)"
cleanup() { "$labctl" down --run-id "$run_id" || true; }
trap cleanup EXIT

"$labctl" smoke --run-id "$run_id" --phase before --out "$out/matrix-before.json" >/dev/null
"$labctl" failover --run-id "$run_id" --provider local --fault stop-active --measure \
  --threshold-seconds 60 --out "$out/failover-timing.json" >/dev/null
"$labctl" smoke --run-id "$run_id" --phase after --out "$out/matrix-after.json" >/dev/null
result_json="$("$labctl" evidence collect --run-id "$run_id" --out "$out/evidence" \
  --matrix-json "$out/matrix-after.json" --timing-json "$out/failover-timing.json" | tail -n 1)"
trap - EXIT
"$labctl" down --run-id "$run_id"

echo "evidence: $result_json"
echo "result: $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["result"])' "$result_json")"
