#!/usr/bin/env bash
# Installs what labctl needs to build and run its local lab on Debian 12; with --tests, also
# the peers the tests hold labctl and its fakes to. Idempotent; run as root (or through sudo).
# Usage: install-deps.sh [--tests]
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
  exec sudo -E "$0" "$@"
fi

export DEBIAN_FRONTEND=noninteractive
tests=false
case "${1:-}" in
  "") ;;
  --tests) tests=true ;;
  *) echo "install-deps: unknown argument '$1' (usage: install-deps.sh [--tests])" >&2; exit 2 ;;
esac
packages=(
  # build (the test framework too: configuring the tree needs it, even to build labctl alone)
  build-essential cmake ninja-build pkg-config git ca-certificates
  # libraries (headers)
  libcli11-dev libyaml-cpp-dev nlohmann-json3-dev libssh-dev libcurl4-openssl-dev libssl-dev
  libsqlite3-dev libpugixml-dev libvalijson-dev libgtest-dev libgmock-dev libpq-dev
  # the local lab, the SSH matrix, and demo.sh's JSON reading
  iproute2 iputils-ping nftables keepalived openssh-server openssh-client procps psmisc python3
)
if [ "$tests" = true ]; then
  packages+=(
    # test peers: botocore's EC2 model and signer, the AWS CLI, Microsoft's Azure SDK models
    # and the Azure CLI (the fakes are held to them), a headless browser, openssl (the fakes'
    # test CAs)
    python3-botocore awscli python3-azure azure-cli chromium curl openssl
    # the man page and the completion scripts are checked by groff and by each shell's parser
    groff-base zsh fish
    # libFuzzer: clang 14/16 cannot compile our C++23; clang-19 can
    clang-19 libclang-rt-19-dev
    # a real PostgreSQL 15 server per test process for the state-on-PostgreSQL tests
    postgresql
  )
  # node/npm (ajv-cli in the evidence tests): Debian's, unless the machine already has them.
  command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}" >&2
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# sshd's privilege-separation directory (the lab starts its own sshd processes).
mkdir -p /run/sshd
