#include "evidence/validate.hpp"

#include <exception>

#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

#include "evidence/embedded_schema.hpp"
#include "evidence/text.hpp"

namespace labctl::evidence {
namespace {

// valijson's context is {"<root>", "[assertions]", "[3]", "[result]"}; we print
// "/assertions/3/result".
std::string to_pointer(const std::vector<std::string>& context) {
  std::string out;
  for (const std::string& part : context) {
    if (part.size() >= 2 && part.front() == '[' && part.back() == ']') {
      out += "/" + part.substr(1, part.size() - 2);
    }
  }
  return out.empty() ? "/" : out;
}

// valijson repeats each error at every enclosing level ("Failed to validate item #0 in array.",
// "...associated with property name 'x'."); those echoes add no fact, so only the leaf is kept.
bool is_echo(const std::string& description) {
  return description.starts_with("Failed to validate item #") ||
         description.starts_with("Failed to validate against schema associated with property name");
}

}  // namespace

Expected<std::vector<ValidationError>> validate_against(std::string_view schema_text,
                                                        const nlohmann::json& document) {
  const nlohmann::json schema_json = nlohmann::json::parse(schema_text, nullptr, false);
  if (schema_json.is_discarded()) {
    return fail(ExitCode::provider,
                "evidence schema: not valid JSON (a build defect; rebuild labctl)");
  }
  valijson::Schema schema;
  try {
    valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
    parser.populateSchema(valijson::adapters::NlohmannJsonAdapter(schema_json), schema);
  } catch (const std::exception& e) {
    return fail(ExitCode::provider, cat("evidence schema: unusable: ", e.what()));
  }
  valijson::Validator validator;
  valijson::ValidationResults results;
  validator.validate(schema, valijson::adapters::NlohmannJsonAdapter(document), &results);
  std::vector<ValidationError> errors;
  valijson::ValidationResults::Error error;
  while (results.popError(error)) {
    if (!is_echo(error.description))
      errors.push_back({to_pointer(error.context), error.description});
  }
  return errors;
}

Expected<std::vector<ValidationError>> validate_result(const nlohmann::json& document) {
  return validate_against(embedded::k_evidence_schema, document);
}

}  // namespace labctl::evidence
