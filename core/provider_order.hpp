#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace labctl {

// Splits a provider CSV, trimming whitespace around each name and dropping empty items and
// duplicates (first occurrence wins). Names are not validated here.
[[nodiscard]] std::vector<std::string> split_provider_list(const std::string& csv);

// Applies a --provider-order mode to the provider list:
//   declared (or "")          the given order
//   cost-optimized, slow-first local, onprem, oci, aws, azure
//   fast-first                 local, aws, azure, oci, onprem
// Providers a mode does not rank keep their declared order after the ranked ones.
// An unknown mode is a usage error listing the modes.
[[nodiscard]] Expected<std::vector<std::string>> order_providers(
    const std::vector<std::string>& providers, const std::string& mode);

}  // namespace labctl
