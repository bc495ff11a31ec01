#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "providers/ipv4.hpp"

// What the clouds' preflights (Provider::preflight) share: the check rows of the document and
// the subnet arithmetic of providers/ipv4.hpp (aws: the ENI's subnet, azure: the NIC's, oci: the
// VNIC's).
namespace labctl::providers {

// One row of the preflight document's "checks".
[[nodiscard]] inline nlohmann::ordered_json preflight_check(const std::string& name, bool ok,
                                                            const std::string& detail) {
  return {{"name", name}, {"status", ok ? "pass" : "fail"}, {"detail", detail}};
}

}  // namespace labctl::providers
