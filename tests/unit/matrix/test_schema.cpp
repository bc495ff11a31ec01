// The matrix JSON validates against schemas/matrix.schema.json (and the schema rejects drift).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validator.hpp>

#include "matrix/report.hpp"
#include "tests/support/temp_dir.hpp"

namespace labctl::matrix {
namespace {

bool valid(const nlohmann::json& document) {
  const auto schema_json = nlohmann::json::parse(
      labctl::testing::read_text(std::filesystem::path(LABCTL_SOURCE_DIR) / "schemas/matrix.schema.json"));
  valijson::Schema schema;
  valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
  parser.populateSchema(valijson::adapters::NlohmannJsonAdapter(schema_json), schema);
  valijson::Validator validator;
  return validator.validate(schema, valijson::adapters::NlohmannJsonAdapter(document), nullptr);
}

TEST(MatrixSchema, OutputValidatesAndDriftIsRejected) {
  const auto sites = *parse_sites("a=10.0.0.1,b=10.0.0.2");
  std::vector<FlowResult> results;
  for (const Flow& flow : plan_flows(sites.size())) {
    Observation seen;
    seen.ping_ok = true;
    seen.ping_ms = 1.5;
    results.push_back(evaluate(flow, seen, sites, {}));
  }
  const auto output = nlohmann::json::parse(to_json(results, sites, summarize(results, "m", 1, 0.25)).dump());
  EXPECT_TRUE(valid(output));
  auto extra = output;
  extra["flows"][0]["unexpected"] = 1;
  EXPECT_FALSE(valid(extra));
  auto missing = output;
  missing["summary"].erase("elapsedSeconds");
  EXPECT_FALSE(valid(missing));
  auto verdict = output;
  verdict["flows"][1]["noNat"] = "maybe";
  EXPECT_FALSE(valid(verdict));
}

}  // namespace
}  // namespace labctl::matrix
