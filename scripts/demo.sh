#!/usr/bin/env bash
# The main job: install, build, then run the whole lab loop for real on this host's local
# network-namespace lab (needs root): up -> smoke -> failover stop-active (measured) -> smoke
# -> down -> evidence collect. Prints what the scenario enforces, the evidence path and its
# result. The evidence is collected after `down`, so its teardown is the real one ("completed",
# or "failed" with what remains), and it shows both matrices (before and after the fault).
# A failed check (exit 1) does not stop the loop: the evidence then says what failed (a failed
# smoke before the fault is recorded with `--result fail`, as only the after matrix is judged);
# any other error stops it, and the lab is torn down either way. Exit 0 only when the result
# is pass and the lab is gone.
# DEMO_SKIP_BUILD=1 skips install and build (bench/demo_loop times the loop alone).
set -euo pipefail
[ "$(id -u)" -eq 0 ] || exec sudo -E "$0" "$@"
root="$(cd "$(dirname "$0")/.." && pwd)"
if [ "${DEMO_SKIP_BUILD:-0}" != 1 ]; then
  "$root/scripts/install-deps.sh"
  "$root/scripts/build.sh" "$root/build" --target labctl  # the tests build in README command 2
fi
labctl="${LABCTL:-$root/build/bin/labctl}"
scenario=local-demo

export CE_DRY_RUN=0
export CE_STATE_DIR="${CE_STATE_DIR:-$root/build/demo-state}"
out="${DEMO_OUT:-$root/build/demo}"
rm -rf "$out"
mkdir -p "$out"

# What evidence will hold the run to: the scenario's expected assertions (the built-in copy
# of evidence/scenarios.json), plus the before smoke, which this script enforces itself.
enforced="$(python3 -c 'import json,sys
s = next(s for s in json.load(open(sys.argv[1]))["scenarios"] if s["id"] == sys.argv[2])
print(", ".join(s["expectedAssertions"]) + " (%d flows)" % s["matrix"]["expectedDirectedFlows"])' \
  "$root/evidence/scenarios.json" "$scenario")"
echo "demo: scenario $scenario enforces: $enforced; and every flow of the smoke before the fault"

failed=()
# Runs labctl; exit 1 (a check failed) is recorded, not fatal.
check() {
  "$labctl" "$@" || {
    rc=$?
    [ "$rc" -eq 1 ] || exit "$rc"
    failed+=("$1")
    echo "demo: check failed: labctl $1" >&2
  }
}

run_id="$("$labctl" up --profile local --ttl 30m --scenario "$scenario")"
cleanup() { "$labctl" down --run-id "$run_id" >/dev/null || true; }
trap cleanup EXIT

check smoke --run-id "$run_id" --phase before --out "$out/matrix-before.json" >/dev/null
before_failed=$((${#failed[@]} > 0))
check failover --run-id "$run_id" --provider local --fault stop-active --measure \
  --threshold-seconds 60 --out "$out/failover-timing.json" >/dev/null
check smoke --run-id "$run_id" --phase after --out "$out/matrix-after.json" >/dev/null

trap - EXIT
down_rc=0
"$labctl" down --run-id "$run_id" >/dev/null || down_rc=$?

result_flag=()
[ "$before_failed" = 0 ] || result_flag=(--result fail)
commit="$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)"
check evidence collect --run-id "$run_id" --out "$out/evidence" --commit "$commit" \
  --matrix-json "$out/matrix-before.json" --matrix-json "$out/matrix-after.json" \
  --timing-json "$out/failover-timing.json" "${result_flag[@]}" >"$out/evidence.out"

result_json="$(tail -n 1 "$out/evidence.out")"
echo "evidence: $result_json"
python3 - "$result_json" "$root/evidence/scenarios.json" "$scenario" <<'PY'
import json, sys
result = json.load(open(sys.argv[1]))
expected = next(s for s in json.load(open(sys.argv[2]))["scenarios"]
                if s["id"] == sys.argv[3])["expectedAssertions"]
for a in result["assertions"]:
    if a["name"] in expected:
        print(f"  {a['name']}: {a['result']} ({a['detail']})")
print(f"teardown: {result['costGuard']['teardown']}")
print(f"result: {result['result']}")
PY
[ "${#failed[@]}" = 0 ] || echo "demo: failed checks: ${failed[*]}" >&2
# Exit: down's error if it failed, else 1 when a check failed (the result is then fail), else 0.
[ "$down_rc" = 0 ] || exit "$down_rc"
[ "${#failed[@]}" = 0 ]
