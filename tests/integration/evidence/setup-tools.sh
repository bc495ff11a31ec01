#!/bin/sh
# Installs the independent checkers the evidence integration tests use; without them those
# tests report SKIPPED. Usage: tests/integration/evidence/setup-tools.sh BUILD_DIR
#   - chromium (Debian package) renders report.html headless;
#   - ajv-cli 5 + ajv-formats (npm) validate result.json against the reference schema (draft-07),
#     installed under BUILD_DIR/npm where the tests look for them.
set -eu
build_dir=${1:?usage: setup-tools.sh BUILD_DIR}
if ! command -v chromium >/dev/null 2>&1; then
  apt-get install -y --no-install-recommends chromium
fi
if command -v npm >/dev/null 2>&1; then
  mkdir -p "$build_dir/npm"
  npm install --no-audit --no-fund --prefix "$build_dir/npm" ajv-cli@5 ajv-formats
else
  echo "setup-tools.sh: npm not found; the ajv test will be skipped" >&2
fi
