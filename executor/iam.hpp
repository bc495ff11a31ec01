#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "providers/registry/registry.hpp"

namespace labctl::executor {

// `iam-policy --executor --run-id ID`: the executor's least-privilege policy for the run, as
// the run's action provider (built with `seams`) writes it (Provider::executor_policy).
[[nodiscard]] Expected<nlohmann::ordered_json> executor_policy(
    const std::string& run_id, const providers::ProviderSeams& seams);

}  // namespace labctl::executor
