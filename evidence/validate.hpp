#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "labctl/error.hpp"

namespace labctl::evidence {

struct ValidationError {
  std::string path;    // JSON pointer into the document, "/" for the document itself
  std::string reason;  // the validator's explanation
};

// Validates `document` against `schema_text` (a draft-07 JSON Schema) and returns EVERY error,
// in the validator's order; empty means valid. Errors only if the schema itself is unusable.
[[nodiscard]] Expected<std::vector<ValidationError>> validate_against(
    std::string_view schema_text, const nlohmann::json& document);

// The same against schemas/evidence.schema.json as compiled into labctl.
[[nodiscard]] Expected<std::vector<ValidationError>> validate_result(
    const nlohmann::json& document);

}  // namespace labctl::evidence
