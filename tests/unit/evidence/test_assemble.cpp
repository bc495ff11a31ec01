#include "evidence/assemble.hpp"

#include <cstdlib>

#include <gtest/gtest.h>

#include "evidence/scenarios.hpp"
#include "evidence/validate.hpp"
#include "tests/unit/evidence/fixtures.hpp"

namespace labctl::evidence {
namespace {

using nlohmann::json;
using testing::doc;
using testing::k_four_sites;
using testing::make_matrix;

// The scenario as shipped (the compiled-in copy of evidence/scenarios.json).
Scenario builtin(const std::string& id) {
  unsetenv("CE_ACCEPTANCE_SCENARIOS");
  auto set = load_scenarios(std::nullopt);
  EXPECT_TRUE(set.has_value());
  auto found = set ? find_scenario(*set, id) : std::nullopt;
  EXPECT_TRUE(found.has_value()) << id;
  return found.value_or(Scenario{});
}

AssemblyRequest request_for(const std::string& scenario) {
  AssemblyRequest request;
  request.run_id = "20260601T000000Z-cloudedge-" + scenario;
  request.scenario = scenario;
  request.commit = "offline";
  request.fencing = fencing_assertions(nullptr, request.run_id);
  return request;
}

std::vector<std::string> names(const Assembly& assembly) {
  std::vector<std::string> out;
  for (const auto& a : assembly.assertions) out.push_back(a.name);
  return out;
}

TEST(Assemble, TwentyOneAssertionsInTheOriginalOrder) {
  const auto assembly = assemble(request_for("adhoc"));
  ASSERT_TRUE(assembly.has_value());
  const std::vector<std::string> expected{"directed_ping_ssh_matrix",
                                          "ownership_epoch_bumped",
                                          "allow_reassignment_maintained_until_success",
                                          "source_ip_preserved",
                                          "default_gateway_unchanged",
                                          "no_nat",
                                          "failover_recovery_under_60s",
                                          "protocol_transparency",
                                          "ftp_active_passive",
                                          "nfs_rpc",
                                          "bulk_transfer_pmtu",
                                          "protocol_source_ip_preserved",
                                          "protocol_no_nat",
                                          "l2_loop_free",
                                          "broadcast_storm_absent",
                                          "stp_rstp_stable",
                                          "mac_flap_absent",
                                          "failover_ping_stable",
                                          "l2_suppression_mechanism_recorded",
                                          "old_holder_residue_absent",
                                          "stale_action_fenced"};
  EXPECT_EQ(names(*assembly), expected);
  ASSERT_EQ(assembly->document["assertions"].size(), 21u);
  EXPECT_EQ(assembly->document["assertions"][1]["detail"], "no journal records");
}

// Given no inputs at all, expect result fail with every assertion na and the default TTL (extra
// case).
TEST(Assemble, NoInputsIsFailAllNa) {
  const auto assembly = assemble(request_for("adhoc"));
  ASSERT_TRUE(assembly.has_value());
  EXPECT_EQ(assembly->document["result"], "fail");
  for (const auto& a : assembly->assertions) EXPECT_EQ(a.result, "na") << a.name;
  EXPECT_EQ(assembly->document["costGuard"]["ttlHours"], 4.0);
  EXPECT_FALSE(assembly->fail_reasons.empty());
  EXPECT_TRUE(validate_result(assembly->document)->empty());
}

TEST(Assemble, PassingMatrixPassesWithoutAScenario) {
  auto request = request_for("adhoc");
  request.inputs.matrix = doc(make_matrix(k_four_sites));
  const auto assembly = assemble(request);
  ASSERT_TRUE(assembly.has_value());
  EXPECT_EQ(assembly->document["result"], "pass");
  EXPECT_TRUE(assembly->fail_reasons.empty());
}

TEST(Assemble, AnyJudgedFailureFails) {
  for (const char* which : {"timing", "protocol", "l2"}) {
    auto request = request_for("adhoc");
    request.inputs.matrix = doc(make_matrix(k_four_sites));
    if (std::string(which) == "timing") request.inputs.timing = doc(testing::passing_timing(90));
    if (std::string(which) == "protocol") {
      json p = testing::passing_protocol();
      p["summary"]["checks"]["ftpPassive"] = "fail";
      request.inputs.protocol = doc(p);
    }
    if (std::string(which) == "l2") {
      json l2 = testing::passing_l2();
      l2["status"] = "fail";
      request.inputs.l2_loop = doc(l2);
    }
    const auto assembly = assemble(request);
    ASSERT_TRUE(assembly.has_value());
    EXPECT_EQ(assembly->document["result"], "fail") << which;
  }
}

TEST(Assemble, ProviderStatesDoNotDecideTheResult) {
  auto request = request_for("adhoc");
  request.inputs.matrix = doc(make_matrix(k_four_sites));
  request.inputs.provider_state = doc({{"aws", "fail"}});
  EXPECT_EQ(assemble(request)->document["result"], "pass");
}

// Given a d5 run whose matrix and timing pass but whose journal has no records (fencing na),
// expect fail: the original passed it, honest pass does not.
TEST(Assemble, HonestPassD5WithFencingNaFails) {
  auto request = request_for("d5-aws-maintenance-drain-migration");
  request.scenario_spec = builtin(request.scenario);
  request.inputs.matrix = doc(make_matrix(k_four_sites));
  request.inputs.timing = doc(testing::passing_timing());
  const auto assembly = assemble(request);
  ASSERT_TRUE(assembly.has_value());
  EXPECT_EQ(assembly->document["result"], "fail");
  ASSERT_EQ(assembly->fail_reasons.size(), 3u);  // epoch, residue, stale
  EXPECT_NE(assembly->fail_reasons[0].find("expects ownership_epoch_bumped to pass; it is na"),
            std::string::npos)
      << assembly->fail_reasons[0];

  request.scenario_spec.reset();  // the same evidence without the scenario rule passes
  EXPECT_EQ(assemble(request)->document["result"], "pass");
}

// The original's [ran] case: a d5 run with no timing runner passed. Given a passing matrix and no
// timing file, expect fail: failover_recovery_under_60s is na and d5 expects it.
TEST(Assemble, HonestPassD5WithoutTimingFails) {
  auto request = request_for("d5-aws-maintenance-drain-migration");
  request.scenario_spec = builtin(request.scenario);
  request.inputs.matrix = doc(make_matrix(k_four_sites));
  const auto assembly = assemble(request);
  ASSERT_TRUE(assembly.has_value());
  EXPECT_EQ(assembly->document["result"], "fail");
  bool names_recovery = false;
  for (const auto& reason : assembly->fail_reasons) {
    names_recovery =
        names_recovery || reason.find("failover_recovery_under_60s") != std::string::npos;
  }
  EXPECT_TRUE(names_recovery);
}

TEST(Assemble, HonestPassD3PassesWhenItsExpectationsPass) {
  auto request = request_for("d3-4site-directed-matrix");
  request.scenario_spec = builtin(request.scenario);
  request.inputs.matrix = doc(make_matrix(k_four_sites));
  EXPECT_EQ(assemble(request)->document["result"], "pass");
}

TEST(Assemble, UnknownExpectedAssertionCannotPass) {
  auto request = request_for("custom");
  request.scenario_spec =
      Scenario{.id = "custom", .expected_assertions = {"no_such_check"}, .expected_flows = {}};
  request.inputs.matrix = doc(make_matrix(k_four_sites));
  const auto assembly = assemble(request);
  EXPECT_EQ(assembly->document["result"], "fail");
  EXPECT_NE(assembly->fail_reasons.at(0).find("does not produce"), std::string::npos);
}

TEST(Assemble, ExplicitResultFailAlwaysWins) {
  auto request = request_for("adhoc");
  request.inputs.matrix = doc(make_matrix(k_four_sites));
  request.requested_result = "fail";
  const auto assembly = assemble(request);
  EXPECT_EQ(assembly->document["result"], "fail");
  EXPECT_EQ(assembly->fail_reasons.back(), "--result fail was given");
}

TEST(Assemble, ExplicitResultPassIsRefusedWhenTheEvidenceSaysFail) {
  auto request = request_for("d5-aws-maintenance-drain-migration");
  request.scenario_spec = builtin(request.scenario);
  request.inputs.matrix = doc(make_matrix(k_four_sites));
  request.inputs.timing = doc(testing::passing_timing());
  request.requested_result = "pass";
  const auto refused = assemble(request);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, ExitCode::refused);
  EXPECT_NE(refused.error().message.find("stale_action_fenced"), std::string::npos);

