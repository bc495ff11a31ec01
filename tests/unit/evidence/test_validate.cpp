#include "evidence/validate.hpp"

#include <gtest/gtest.h>

#include "evidence/assemble.hpp"
#include "tests/unit/evidence/fixtures.hpp"

namespace labctl::evidence {
namespace {

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

TEST(Validate, BadSchemaIsAnErrorNotACrash) {
  const auto result = validate_against("{not json", json::object());
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, ExitCode::provider);
}

}  // namespace
}  // namespace labctl::evidence
