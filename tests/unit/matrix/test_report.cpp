#include "matrix/report.hpp"

#include <gtest/gtest.h>

namespace labctl::matrix {
namespace {

std::vector<FlowResult> sample(const std::vector<Site>& sites) {
  std::vector<FlowResult> results;
  for (const Flow& flow : plan_flows(sites.size())) {
    Observation seen;
    seen.ping_ok = !(flow.src == 0 && flow.dst == 1);
    seen.ssh_ok = true;
    seen.peer_ip = sites[flow.src].ip;
    seen.default_gw = "gw";
    seen.ping_ms = 12.345;
    results.push_back(evaluate(flow, seen, sites, {}));
  }
  return results;
}

TEST(Report, JsonKeepsOriginalKeyOrderThenAdditions) {
  const auto sites = *parse_sites("a=10.0.0.1,b=10.0.0.2");
  const auto results = sample(sites);
  const auto json = to_json(results, sites, summarize(results, "normal", 3, 1.23456));
  std::vector<std::string> keys;
  for (const auto& item : json["flows"][0].items()) keys.push_back(item.key());
  const std::vector<std::string> expected = {
      "src", "dst", "dstIp", "srcIp", "peerIp", "defaultGw", "srcHostname", "dstHostname",
      "srcHostKeySHA256", "dstHostKeySHA256", "srcIdentityError", "dstIdentityError", "ping",
      "sourceIpPreserved", "defaultGwUnchanged", "noNat", "identityCheck", "result",
      "pathSrcIp", "pingMs", "sshMs", "error"};
  EXPECT_EQ(keys, expected);
  std::vector<std::string> summary_keys;
  for (const auto& item : json["summary"].items()) summary_keys.push_back(item.key());
  EXPECT_EQ(summary_keys, (std::vector<std::string>{"total", "passed", "failed", "result", "phase",
                                                    "parallelism", "elapsedSeconds"}));
  EXPECT_EQ(json["flows"][0]["ping"], "fail");
  EXPECT_EQ(json["flows"][1]["result"], "pass");
  EXPECT_EQ(json["summary"]["total"], 2);
  EXPECT_EQ(json["summary"]["passed"], 1);
  EXPECT_EQ(json["summary"]["failed"], 1);
  EXPECT_EQ(json["summary"]["result"], "fail");
  EXPECT_EQ(json["summary"]["phase"], "normal");
  EXPECT_EQ(json["summary"]["parallelism"], 3);
  EXPECT_TRUE(json["summary"]["elapsedSeconds"].is_number_float());
  EXPECT_DOUBLE_EQ(json["summary"]["elapsedSeconds"].get<double>(), 1.235);
  EXPECT_DOUBLE_EQ(json["flows"][0]["pingMs"].get<double>(), 12.3);
  EXPECT_TRUE(json["flows"][0]["sshMs"].is_null());
}

TEST(Report, SummaryAndFlowLines) {
  const auto sites = *parse_sites("a=10.0.0.1,b=10.0.0.2");
  const auto results = sample(sites);
  EXPECT_EQ(summary_line(summarize(results, "matrix", 2, 0.5)),
            "matrix summary: 1/2 passed, result=fail, phase=matrix, parallelism=2, elapsed=0.500s");
  EXPECT_EQ(flow_line(results[1], sites), "matrix: b (10.0.0.2) -> a (10.0.0.1): pass");
  EXPECT_EQ(flow_line(results[0], sites).rfind("matrix: a (10.0.0.1) -> b (10.0.0.2): fail [ping]", 0), 0U);
}

TEST(Report, TruthTableNamesTheFailingCheck) {
  const auto sites = *parse_sites("a=10.0.0.1,b=10.0.0.2,c=10.0.0.3");
  const auto results = sample(sites);
  const std::string table = truth_table(results, sites);
  // header + 3 rows
  EXPECT_EQ(std::count(table.begin(), table.end(), '\n'), 4);
  std::istringstream lines(table);
  std::string header, row_a, row_b;
  std::getline(lines, header);
  std::getline(lines, row_a);
  std::getline(lines, row_b);
  EXPECT_EQ(header.rfind("src\\dst", 0), 0U);
  EXPECT_NE(row_a.find("✗ ping"), std::string::npos);
  EXPECT_NE(row_a.find("·"), std::string::npos);
  EXPECT_EQ(row_b.find("✗"), std::string::npos);
  EXPECT_NE(row_b.find("✓"), std::string::npos);
}

// Given a failing and a passing flow, expect the NDJSON fields to carry the flow's facts (the
// line's text is for people; an agent reads these).
TEST(Report, FlowFieldsCarryTheFacts) {
  const auto sites = *parse_sites("a=10.0.0.1,b=10.0.0.2");
  const auto results = sample(sites);
  const auto failing = flow_fields(results[0], sites);
  EXPECT_EQ(failing["src"], "a");
  EXPECT_EQ(failing["dst"], "b");
  EXPECT_EQ(failing["srcIp"], "10.0.0.1");
  EXPECT_EQ(failing["dstIp"], "10.0.0.2");
  EXPECT_EQ(failing["result"], "fail");
  EXPECT_EQ(failing["failing"], nlohmann::ordered_json::array({"ping"}));
  EXPECT_DOUBLE_EQ(failing["pingMs"].get<double>(), 12.3);
  EXPECT_TRUE(failing["sshMs"].is_null());
  const auto passing = flow_fields(results[1], sites);
  EXPECT_EQ(passing["result"], "pass");
  EXPECT_TRUE(passing["failing"].is_array() && passing["failing"].empty());
  EXPECT_EQ(summary_fields(summarize(results, "p", 2, 0.5))["failed"], 1);
}

// Given three sites with one failing flow, expect the structured table: a row per source, its
// name first, a cell per destination ("pass", "fail:<check>", null on the diagonal).
TEST(Report, TruthTableFieldsAreRowsOfCells) {
  const auto sites = *parse_sites("a=10.0.0.1,b=10.0.0.2,c=10.0.0.3");
  const auto fields = truth_table_fields(sample(sites), sites);
  EXPECT_EQ(fields["columns"], nlohmann::ordered_json::array({"a", "b", "c"}));
  ASSERT_EQ(fields["rows"].size(), 3U);
  EXPECT_EQ(fields["rows"][0], nlohmann::ordered_json::array({"a", nullptr, "fail:ping", "pass"}));
  EXPECT_EQ(fields["rows"][1], nlohmann::ordered_json::array({"b", "pass", nullptr, "pass"}));
}

}  // namespace
}  // namespace labctl::matrix
