#pragma once

#include <map>
#include <optional>
#include <string>

#include "providers/aws/credentials.hpp"

namespace labctl::testing {

// An EnvLookup over a fixed map, so tests never depend on (or change) the process environment.
inline providers::aws::EnvLookup env_map(std::map<std::string, std::string> values) {
  return [values = std::move(values)](const char* name) -> std::optional<std::string> {
    const auto found = values.find(name);
    if (found == values.end()) return std::nullopt;
    return found->second;
  };
}

}  // namespace labctl::testing
