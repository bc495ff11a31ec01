#!/usr/bin/env bash
# Test-only tools from the npm registry: ajv-cli, the independent JSON Schema validator the
# evidence tests hold result.json to. Installed under build-tools/ (not committed).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="$root/build-tools/node"
if [ ! -x "$dir/node_modules/.bin/ajv" ]; then
  mkdir -p "$dir"
  npm install --silent --no-audit --no-fund --prefix "$dir" ajv-cli@5 ajv-formats@2 >/dev/null
fi
