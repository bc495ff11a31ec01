#include "labctl/run_id.hpp"

#include <gtest/gtest.h>

namespace labctl {
namespace {

TEST(SanitizeScenario, MatchesTheOriginalTr) {
  EXPECT_EQ(sanitize_scenario("my scen/ario!"), "my-scen-ario");
  EXPECT_EQ(sanitize_scenario("d3-4site-directed-matrix"), "d3-4site-directed-matrix");
  EXPECT_EQ(sanitize_scenario("a--b"), "a-b");
  EXPECT_EQ(sanitize_scenario("--x--"), "x");
  EXPECT_EQ(sanitize_scenario("v1.2_rc"), "v1.2_rc");
  EXPECT_EQ(sanitize_scenario("\"quoted\"\n"), "quoted");
  EXPECT_EQ(sanitize_scenario("ünïcode"), "n-code");
}

TEST(SanitizeScenario, EmptyBecomesAdhoc) {
  EXPECT_EQ(sanitize_scenario(""), "adhoc");
  EXPECT_EQ(sanitize_scenario("!!!"), "adhoc");
}

TEST(MakeRunId, FormatMatchesSchemaPattern) {
  const auto t = parse_rfc3339("2026-06-01T03:15:00Z");
  ASSERT_TRUE(t);
  const std::string id = make_run_id(*t, "aws failover");
  EXPECT_EQ(id, "20260601T031500Z-cloudedge-aws-failover");
  EXPECT_TRUE(is_valid_run_id(id));
}

TEST(IsValidRunId, RejectsMalformed) {
  EXPECT_FALSE(is_valid_run_id("20260601T031500Z-cloudedge-"));
  EXPECT_FALSE(is_valid_run_id("20260601T031500-cloudedge-x"));
  EXPECT_FALSE(is_valid_run_id("2026060XT031500Z-cloudedge-x"));
  EXPECT_FALSE(is_valid_run_id("20260601T031500Z-cloudedge-a\"b"));
  EXPECT_FALSE(is_valid_run_id("i-0123456789"));
  EXPECT_TRUE(is_valid_run_id("20260601T031500Z-cloudedge-x-2"));
}

}  // namespace
}  // namespace labctl
