#!/bin/sh
# Installs Oracle's TypeScript SDK packages the OCI fake and its tests are held to, and extracts
# their model definitions once. Usage: tests/fakes/oci/setup-npm.sh BUILD_DIR
#   - npm oci-core, oci-identity, oci-resourcesearch (models), oci-common (the SDK client the
#     SDK test runs) and typescript (the compiler that parses the models' .d.ts), pinned, under
#     BUILD_DIR/npm-oci;
#   - BUILD_DIR/npm-oci/oci-models.json: the extracted models (`oci_fake.py --models`).
# Without it the OCI fake's tests report SKIPPED. Takes about 15 s with a warm npm cache.
set -eu
build_dir=${1:?usage: setup-npm.sh BUILD_DIR}
here=$(cd "$(dirname "$0")" && pwd)
oci_version=2.139.1
if ! command -v npm >/dev/null 2>&1 || ! command -v node >/dev/null 2>&1; then
  echo "setup-npm.sh: npm/node not found; the OCI fake tests will be skipped" >&2
  exit 0
fi
mkdir -p "$build_dir/npm-oci"
prefix=$(cd "$build_dir/npm-oci" && pwd)
npm install --no-audit --no-fund --prefix "$prefix" \
  "oci-core@$oci_version" "oci-identity@$oci_version" "oci-resourcesearch@$oci_version" \
  "oci-common@$oci_version" typescript@5.9.3
node "$here/extract_models.js" "$prefix/node_modules" "$prefix/oci-models.json"
