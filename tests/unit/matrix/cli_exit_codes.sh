#!/bin/sh
# `labctl smoke` end to end through the CLI: exit codes 0/1/2, stdout = exactly one JSON line
# (a runner's stdout never leaks), the summary line on stderr.
# Usage: cli_exit_codes.sh /path/to/labctl
set -u
labctl=$1
dir=$(mktemp -d "${TMPDIR:-/tmp}/labctl-matrix-cli.XXXXXX")
trap 'rm -rf "$dir"' EXIT
export CE_STATE_DIR="$dir/state"
fail() { echo "FAIL: $*" >&2; exit 1; }

cat > "$dir/r1" <<'R'
#!/bin/sh
case "$1" in
  ping) echo "runner-stdout-noise"; [ "$2" = onprem ] && [ "$3" = 10.77.60.11 ] && [ -n "${R6:-}" ] && exit 1; exit 0;;
  ssh) case "$2" in onprem) ip=10.77.60.10;; aws) ip=10.77.60.11;; azure) ip=10.77.60.12;; oci) ip=10.77.60.13;; *) exit 2;; esac
       echo "peer_ip=$ip"; echo "default_gw=10.77.60.1";;
esac
R
chmod +x "$dir/r1"

"$labctl" smoke --sites "a=1,b" >"$dir/out" 2>"$dir/err"; rc=$?
[ "$rc" = 2 ] || fail "bad site spec: exit $rc, want 2"
[ ! -s "$dir/out" ] || fail "usage error printed to stdout"
grep -q "bad site spec entry: 'b' (want site=ip)" "$dir/err" || fail "usage message: $(cat "$dir/err")"

# No run, no --sites, no CE_MATRIX_SITES: a refusal naming what to give, not made-up addresses.
MATRIX_RUNNER="$dir/r1" "$labctl" smoke >"$dir/out" 2>"$dir/err"; rc=$?
[ "$rc" = 2 ] || fail "no sites: exit $rc, want 2: $(cat "$dir/err")"
[ ! -s "$dir/out" ] || fail "no sites: printed to stdout"
grep -q "no sites to test" "$dir/err" && grep -q -- "--sites" "$dir/err" &&
  grep -q CE_MATRIX_SITES "$dir/err" || fail "no sites message: $(cat "$dir/err")"
grep -q "matrix:" "$dir/err" && fail "no sites: flows ran"

# The d3 lab of the reference's cases, given as a user would.
export CE_MATRIX_SITES="onprem=10.77.60.10,aws=10.77.60.11,azure=10.77.60.12,oci=10.77.60.13"

"$labctl" smoke --parallel x >"$dir/out" 2>"$dir/err"; rc=$?
[ "$rc" = 2 ] || fail "bad --parallel: exit $rc, want 2"

MATRIX_RUNNER="$dir/r1" "$labctl" smoke --out "$dir/m.json" >"$dir/out" 2>"$dir/err"; rc=$?
[ "$rc" = 0 ] || fail "R1: exit $rc, want 0: $(cat "$dir/err")"
[ "$(wc -l < "$dir/out")" = 1 ] || fail "stdout is not one line: $(cat "$dir/out")"
grep -q runner-stdout-noise "$dir/out" && fail "runner stdout leaked to ours"
cmp -s "$dir/out" "$dir/m.json" || fail "--out differs from stdout"
grep -q '"passed":12' "$dir/out" || fail "want 12 passed: $(cat "$dir/out")"
grep -q "matrix summary: 12/12 passed, result=pass, phase=matrix, parallelism=12, elapsed=" "$dir/err" || fail "summary line"

R6=1 MATRIX_RUNNER="$dir/r1" "$labctl" smoke --parallel 3 --phase normal >"$dir/out" 2>"$dir/err"; rc=$?
[ "$rc" = 1 ] || fail "R6: exit $rc, want 1"
grep -q "matrix summary: 11/12 passed, result=fail, phase=normal, parallelism=3" "$dir/err" || fail "R6 summary"
echo "cli exit codes OK"
