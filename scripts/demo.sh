#!/usr/bin/env bash
# The main job: install, build, then run the whole lab loop for real on this host's local
# network-namespace lab (needs root): up -> smoke -> failover stop-active (measured) -> smoke
# -> evidence collect -> down. Prints the evidence path and its result. A failed check (exit 1)
# does not stop the loop: the evidence then says what failed; any other error stops it, and the
# lab is torn down either way.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh" "$root/build"
labctl="$root/build/bin/labctl"

export CE_DRY_RUN=0
export CE_STATE_DIR="${CE_STATE_DIR:-$root/build/demo-state}"
out="${DEMO_OUT:-$root/build/demo}"
rm -rf "$out"
mkdir -p "$out"

# Runs labctl; exit 1 (a check failed) is reported, not fatal.
check() { "$labctl" "$@" || { rc=$?; [ "$rc" -eq 1 ] || exit "$rc"; echo "demo: check failed: labctl $1" >&2; }; }

run_id="$("$labctl" up --profile local --ttl 30m --scenario local-demo)"
cleanup() { "$labctl" down --run-id "$run_id" || true; }
trap cleanup EXIT

check smoke --run-id "$run_id" --phase before --out "$out/matrix-before.json" >/dev/null
check failover --run-id "$run_id" --provider local --fault stop-active --measure \
  --threshold-seconds 60 --out "$out/failover-timing.json" >/dev/null
check smoke --run-id "$run_id" --phase after --out "$out/matrix-after.json" >/dev/null
commit="$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)"
check evidence collect --run-id "$run_id" --out "$out/evidence" --commit "$commit" \
  --matrix-json "$out/matrix-after.json" --timing-json "$out/failover-timing.json" \
  >"$out/evidence.out"
trap - EXIT
"$labctl" down --run-id "$run_id"

result_json="$(tail -n 1 "$out/evidence.out")"
echo "evidence: $result_json"
echo "result: $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["result"])' "$result_json")"
