#pragma once

#include <map>
#include <optional>
#include <string>

#include "core/env.hpp"

namespace labctl::ssh::testing {

// An EnvLookup over a fixed map, so tests never depend on (or change) the process environment.
inline EnvLookup env_of(std::map<std::string, std::string> values) {
  return [values = std::move(values)](const std::string& name) -> std::optional<std::string> {
    const auto it = values.find(name);
    if (it == values.end()) return std::nullopt;
    return it->second;
  };
}

}  // namespace labctl::ssh::testing
