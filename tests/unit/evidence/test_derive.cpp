#include "evidence/derive.hpp"

#include <gtest/gtest.h>

#include "tests/unit/evidence/fixtures.hpp"

namespace labctl::evidence {
namespace {

using nlohmann::json;
using testing::doc;
using testing::k_four_sites;
using testing::make_matrix;

TEST(DeriveMatrix, TwelvePassingFlowsPassEveryMatrixAssertion) {
  const auto m = derive_matrix(doc(make_matrix(k_four_sites)), 12);
  EXPECT_EQ(m.overall, "pass");
  for (const Assertion* a : {&m.directed, &m.source_ip, &m.default_gateway, &m.no_nat}) {
    EXPECT_EQ(a->result, "pass") << a->name << ": " << a->detail;
  }
  EXPECT_EQ(m.directed.name, "directed_ping_ssh_matrix");
  EXPECT_EQ(m.source_ip.detail, "12/12 flows: sourceIpPreserved pass");
}

TEST(DeriveMatrix, OnePingFailureFailsDirectedOnly) {
  const auto m = derive_matrix(doc(make_matrix(k_four_sites, {"onprem->aws"})), 12);
  EXPECT_EQ(m.overall, "fail");
  EXPECT_EQ(m.directed.result, "fail");
  EXPECT_EQ(m.source_ip.result, "pass");
}

// Given a passing 2-site matrix (2 flows), expect directed to fail against the d3 size of 12
// but pass when the scenario expects 2 flows.
TEST(DeriveMatrix, DirectedNeedsTheExpectedFlowCount) {
  const auto matrix = doc(make_matrix({"onprem", "aws"}));
  EXPECT_EQ(derive_matrix(matrix, 12).directed.result, "fail");
  EXPECT_EQ(derive_matrix(matrix, 2).directed.result, "pass");
}

TEST(DeriveMatrix, FieldFailureNamesTheFlows) {
  json matrix = make_matrix(k_four_sites);
  matrix["flows"][3]["defaultGwUnchanged"] = "fail";
  matrix["flows"][5].erase("noNat");
  const auto m = derive_matrix(doc(matrix), 12);
  EXPECT_EQ(m.default_gateway.result, "fail");
  EXPECT_NE(m.default_gateway.detail.find("1/12 flows fail defaultGwUnchanged: aws->onprem"),
            std::string::npos)
      << m.default_gateway.detail;
  EXPECT_EQ(m.no_nat.result, "fail");  // a missing field is not a pass
}

TEST(DeriveMatrix, NoMatrixOrNoFlowsIsNa) {
  const auto none = derive_matrix(std::nullopt, 12);
  EXPECT_EQ(none.overall, "na");
  for (const Assertion* a :
       {&none.directed, &none.source_ip, &none.default_gateway, &none.no_nat}) {
    EXPECT_EQ(a->result, "na");
  }
  const auto empty = derive_matrix(doc({{"flows", json::array()}}), 12);
  EXPECT_EQ(empty.source_ip.result, "na");
  EXPECT_EQ(empty.directed.result, "fail");  // a matrix without a passing summary is not na
}

TEST(DeriveMatrix, WrongTypesDoNotCrash) {
  const json odd = {{"flows", {{{"src", 1}, {"dst", nullptr}, {"sourceIpPreserved", true}}}},
                    {"summary", {{"result", 7}, {"total", "12"}}}};
  const auto m = derive_matrix(doc(odd), 12);
  EXPECT_EQ(m.overall, "na");
  EXPECT_EQ(m.directed.result, "fail");
  EXPECT_EQ(m.source_ip.result, "fail");
  EXPECT_NE(m.source_ip.detail.find("?->?"), std::string::npos);
}

TEST(DeriveFailoverRecovery, Rules) {
  EXPECT_EQ(derive_failover_recovery(std::nullopt).result, "na");
  EXPECT_EQ(derive_failover_recovery(doc({{"status", "pass"}, {"events", json::array()}})).result,
            "na");
  EXPECT_EQ(derive_failover_recovery(doc(testing::passing_timing(12.5))).result, "pass");
  EXPECT_EQ(derive_failover_recovery(doc(testing::passing_timing(75))).result, "fail");
  json mixed = testing::passing_timing(12.5);
  mixed["status"] = "fail";  // status fail even though every event is under threshold
  EXPECT_EQ(derive_failover_recovery(doc(mixed)).result, "fail");
}

TEST(DeriveProtocol, PairsNeedBothChecks) {
  const auto absent = derive_protocol(std::nullopt);
  ASSERT_EQ(absent.size(), 6u);
  for (const auto& a : absent) EXPECT_EQ(a.result, "na") << a.name;

  json probe = testing::passing_protocol();
  for (const auto& a : derive_protocol(doc(probe))) EXPECT_EQ(a.result, "pass") << a.name;
  probe["summary"]["checks"].erase("rpc");
  probe["summary"]["checks"]["pmtu"] = "fail";
  probe["summary"]["checks"].erase("noNat");
  const auto judged = derive_protocol(doc(probe));
  EXPECT_EQ(judged[0].name, "protocol_transparency");
  EXPECT_EQ(judged[1].result, "pass");  // ftp
  EXPECT_EQ(judged[2].result, "fail");  // nfs_rpc: rpc missing
  EXPECT_EQ(judged[2].detail, "nfs=pass, rpc=missing");
  EXPECT_EQ(judged[3].result, "fail");  // bulk_transfer_pmtu
  EXPECT_EQ(judged[4].result, "pass");  // protocol_source_ip_preserved
  EXPECT_EQ(judged[5].result, "na");    // protocol_no_nat copied: missing is na
}

TEST(DeriveL2, CopiesStatusAndSummary) {
  for (const auto& a : derive_l2(std::nullopt)) EXPECT_EQ(a.result, "na");
  json probe = testing::passing_l2();
  probe["summary"]["macFlapAbsent"] = "fail";
  const auto judged = derive_l2(doc(probe));
  ASSERT_EQ(judged.size(), 6u);
  EXPECT_EQ(judged[0].name, "l2_loop_free");
  EXPECT_EQ(judged[0].result, "pass");
  EXPECT_EQ(judged[3].name, "mac_flap_absent");
  EXPECT_EQ(judged[3].result, "fail");
  EXPECT_EQ(judged[5].name, "l2_suppression_mechanism_recorded");
}

TEST(DeriveProviders, DataplaneFromSrcOrDstAndProviderStateShapes) {
  Inputs inputs;
  inputs.matrix = doc(make_matrix(k_four_sites, {"aws->azure"}));
  inputs.provider_state = doc({{"aws", "pass"},
                               {"oci", {{"providerState", "fail"}}},
                               {"azure", {{"result", "skip"}}},
                               {"onprem", 3}});
  const json p = derive_providers(inputs, std::nullopt);
  EXPECT_EQ(p["aws"]["dataplane"], "fail");    // src of the failing flow
  EXPECT_EQ(p["azure"]["dataplane"], "fail");  // dst of the failing flow
  EXPECT_EQ(p["oci"]["dataplane"], "pass");
  EXPECT_EQ(p["aws"]["providerState"], "pass");
  EXPECT_EQ(p["oci"]["providerState"], "fail");
  EXPECT_EQ(p["azure"]["providerState"], "skip");
  EXPECT_EQ(p["onprem"]["providerState"], "na");  // unknown shape
  EXPECT_EQ(p.size(), 4u);
}

TEST(DeriveProviders, ProvidersOutsideAKnownRunAreSkipUnlessMeasured) {
  Inputs inputs;
  inputs.matrix = doc(make_matrix({"onprem", "aws"}));
  const RunFacts run{.providers = {"aws", "onprem"},
                     .ttl_seconds = 3600,
                     .status = "up",
                     .dry_run = false,
                     .remaining_resources = {},
                     .infra_provision_seconds = std::nullopt,
                     .deploy_ready_seconds = std::nullopt};
  const json p = derive_providers(inputs, run);
  EXPECT_EQ(p["aws"]["dataplane"], "pass");
  EXPECT_EQ(p["aws"]["providerState"], "na");
  EXPECT_EQ(p["oci"]["dataplane"], "skip");
  EXPECT_EQ(p["oci"]["providerState"], "skip");
  const json no_run = derive_providers(inputs, std::nullopt);
  EXPECT_EQ(no_run["oci"]["dataplane"], "na");
}

TEST(DeriveCostGuard, FromTheRunsRealTtlAndState) {
  EXPECT_EQ(derive_cost_guard(std::nullopt), json({{"ttlHours", 4.0}, {"teardown", "pending"}}));
  RunFacts run{.providers = {"aws"},
               .ttl_seconds = 5400,
               .status = "up",
               .dry_run = false,
               .remaining_resources = {},
               .infra_provision_seconds = std::nullopt,
               .deploy_ready_seconds = std::nullopt};
  EXPECT_DOUBLE_EQ(derive_cost_guard(run)["ttlHours"].get<double>(), 1.5);
  const auto teardown = [&](const std::string& status, bool dry,
                            std::vector<std::string> left = {}) {
    run.status = status;
    run.dry_run = dry;
    run.remaining_resources = std::move(left);
    return derive_cost_guard(run)["teardown"].get<std::string>();
  };
  EXPECT_EQ(teardown("creating", false), "pending");
  EXPECT_EQ(teardown("up", false), "pending");
  EXPECT_EQ(teardown("tearing_down", false), "pending");
  EXPECT_EQ(teardown("down", false), "completed");
  EXPECT_EQ(teardown("down", false, {"instance aws-router-a (deleting)"}), "failed");
  EXPECT_EQ(teardown("down_failed", false), "failed");
  EXPECT_EQ(teardown("failed", false), "failed");
  EXPECT_EQ(teardown("up", true), "skipped");
  EXPECT_EQ(teardown("down", true), "skipped");
}

TEST(DeriveQualificationTimings, MatrixEntriesAndProbeSum) {
  Inputs inputs;
  const json none = derive_qualification_timings(inputs, std::nullopt);
  EXPECT_EQ(none["normalMatrix"]["status"], "na");
  EXPECT_EQ(none["normalMatrix"]["phase"], "normal");
  EXPECT_EQ(none["cloudIngressMatrix"]["phase"], "cloud-ingress");
  EXPECT_TRUE(none["dataplaneProbeSeconds"].is_null());
  EXPECT_TRUE(none["infraProvisionSeconds"].is_null());

  inputs.matrix = doc(make_matrix(k_four_sites, {}, "normal", 3, 5));
  inputs.cloud_ingress = doc(make_matrix(k_four_sites, {}, "cloud-ingress", 2, 7));
  inputs.timing = doc({{"status", "pass"}, {"providerElapsedSeconds", 9.5}});
  const json q = derive_qualification_timings(inputs, std::nullopt);
  EXPECT_EQ(q["normalMatrix"], json({{"status", "pass"},
                                     {"phase", "normal"},
                                     {"total", 12},
                                     {"passed", 12},
                                     {"failed", 0},
                                     {"elapsedSeconds", 5},
                                     {"parallelism", 3}}));
  EXPECT_EQ(q["cloudIngressMatrix"]["parallelism"], 2);
  EXPECT_DOUBLE_EQ(q["dataplaneProbeSeconds"].get<double>(), 12.0);
  EXPECT_DOUBLE_EQ(q["providerConvergenceSeconds"].get<double>(), 9.5);

  // A plain smoke's own phase ("matrix") wins over the slot's default name.
  inputs.matrix = doc(make_matrix(k_four_sites));
  EXPECT_EQ(derive_qualification_timings(inputs, std::nullopt)["normalMatrix"]["phase"], "matrix");
}

// Given a run whose events timed its up and deploy, expect both in the timings; a dry run's
// (nothing provisioned) and a negative time stay null.
TEST(DeriveQualificationTimings, ProvisioningAndDeployFromTheRun) {
  RunFacts run;
  run.dry_run = false;
  run.infra_provision_seconds = 6.25;
  run.deploy_ready_seconds = 8.5;
  const json q = derive_qualification_timings(Inputs{}, run);
  EXPECT_DOUBLE_EQ(q["infraProvisionSeconds"].get<double>(), 6.25);
  EXPECT_DOUBLE_EQ(q["deployRouterdReadySeconds"].get<double>(), 8.5);
  run.infra_provision_seconds = -1;
  run.deploy_ready_seconds.reset();
  const json unmeasured = derive_qualification_timings(Inputs{}, run);
  EXPECT_TRUE(unmeasured["infraProvisionSeconds"].is_null());
  EXPECT_TRUE(unmeasured["deployRouterdReadySeconds"].is_null());
}

TEST(DeriveEmbedded, DefaultsWhenAbsentAndVerbatimWhenGiven) {
  EXPECT_EQ(embedded_timings(std::nullopt),
            json({{"status", "na"}, {"thresholdSeconds", 60}, {"events", json::array()}}));
  EXPECT_EQ(embedded_protocols(std::nullopt)["summary"]["checks"], json::object());
  EXPECT_EQ(embedded_l2_loop(std::nullopt)["mechanism"], "");
  const json timing = testing::passing_timing();
  EXPECT_EQ(embedded_timings(doc(timing)), timing);
}

}  // namespace
}  // namespace labctl::evidence
