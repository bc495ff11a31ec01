#include "core/run_id.hpp"

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

// Given ids from outside (empty, path-like, control characters, over the tag-value limit),
// expect one usage error that names the flag and shows the value escaped.
TEST(CheckRunId, RefusesMalformedWithTheFlagNamed) {
  const std::string long_id = "20260601T031500Z-cloudedge-" + std::string(230, 'a');
  ASSERT_EQ(long_id.size(), 257u);
  for (const std::string& bad : {std::string(), std::string("../../etc"),
                                std::string("20260601T031500Z-cloudedge-a\nb"),
                                std::string("20260601T031500Z-cloudedge-\x1b[31m"), long_id}) {
    const auto checked = check_run_id(bad, "--run-id");
    ASSERT_FALSE(checked) << bad;
    EXPECT_EQ(checked.error().code, ExitCode::usage);
    EXPECT_EQ(checked.error().message.rfind("--run-id: \"", 0), 0u) << checked.error().message;
    EXPECT_EQ(checked.error().message.find('\n'), std::string::npos);
    EXPECT_EQ(checked.error().message.find('\x1b'), std::string::npos);
  }
  EXPECT_TRUE(check_run_id(long_id.substr(0, 256), "--run-id"));
  EXPECT_TRUE(check_run_id("20260601T031500Z-cloudedge-x-2", "--run-id"));
  const auto unnamed = check_run_id("x", "");
  ASSERT_FALSE(unnamed);
  EXPECT_EQ(unnamed.error().message.rfind("\"x\" is not a run id", 0), 0u);
}

TEST(CheckScenario, BoundsTheLength) {
  EXPECT_TRUE(check_scenario(std::string(k_max_scenario_bytes, 'a'), "--scenario"));
  EXPECT_TRUE(check_scenario("", "--scenario"));  // sanitised to "adhoc"
  const auto checked = check_scenario(std::string(30000, 'a'), "--scenario");
  ASSERT_FALSE(checked);
  EXPECT_EQ(checked.error().code, ExitCode::usage);
  EXPECT_NE(checked.error().message.find("--scenario: 30000 bytes; the limit is 128"),
            std::string::npos)
      << checked.error().message;
  // Whatever is accepted makes a run id that passes the check, suffix included.
  const auto now = parse_rfc3339("2026-06-01T03:15:00Z");
  ASSERT_TRUE(now);
  EXPECT_TRUE(check_run_id(
      make_run_id(*now, std::string(k_max_scenario_bytes, 'a')) + "-1000", "--run-id"));
}

}  // namespace
}  // namespace labctl
