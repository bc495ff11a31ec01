#include "evidence/scenarios.hpp"

#include <cstdlib>

#include <gtest/gtest.h>

#include "evidence/assemble.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/unit/evidence/fixtures.hpp"

namespace labctl::evidence {
namespace {

using labctl::testing::TempDirTest;
using labctl::testing::write_text;

class Scenarios : public TempDirTest {
 protected:
  void TearDown() override { unsetenv("CE_ACCEPTANCE_SCENARIOS"); }
};

TEST_F(Scenarios, BuiltInHoldsTheOriginalNineAndTheLocalDemo) {
  unsetenv("CE_ACCEPTANCE_SCENARIOS");
  const auto set = load_scenarios(std::nullopt);
  ASSERT_TRUE(set.has_value()) << set.error().message;
  EXPECT_EQ(set->origin, "built-in scenarios");
  ASSERT_EQ(set->scenarios.size(), 10u);
  const auto d6 = find_scenario(*set, "d6-azure-active-stop-seize");
  ASSERT_TRUE(d6.has_value());
  EXPECT_EQ(d6->expected_assertions.size(), 7u);
  EXPECT_EQ(d6->expected_flows, 12);
  EXPECT_FALSE(find_scenario(*set, "d4-missing").has_value());
}

// Given CE_ACCEPTANCE_SCENARIOS and --scenarios naming different files, expect the flag's file
// alone (the environment's scenarios absent, not merged) and the environment's without the flag.
TEST_F(Scenarios, FlagWinsOverEnvironment) {
  const auto flag = tmp.path() / "flag.json";
  const auto env = tmp.path() / "env.json";
  write_text(flag, R"({"scenarios":[{"id":"from-flag"}]})");
  write_text(env, R"({"scenarios":[{"id":"from-env","expectedAssertions":["no_nat"]}]})");
  setenv("CE_ACCEPTANCE_SCENARIOS", env.c_str(), 1);

  const auto from_env = load_scenarios(std::nullopt);
  ASSERT_TRUE(from_env.has_value()) << from_env.error().message;
  EXPECT_EQ(from_env->origin, env.string());
  ASSERT_EQ(from_env->scenarios.size(), 1U);
  EXPECT_TRUE(find_scenario(*from_env, "from-env").has_value());

  const auto from_flag = load_scenarios(flag);
  ASSERT_TRUE(from_flag.has_value()) << from_flag.error().message;
  EXPECT_EQ(from_flag->origin, flag.string());
  ASSERT_EQ(from_flag->scenarios.size(), 1U);
  EXPECT_TRUE(find_scenario(*from_flag, "from-flag").has_value());
  EXPECT_FALSE(find_scenario(*from_flag, "from-env").has_value())
      << "the environment's scenario leaked into the flag's set";
  EXPECT_FALSE(find_scenario(*from_flag, "d6-azure-active-stop-seize").has_value())
      << "a built-in scenario leaked into the flag's set";
}

TEST_F(Scenarios, MalformedFilesAreUsageErrorsNamingTheFile) {
  const auto path = tmp.path() / "bad.json";
  for (const char* text :
       {"{oops", R"({"scenarios":{}})", R"({"scenarios":[{"id":""}]})",
        R"({"scenarios":[{"id":"x","expectedAssertions":[1]}]})",
        R"({"scenarios":[{"id":"x","matrix":{"expectedDirectedFlows":"12"}}]})"}) {
    write_text(path, text);
    const auto set = load_scenarios(path);
    ASSERT_FALSE(set.has_value()) << text;
    EXPECT_EQ(set.error().code, ExitCode::usage);
    EXPECT_NE(set.error().message.find(path.string()), std::string::npos) << set.error().message;
  }
  const auto missing = load_scenarios(tmp.path() / "absent.json");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, ExitCode::usage);
}

// scripts/demo.sh's scenario. Given a passing 12-flow matrix, expect pass only with a passing
// failover timing: without one (or with a recovery over the threshold) the scenario's expected
// failover_recovery_under_60s makes it fail, and a short matrix fails on the expected flow count.
TEST_F(Scenarios, LocalDemoEnforcesTheMatrixAndTheFailover) {
  unsetenv("CE_ACCEPTANCE_SCENARIOS");
  const auto set = load_scenarios(std::nullopt);
  ASSERT_TRUE(set.has_value()) << set.error().message;
  const auto demo = find_scenario(*set, "local-demo");
  ASSERT_TRUE(demo.has_value());
  EXPECT_EQ(demo->expected_flows, 12);

  AssemblyRequest request;
  request.run_id = "20260601T000000Z-cloudedge-local";
  request.scenario = "local-demo";
  request.commit = "offline";
  request.fencing = fencing_assertions(nullptr, request.run_id);
  request.scenario_spec = demo;
  request.inputs.matrix = testing::doc(testing::make_matrix(testing::k_four_sites));
  const auto without_timing = assemble(request);
  ASSERT_TRUE(without_timing.has_value()) << without_timing.error().message;
  EXPECT_EQ(without_timing->document["result"], "fail");
  ASSERT_EQ(without_timing->fail_reasons.size(), 1u);
  EXPECT_NE(without_timing->fail_reasons[0].find("expects failover_recovery_under_60s"),
            std::string::npos)
      << without_timing->fail_reasons[0];

  request.inputs.timing = testing::doc(testing::passing_timing());
  const auto passing = assemble(request);
  ASSERT_TRUE(passing.has_value()) << passing.error().message;
  EXPECT_EQ(passing->document["result"], "pass");

  request.inputs.matrix =
      testing::doc(testing::make_matrix({"onprem", "aws", "azure"}));  // 6 flows, not 12
  EXPECT_EQ(assemble(request)->document["result"], "fail");
}

}  // namespace
}  // namespace labctl::evidence
