#pragma once

#include <string>
#include <vector>


namespace labctl {

// Splits a provider CSV, trimming whitespace around each name and dropping empty items and
// duplicates (first occurrence wins). Names are not validated here (providers/registry
// checks and orders provider names).
[[nodiscard]] std::vector<std::string> split_provider_list(const std::string& csv);

}  // namespace labctl
