#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace labctl::json_schema {

struct ValidationError {
  std::string path;    // JSON pointer into the document, "/" for the document itself
  std::string reason;  // the validator's explanation
};

// The longest string a schema `pattern` is ever run on. valijson matches patterns with
// std::regex, whose matcher recurses once per character: a 40,000-character string against
// "^eni-[0-9a-f]+$" overflows the stack. So no pattern ever sees a longer string, and every
// `pattern` is treated as carrying at most this maxLength (its own, if smaller).
inline constexpr std::size_t k_max_pattern_subject_bytes = 1024;

// The deepest document validated: valijson recurses once per level. Inputs are parsed with
// json_io's limit (64); the evidence result embeds them a few levels down.
inline constexpr std::size_t k_max_validated_depth = 96;

// A draft-07 JSON Schema compiled once, for validating many documents (an action plan's rows).
// Not thread-safe: it keeps the compiled regexes of its patterns.
class SchemaValidator {
 public:
  // Errors (ExitCode::provider, a build defect) if `schema_text` is not a usable schema, or if
  // it has a construct the pattern bound above cannot protect: `patternProperties` (object keys
  // are not length-bounded), or a `pattern` under anyOf/oneOf/not/if (a failed length bound there
  // does not stop validation).
  [[nodiscard]] static Expected<SchemaValidator> compile(std::string_view schema_text);

  // Every error of `document`, in the validator's order; empty means valid. No pattern runs on
  // a string longer than k_max_pattern_subject_bytes: such a string is reported by the
  // maxLength its pattern implies. A document deeper than k_max_validated_depth is one error
  // ("/": nested too deep) and is not walked further.
  [[nodiscard]] std::vector<ValidationError> validate(const nlohmann::json& document);

  SchemaValidator(SchemaValidator&&) noexcept;
  SchemaValidator& operator=(SchemaValidator&&) noexcept;
  ~SchemaValidator();

 private:
  struct Compiled;
  explicit SchemaValidator(std::unique_ptr<Compiled> compiled);
  std::unique_ptr<Compiled> m_compiled;
};

// Validates `document` against `schema_text` (a draft-07 JSON Schema) and returns EVERY error,
// in the validator's order; empty means valid. Errors only if the schema itself is unusable.
[[nodiscard]] Expected<std::vector<ValidationError>> validate_against(
    std::string_view schema_text, const nlohmann::json& document);

}  // namespace labctl::json_schema