  auto d3 = request_for("d3-4site-directed-matrix");
  d3.scenario_spec = builtin(d3.scenario);
  d3.inputs.matrix = doc(make_matrix(k_four_sites));
  d3.requested_result = "pass";
  EXPECT_EQ(assemble(d3)->document["result"], "pass");
}

TEST(Assemble, HostileStringsAreEscapedAndRoundTrip) {
  auto request = request_for("adhoc");
  request.scenario = "quote\" back\\slash\nnew line \u00e9\u2603 </script>";
  request.commit = "c\"}, \"result\": \"pass";
  const auto assembly = assemble(request);
  ASSERT_TRUE(assembly.has_value());
  const json reparsed = json::parse(assembly->document.dump(2));
  EXPECT_EQ(reparsed["scenario"], request.scenario);
  EXPECT_EQ(reparsed["commit"], request.commit);
  EXPECT_EQ(reparsed["result"], "fail");
  EXPECT_TRUE(validate_result(reparsed)->empty());
}

TEST(Assemble, RunFactsFeedProvidersAndCostGuard) {
  auto request = request_for("adhoc");
  request.run = RunFacts{.providers = {"aws", "onprem"},
                         .ttl_seconds = 7200,
                         .status = "down",
                         .dry_run = false,
                         .remaining_resources = {},
                         .infra_provision_seconds = std::nullopt,
                         .deploy_ready_seconds = std::nullopt};
  const auto assembly = assemble(request);
  EXPECT_EQ(assembly->document["costGuard"], json({{"ttlHours", 2.0}, {"teardown", "completed"}}));
  EXPECT_EQ(assembly->document["providers"]["azure"]["dataplane"], "skip");
}

}  // namespace
}  // namespace labctl::evidence
