#pragma once

#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/json_schema.hpp"

namespace labctl::evidence {

// Validates `document` against schemas/evidence.schema.json as compiled into labctl and returns
// every error (empty means valid); errors only if the compiled-in schema is unusable.
[[nodiscard]] Expected<std::vector<json_schema::ValidationError>> validate_result(
    const nlohmann::json& document);

}  // namespace labctl::evidence
