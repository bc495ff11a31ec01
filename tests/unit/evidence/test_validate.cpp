#include "evidence/validate.hpp"

#include <gtest/gtest.h>

#include "evidence/assemble.hpp"
#include "tests/unit/evidence/fixtures.hpp"

namespace labctl::evidence {
namespace {

using json_schema::k_max_validated_depth;
using json_schema::SchemaValidator;
using json_schema::validate_against;
using json_schema::ValidationError;

using nlohmann::json;

json valid_document() {
  AssemblyRequest request;
  request.run_id = "20260601T000000Z-cloudedge-d3";
  request.scenario = "d3";
  request.commit = "offline";
  request.fencing = fencing_assertions(nullptr, request.run_id);
  request.inputs.matrix = testing::doc(testing::make_matrix(testing::k_four_sites));
  return assemble(request)->document;
}

bool has_error_at(const std::vector<ValidationError>& errors, const std::string& path) {
  for (const auto& e : errors) {
    if (e.path == path) return true;
  }
  return false;
}

TEST(Validate, AssembledDocumentIsValid) {
  const auto errors = validate_result(valid_document());
  ASSERT_TRUE(errors.has_value()) << errors.error().message;
  EXPECT_TRUE(errors->empty());
}

// Given a document with four independent problems, expect an error for every one of them.
TEST(Validate, ReportsEveryError) {
  json doc = valid_document();
  doc["runId"] = "not-a-run-id";
  doc["assertions"][3]["result"] = "maybe";
  doc["costGuard"]["teardown"] = "later";
  doc["unexpected"] = true;
  doc["providers"].erase("oci");
  const auto errors = validate_result(doc);
  ASSERT_TRUE(errors.has_value());
  EXPECT_TRUE(has_error_at(*errors, "/runId"));
  EXPECT_TRUE(has_error_at(*errors, "/assertions/3/result"));
  EXPECT_TRUE(has_error_at(*errors, "/costGuard/teardown"));
  EXPECT_TRUE(has_error_at(*errors, "/providers"));
  EXPECT_TRUE(has_error_at(*errors, "/"));  // the unknown top-level key
  for (const auto& e : *errors) EXPECT_FALSE(e.reason.empty());
}

TEST(Validate, MissingFencingAssertionIsAnError) {
  json doc = valid_document();
  auto& list = doc["assertions"];
  for (auto it = list.begin(); it != list.end(); ++it) {
    if ((*it)["name"] == "stale_action_fenced") {
      list.erase(it);
      break;
    }
  }
  EXPECT_FALSE(validate_result(doc)->empty());
}

// Given strings far past the pattern bound where the schema matches a pattern (the run id: 40,000
// and 1,000,000 characters), expect an error at that path — not a crash in std::regex — and
// every other error still reported.
TEST(Validate, LongStringsNeverReachAPattern) {
  for (const std::size_t length : {std::size_t{1025}, std::size_t{40000}, std::size_t{1000000}}) {
    json doc = valid_document();
    doc["runId"] = "20260601T000000Z-cloudedge-" + std::string(length, 'a');
    doc["costGuard"]["teardown"] = "later";
    const auto errors = validate_result(doc);
    ASSERT_TRUE(errors.has_value());
    EXPECT_TRUE(has_error_at(*errors, "/runId")) << length;
    EXPECT_TRUE(has_error_at(*errors, "/costGuard/teardown")) << length;
  }
  // A long string where no pattern applies stays valid (an assertion's detail).
  json doc = valid_document();
  doc["assertions"][0]["detail"] = std::string(100000, 'd');
  EXPECT_TRUE(validate_result(doc)->empty());
}

// Given a document nested deeper than the validator recurses, expect one error at "/" and no
// crash, at any depth.
TEST(Validate, DeepDocumentIsOneErrorNotACrash) {
  for (const std::size_t depth : {k_max_validated_depth + 1, std::size_t{100000}}) {
    json doc = valid_document();
    json* at = &doc["assertions"][0]["detail"];
    for (std::size_t i = 0; i < depth; ++i) at = &((*at = json::array()).emplace_back());
    const auto errors = validate_result(doc);
    ASSERT_TRUE(errors.has_value());
    ASSERT_EQ(errors->size(), 1U) << depth;
    EXPECT_EQ(errors->front().path, "/");
  }
}

// Given schemas whose patterns a length bound cannot protect, expect them refused as unusable.
TEST(Validate, UnsafePatternSchemasAreRefused) {
  for (const char* schema :
       {R"({"patternProperties": {"^a+$": {}}})",
        R"({"anyOf": [{"type": "string", "maxLength": 8, "pattern": "^a+$"}, {"type": "number"}]})",
        R"({"properties": {"x": {"not": {"pattern": "^a+$"}}}})"}) {
    const auto compiled = SchemaValidator::compile(schema);
    ASSERT_FALSE(compiled.has_value()) << schema;
    EXPECT_EQ(compiled.error().code, ExitCode::provider);
  }
  // A property named "pattern" is not the keyword.
  EXPECT_TRUE(SchemaValidator::compile(R"({"properties": {"pattern": {"type": "string"}}})"));
}

TEST(Validate, BadSchemaIsAnErrorNotACrash) {
  const auto result = validate_against("{not json", json::object());
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, ExitCode::provider);
}

}  // namespace
}  // namespace labctl::evidence
