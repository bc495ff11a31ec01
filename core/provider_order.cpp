#include "core/provider_order.hpp"

#include <algorithm>

#include "core/suggest.hpp"

namespace labctl {
namespace {

std::string trim(const std::string& text) {
  const auto begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string::npos) return "";
  const auto end = text.find_last_not_of(" \t\r\n");
  return text.substr(begin, end - begin + 1);
}

}  // namespace

std::vector<std::string> split_provider_list(const std::string& csv) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= csv.size()) {
    const std::size_t comma = csv.find(',', start);
    const std::string item =
        trim(csv.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (!item.empty() && std::find(out.begin(), out.end(), item) == out.end()) {
      out.push_back(item);
    }
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

Expected<std::vector<std::string>> order_providers(const std::vector<std::string>& providers,
                                                   const std::string& mode) {
  static const std::vector<std::string> k_modes{"declared", "cost-optimized", "slow-first",
                                                "fast-first"};
  std::vector<std::string> rank;
  if (mode.empty() || mode == "declared") {
    return providers;
  } else if (mode == "cost-optimized" || mode == "slow-first") {
    rank = {"local", "onprem", "oci", "aws", "azure"};
  } else if (mode == "fast-first") {
    rank = {"local", "aws", "azure", "oci", "onprem"};
  } else {
    return fail(ExitCode::usage, "unknown provider order: " + mode + did_you_mean(mode, k_modes) +
                                     " (want " + join(k_modes, "|") + ")");
  }
  std::vector<std::string> ordered;
  for (const auto& name : rank) {
    if (std::find(providers.begin(), providers.end(), name) != providers.end()) {
      ordered.push_back(name);
    }
  }
  for (const auto& name : providers) {
    if (std::find(ordered.begin(), ordered.end(), name) == ordered.end()) ordered.push_back(name);
  }
  return ordered;
}

}  // namespace labctl
