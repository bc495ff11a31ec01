// The gated executor's actions on azure (issue 14), end to end as far as the contract lets an
// ARM id through today: `labctl action plan` on an azure run builds the azure runner from the
// registry (reader from the command's ARM client factory, writer with a throttling-only retry
// policy) and probes the NIC read-only over TLS with a real token; the tag fence refuses a NIC
// that is not the run's. The ARM fake stands in for Azure.
#include <string>

#include <gtest/gtest.h>

#include "tests/integration/azure/arm_fake_fixture.hpp"

namespace labctl::testing {
namespace {

using Json = nlohmann::json;

class AzureActions : public ArmFakeTest {
 protected:
  static constexpr const char* k_address = "10.241.1.50";

  void SetUp() override {
    fake_args = {"--op-delay-ms", "20", "--retry-after-s", "0"};
    ArmFakeTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    const auto profile = write_azure_profile("azure-actions", {{"azure-router-a", "router-a"}});
    const auto up = live({"up", "--profile", profile, "--ttl", "30m"});
    ASSERT_EQ(up.code, 0) << up.err;
    run_id = up.out.substr(0, up.out.find('\n'));
    resources = show(run_id)["resources"];
    for (const auto& r : resources) {
      if (r["kind"] == "networkInterface") nic_id = r.value("cloudId", "");
    }
    ASSERT_FALSE(nic_id.empty()) << resources.dump();
  }

  CommandOutput plan(const std::string& nic) const {
    return live({"action", "plan", "--run-id", run_id, "--eni", nic, "--address", k_address,
                 "--region", "westeurope"});
  }

  std::string run_id;
  std::string nic_id;
  Json resources;  // the run's state rows after up
};

// Given an azure run, expect `action plan` to probe its router NIC with GETs only and print the
// capture plan (forwarding, then the assign carrying epoch 1) naming the NIC's ARM id; and a
// NIC that is not the run's refused by the tag fence.
TEST_F(AzureActions, PlanProbesTheRunsNicReadOnlyAndFencesAForeignOne) {
  const auto puts_before = calls("PUT /subscriptions/");
  const auto gets_before = calls("GET " + nic_id);
  const auto planned = plan(nic_id);
  ASSERT_EQ(planned.code, 0) << planned.err;
  const Json document = Json::parse(planned.out, nullptr, false);
  ASSERT_EQ(document.value("kind", ""), "ActionPlan") << planned.out;
  ASSERT_EQ(document["actions"].size(), 2U) << planned.out;
  const auto& assign = document["actions"][1]["spec"];
  EXPECT_EQ(assign["action"], "assign-secondary-ip");
  EXPECT_EQ(assign["provider"], "azure");
  EXPECT_EQ(assign["target"]["nicRef"], nic_id);
  EXPECT_EQ(assign["parameters"]["ownershipEpoch"], 1);
  EXPECT_GE(calls("GET " + nic_id), gets_before + 2) << "each action describes the NIC";
  EXPECT_EQ(calls("PUT /subscriptions/"), puts_before) << "a plan must only describe";
  EXPECT_NE(planned.err.find("would add ipConfiguration labctl-10-241-1-50"), std::string::npos)
      << planned.err;

  // A NIC without the run's tag in the same subscription: refused (exit 4, the tag fence),
  // nothing sent to it but the describe. (One test: each `up` costs seconds.)
  const std::string foreign = nic_id.substr(0, nic_id.rfind('/') + 1) + "foreign-nic";
  std::string subnet;
  for (const auto& r : resources) {
    if (r["kind"] == "virtualNetwork") subnet = r.value("cloudId", "") + "/subnets/lab";
  }
  ASSERT_FALSE(subnet.empty());
  const auto created = fake_request(
      "PUT", foreign + "?api-version=2022-07-01",
      {{"location", "westeurope"},
       {"properties",
        {{"ipConfigurations", Json::array({{{"name", "ipconfig1"},
                                            {"properties",
                                             {{"subnet", {{"id", subnet}}},
                                              {"privateIPAllocationMethod", "Dynamic"}}}}})}}}},
      fake_token());
  ASSERT_TRUE(created.status == 200 || created.status == 201) << created.body.dump();
  const auto foreign_puts = calls("PUT " + foreign);
  const auto refused = plan(foreign);
  EXPECT_EQ(refused.code, 4) << refused.err;
  EXPECT_NE(refused.err.find("not a lab resource"), std::string::npos) << refused.err;
  EXPECT_EQ(calls("PUT " + foreign), foreign_puts);
}

}  // namespace
}  // namespace labctl::testing
