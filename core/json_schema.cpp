#include "core/json_schema.hpp"

#include <algorithm>
#include <exception>
#include <set>

#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

#include "core/strcat.hpp"
#include "core/json_io.hpp"

namespace labctl::json_schema {
namespace {

using nlohmann::json;

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

// Keywords whose subschemas may fail without failing the document, so a length bound there
// does not keep a pattern beside it from running on a long string.
bool is_conditional(const std::string& keyword) {
  return keyword == "anyOf" || keyword == "oneOf" || keyword == "not" || keyword == "if" ||
         keyword == "then" || keyword == "else" || keyword == "contains";
}

// Keywords whose values are data, not subschemas.
bool is_data(const std::string& keyword) {
  return keyword == "const" || keyword == "enum" || keyword == "default" ||
         keyword == "examples";
}

// Rewrites `node` (a schema, or a container of schemas) in place: every `pattern` gets a
// maxLength of at most k_max_pattern_subject_bytes, and is removed when `strip` is set. Returns
// the construct the bound cannot protect, if any. Recursion is bounded: the schema was parsed
// with json_io's depth limit.
std::string bound_patterns(json& node, bool strip, bool conditional) {
  if (node.is_array()) {
    for (json& item : node) {
      if (auto problem = bound_patterns(item, strip, conditional); !problem.empty()) return problem;
    }
    return "";
  }
  if (!node.is_object()) return "";
  if (node.contains("patternProperties")) return "patternProperties";
  if (const auto pattern = node.find("pattern"); pattern != node.end() && pattern->is_string()) {
    if (conditional) return "a pattern under anyOf/oneOf/not/if/contains";
    std::size_t bound = k_max_pattern_subject_bytes;
    if (const auto max = node.find("maxLength"); max != node.end() && max->is_number_unsigned()) {
      bound = std::min(bound, max->get<std::size_t>());
    }
    node["maxLength"] = bound;
    if (strip) node.erase("pattern");
  }
  for (auto& [keyword, value] : node.items()) {
    if (is_data(keyword)) continue;
    if (auto problem = bound_patterns(value, strip, conditional || is_conditional(keyword));
        !problem.empty()) {
      return problem;
    }
  }
  return "";
}

Expected<void> populate(const json& schema_json, valijson::Schema& schema) {
  try {
    valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
    parser.populateSchema(valijson::adapters::NlohmannJsonAdapter(schema_json), schema);
  } catch (const std::exception& e) {
    return fail(ExitCode::provider, cat("schema: unusable: ", e.what(), " (a build defect)"));
  }
  return {};
}

}  // namespace

struct SchemaValidator::Compiled {
  valijson::Schema lengths;  // patterns left out
  valijson::Schema whole;
  valijson::Validator validator;  // keeps the compiled regexes between documents

  std::vector<ValidationError> run(const valijson::Schema& schema, const json& document) {
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
};

SchemaValidator::SchemaValidator(std::unique_ptr<Compiled> compiled)
    : m_compiled(std::move(compiled)) {}
SchemaValidator::SchemaValidator(SchemaValidator&&) noexcept = default;
SchemaValidator& SchemaValidator::operator=(SchemaValidator&&) noexcept = default;
SchemaValidator::~SchemaValidator() = default;

Expected<SchemaValidator> SchemaValidator::compile(std::string_view schema_text) {
  auto parsed = json_io::parse(schema_text, "schema");
  if (!parsed) {
    return fail(ExitCode::provider,
                cat("schema: not valid JSON (a build defect; rebuild labctl): ",
                    parsed.error().message));
  }
  json whole = *parsed;
  json lengths = std::move(*parsed);
  for (auto [schema, strip] : {std::pair<json*, bool>{&whole, false}, {&lengths, true}}) {
    if (auto problem = bound_patterns(*schema, strip, false); !problem.empty()) {
      return fail(ExitCode::provider,
                  cat("schema: uses ", problem, ", which labctl cannot match safely on long "
                      "strings (a build defect)"));
    }
  }
  auto compiled = std::make_unique<Compiled>();
  if (auto ok = populate(whole, compiled->whole); !ok) return std::unexpected(ok.error());
  if (auto ok = populate(lengths, compiled->lengths); !ok) return std::unexpected(ok.error());
  return SchemaValidator(std::move(compiled));
}

std::vector<ValidationError> SchemaValidator::validate(const json& document) {
  // One iterative pass (no recursion, whatever the depth): the depth valijson would recurse to,
  // and the strings no pattern may see.
  struct Node {
    const json* value;
    json::json_pointer at;
    std::string pointer;  // as to_pointer() prints valijson's context (keys unescaped)
    std::size_t depth;
  };
  std::vector<std::pair<json::json_pointer, std::string>> long_strings;
  std::vector<Node> pending{{&document, json::json_pointer(), "", 0}};
  while (!pending.empty()) {
    Node node = std::move(pending.back());
    pending.pop_back();
    if (node.depth > k_max_validated_depth) {
      return {{"/", cat("nested deeper than ", k_max_validated_depth,
                        " levels of arrays/objects (the limit)")}};
    }
    if (node.value->is_string()) {
      if (node.value->get_ref<const std::string&>().size() > k_max_pattern_subject_bytes) {
        long_strings.emplace_back(node.at, node.pointer.empty() ? "/" : node.pointer);
      }
    } else if (node.value->is_object()) {
      for (const auto& [key, child] : node.value->items()) {
        pending.push_back({&child, node.at / key, node.pointer + "/" + key, node.depth + 1});
      }
    } else if (node.value->is_array()) {
      for (std::size_t i = 0; i < node.value->size(); ++i) {
        pending.push_back(
            {&(*node.value)[i], node.at / i, cat(node.pointer, "/", i), node.depth + 1});
      }
    }
  }
  if (long_strings.empty()) return m_compiled->run(m_compiled->whole, document);

  // The whole schema runs on a copy whose long strings are emptied, so no pattern sees them;
  // every error elsewhere is the one the real document has (a long string matches no const or
  // enum of ours either way). At the long strings themselves, the errors are those of the
  // pattern-free schema on the real document, where each pattern left a maxLength behind.
  std::set<std::string> replaced;
  json shortened = document;
  for (const auto& [at, pointer] : long_strings) {
    shortened[at] = "";
    replaced.insert(pointer);
  }
  std::vector<ValidationError> errors;
  for (auto& e : m_compiled->run(m_compiled->whole, shortened)) {
    if (!replaced.contains(e.path)) errors.push_back(std::move(e));
  }
  for (auto& e : m_compiled->run(m_compiled->lengths, document)) {
    if (replaced.contains(e.path)) errors.push_back(std::move(e));
  }
  return errors;
}

Expected<std::vector<ValidationError>> validate_against(std::string_view schema_text,
                                                        const nlohmann::json& document) {
  auto validator = SchemaValidator::compile(schema_text);
  if (!validator) return std::unexpected(validator.error());
  return validator->validate(document);
}

}  // namespace labctl::json_schema
