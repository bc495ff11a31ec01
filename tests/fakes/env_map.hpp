#pragma once

#include <map>
#include <optional>
#include <string>

#include "core/env.hpp"

namespace labctl::testing {

// An EnvLookup over a fixed map, so tests never depend on (or change) the process environment.
inline EnvLookup env_map(std::map<std::string, std::string> values) {
  return [values = std::move(values)](const std::string& name) -> std::optional<std::string> {
    const auto found = values.find(name);
    if (found == values.end()) return std::nullopt;
    return found->second;
  };
}

}  // namespace labctl::testing
