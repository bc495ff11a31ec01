#!/usr/bin/env bash
# bench/readme_build: times README command 1's build step (scripts/demo.sh runs
# `scripts/build.sh BUILD_DIR --target labctl`) on a fresh clone whose packages are installed,
# against the issue's target (300 s on 2 cores) and against a baseline measured in the same run
# on the same machine: the compile of one typical product translation unit (matrix/plan.cpp:
# nlohmann/json, the run model, <chrono>; 10-30 s like most), plain (no unity batch, no
# precompiled header). "N TU-equivalents" is then the build's cost in units of that compile,
# which stays comparable across machines and load; before LABCTL_FAST_BUILD the labctl target
# was 122 such compiles (about 61 on 2 cores).
# Usage: run_bench.sh [--worktree] [CMAKE_ARGS...]
#   --worktree  measure this working tree's files (uncommitted changes included) instead of HEAD
#   CMAKE_ARGS  passed to build.sh's configure step (e.g. -DLABCTL_FAST_BUILD=ON)
# Prints, last line: readme_build: <seconds> s, <ratio> of the 300 s target, <n> TU-equivalents
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
worktree=false
if [ "${1:-}" = "--worktree" ]; then worktree=true; shift; fi
target_s=300
tu=matrix/plan.cpp

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
git clone -q --no-hardlinks "$root" "$work/src"
if $worktree; then
  # Copy the working tree over the clone: every tracked or new file, nothing ignored.
  (cd "$root" && git ls-files -z --cached --others --exclude-standard) \
    | (cd "$root" && xargs -0 cp --parents -t "$work/src" 2>/dev/null || true)
fi
commit="$(git -C "$work/src" rev-parse --short HEAD)$($worktree && echo '+worktree' || true)"
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

echo "readme_build: clone $commit, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
start="$(now)"
"$work/src/scripts/build.sh" "$work/build" --target labctl "$@" 2>"$work/build.log" \
  || { tail -n 30 "$work/build.log" >&2; echo "readme_build: the build failed" >&2; exit 1; }
build_s="$(elapsed "$start" "$(now)")"
[ -x "$work/build/bin/labctl" ] || { echo "readme_build: no build/bin/labctl after the build" >&2; exit 1; }
# What else got built: README command 1 must not build tests.
extra="$(find "$work/build/tests" -name '*.o' 2>/dev/null | wc -l)"

# Baseline: the plain compile command of $tu from a configure without the fast-build option.
cmake -S "$work/src" -B "$work/plain" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DLABCTL_WERROR=ON -DLABCTL_FAST_BUILD=OFF >/dev/null
tu_cmd="$(python3 - "$work/plain/compile_commands.json" "$work/src/$tu" "$work/tu.o" <<'PY'
import json, shlex, sys
entries = [e for e in json.load(open(sys.argv[1])) if e["file"] == sys.argv[2]]
if not entries:
    sys.exit(f"readme_build: {sys.argv[2]} is not in {sys.argv[1]}")
args = shlex.split(entries[0]["command"])
out = args.index("-o")
args[out + 1] = sys.argv[3]
kept, skip = [], False
for arg in args:  # drop the depfile options: only the object is wanted
    if skip:
        skip = False
    elif arg in ("-MT", "-MF"):
        skip = True
    elif arg != "-MD":
        kept.append(arg)
print(shlex.join(kept))
PY
)"
start="$(now)"
(cd "$work/plain" && eval "$tu_cmd")
tu_s="$(elapsed "$start" "$(now)")"

echo "readme_build: baseline: one plain compile of $tu: $tu_s s"
echo "readme_build: scripts/build.sh BUILD --target labctl $*: $build_s s (test objects built: $extra)"
awk -v b="$build_s" -v t="$target_s" -v u="$tu_s" 'BEGIN {
  printf "readme_build: %.1f s, %.2fx of the %d s target (%s), %.1f TU-equivalents\n",
    b, b / t, t, (b <= t ? "met" : "MISSED"), b / u }'
