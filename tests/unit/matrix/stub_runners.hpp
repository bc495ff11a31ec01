#pragma once
// The original's stub MATRIX_RUNNERs (reference §8): tiny sh scripts written into a test's dir.

#include <filesystem>
#include <sys/stat.h>

#include "tests/support/temp_dir.hpp"

namespace labctl::matrix::stubs {

// R1: ping passes (and prints to stdout, which must not reach ours); ssh reports the source's
// own address and a gateway; an unknown site exits 2.
constexpr const char* k_r1 = R"(#!/bin/sh
ip_of() { case "$1" in onprem) echo 10.77.60.10;; aws) echo 10.77.60.11;; azure) echo 10.77.60.12;; oci) echo 10.77.60.13;; *) return 1;; esac; }
case "$1" in
  ping) echo "PING $3: 64 bytes from runner stdout"; exit 0;;
  ssh) ip=$(ip_of "$2") || exit 2; echo "peer_ip=$ip"; echo "default_gw=10.77.60.1"; echo "peer_ip=9.9.9.9";;
  *) exit 2;;
esac
)";

// R2: onprem/aws only, with identities.
constexpr const char* k_r2 = R"(#!/bin/sh
ip_of() { case "$1" in onprem) echo 10.77.60.10;; aws) echo 10.77.60.11;; *) return 1;; esac; }
case "$1" in
  ping) exit 0;;
  ssh) ip=$(ip_of "$2") || exit 2
       echo "src_hostname=$2-client"; echo "dst_hostname=$4-client"
       echo "src_hostkey_sha256=SHA256:source"; echo "dst_hostkey_sha256=SHA256:dest"
       echo "peer_ip=$ip"; echo "default_gw=10.77.60.1";;
esac
)";

// R6: R1, except ping onprem -> 10.77.60.11 fails.
constexpr const char* k_r6 = R"(#!/bin/sh
if [ "$1" = ping ] && [ "$2" = onprem ] && [ "$3" = 10.77.60.11 ]; then exit 1; fi
exec "$(dirname "$0")/r1" "$@"
)";

// Writes r1, r2 and r6 (executable) into `dir`.
inline void write_stub_runners(const std::filesystem::path& dir) {
  for (const auto& [name, text] : {std::pair{"r1", k_r1}, {"r2", k_r2}, {"r6", k_r6}}) {
    labctl::testing::write_text(dir / name, text);
    ::chmod((dir / name).c_str(), 0755);
  }
}

}  // namespace labctl::matrix::stubs
