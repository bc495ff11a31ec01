// Faults on azure (issue 14): `labctl failover --provider azure --fault stop-active` powers the
// run's active router VM off through ARM, behind the tag fence, waited and recorded; node faults
// never succeed silently; `labctl iam-policy --provider azure` prints the custom role. The ARM
// fake stands in for Azure.
#include <algorithm>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/integration/azure/arm_fake_fixture.hpp"

namespace labctl::testing {
namespace {

using Json = nlohmann::json;

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

class AzureFaults : public ArmFakeTest {
 protected:
  void SetUp() override {
    fake_args = {"--op-delay-ms", "20"};
    ArmFakeTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    profile = write_azure_profile("azure-faults", {{"azure-router-a", "router-a"}});
    const auto up = live({"up", "--profile", profile.string(), "--ttl", "30m"});
    ASSERT_EQ(up.code, 0) << up.err;
    run_id = first_line(up.out);
    const Json shown = show(run_id);
    for (const auto& r : shown["resources"]) {
      if (r["kind"] == "virtualMachine" && r["attrs"].value("role", "") == "router-a") {
        vm_id = r.value("cloudId", "");
      }
    }
    ASSERT_FALSE(vm_id.empty()) << shown.dump();
  }

  CommandOutput failover(const std::string& fault) const {
    return live({"failover", "--run-id", run_id, "--provider", "azure", "--fault", fault},
                {{"SSH_AUTH_SOCK", "\x01unset"}, {"CE_SSH_CONNECT_TIMEOUT", "2"}});
  }

  // The fake's VM `vm_id` (its power state in "power"), null when it has none.
  Json fake_vm() const {
    const Json state = fake_get("/_fake/state");
    for (const auto& r : state["resources"]) {
      if (r.value("id", "") == vm_id) return r;
    }
    return nullptr;
  }

  // The run's failover events with `result`, oldest first.
  std::vector<Json> events(const std::string& result) const {
    std::vector<Json> found;
    const Json shown = show(run_id);
    for (const auto& e : shown["events"]) {
      if (e["kind"] == "failover" && e["detail"].value("result", "") == result) {
        found.push_back(e["detail"]);
      }
    }
    return found;
  }

  std::filesystem::path profile;
  std::string run_id, vm_id;
};

// Given a live azure run, expect stop-active to power the active router VM off (exit 0), the
// fake to show it stopped, and the run to record the injected fault with the VM it stopped.
// Then, with no node left to reach over SSH, expect drain to fail with an error naming the VM's
// state (exit 3) and a failed event, never a silent success (one run for both: `up` is the
// slow part).
TEST_F(AzureFaults, StopActivePowersOffTheActiveRouterAndDrainThenFails) {
  const auto out = failover("stop-active");
  ASSERT_EQ(out.code, 0) << out.err;
  EXPECT_EQ(calls("powerOff"), 1u);
  EXPECT_EQ(fake_vm().value("power", ""), "stopped") << fake_vm().dump();
  const auto injected = events("injected");
  ASSERT_EQ(injected.size(), 1u);
  const Json& detail = injected.front()["detail"];
  EXPECT_EQ(detail.value("fault", ""), "stop-active");
  EXPECT_EQ(detail.value("node", ""), "azure-router-a");
  EXPECT_EQ(detail.value("vm", ""), vm_id);
  EXPECT_EQ(detail.value("powerState", ""), "stopped");
  EXPECT_FALSE(detail.value("stoppedAt", "").empty());

  const auto drain = failover("drain");
  EXPECT_EQ(drain.code, 3) << drain.err;
  EXPECT_NE(drain.err.find("not running"), std::string::npos) << drain.err;
  EXPECT_EQ(events("failed").size(), 1u);
  EXPECT_EQ(events("injected").size(), 1u) << "only the stop-active";
}

// Given the run's VM now tagged with another run, expect the fault refused (exit 4) and no
// powerOff sent: a fault never touches what the run did not create.
TEST_F(AzureFaults, RefusesVmTaggedWithAnotherRun) {
  (void)fake_post(
      "/_fake/seed",
      {{"resources", Json::array({{{"id", vm_id},
                                   {"type", "Microsoft.Compute/virtualMachines"},
                                   {"location", "westeurope"},
                                   {"tags", {{"routerd.cloudedge.run_id", "someone-elses-run"}}},
                                   {"power", "running"}}})}});
  const auto out = failover("stop-active");
  EXPECT_EQ(out.code, 4) << out.err;
  EXPECT_NE(out.err.find("not tagged"), std::string::npos) << out.err;
  EXPECT_EQ(calls("powerOff"), 0u);
  EXPECT_EQ(fake_vm().value("power", ""), "running");
}

using AzureState = AzureFaults;

// Given a live azure run, expect evidence's providers.azure.providerState pass from ARM's view
// (the group tagged, the VM Succeeded and running); after stop-active still pass with the VM
// expected stopped; and fail once the VM runs again behind labctl's back, naming it.
TEST_F(AzureState, JudgedFromArmsViewOfTheRun) {
  const auto collect = [&](const std::string& name) {
    const auto out = tmp.path() / name;
    const auto collected = live({"evidence", "collect", "--run-id", run_id, "--out", out.string()});
    EXPECT_TRUE(collected.code == 0 || collected.code == 1) << collected.err;
    const auto file = out / "provider-state.json";
    return std::filesystem::exists(file) ? Json::parse(read_text(file), nullptr, false)["azure"]
                                         : Json(nullptr);
  };
  const Json fresh = collect("fresh");
  EXPECT_EQ(fresh.value("providerState", ""), "pass") << fresh.dump(2);
  ASSERT_EQ(fresh["detail"]["virtualMachines"].size(), 1u) << fresh.dump(2);
  EXPECT_EQ(fresh["detail"]["virtualMachines"][0]["powerState"], "running");
  EXPECT_EQ(fresh["detail"]["resourceGroup"]["exists"], true);

  ASSERT_EQ(failover("stop-active").code, 0);
  const Json stopped = collect("stopped");
  EXPECT_EQ(stopped.value("providerState", ""), "pass") << stopped.dump(2);
  EXPECT_EQ(stopped["detail"]["stoppedByFault"], Json::array({"azure-router-a"}));

  Json vm = fake_vm();
  vm["power"] = "running";
  (void)fake_post("/_fake/seed", {{"resources", Json::array({vm})}});
  const Json restarted = collect("restarted");
  EXPECT_EQ(restarted.value("providerState", ""), "fail") << restarted.dump(2);
  EXPECT_NE(restarted["detail"]["problems"].dump().find("running, expected stopped"),
            std::string::npos)
      << restarted.dump(2);
}

using AzureIamPolicy = ArmFakeTest;

// Given the full profile, expect `iam-policy --provider azure` to print a custom role whose
// Actions include the VM write and the powerOff action, scoped to the subscription.
TEST_F(AzureIamPolicy, IamPolicyPrintsTheCustomRole) {
  const auto out = live({"iam-policy", "--provider", "azure", "--profile", "full"});
  ASSERT_EQ(out.code, 0) << out.err;
  const Json role = Json::parse(out.out, nullptr, false);
  ASSERT_TRUE(role.is_object()) << out.out;
  EXPECT_EQ(role.value("Name", ""), "labctl-lab-operator");
  const auto& actions = role["Actions"];
  ASSERT_TRUE(actions.is_array());
  for (const char* action : {"Microsoft.Compute/virtualMachines/write",
                             "Microsoft.Compute/virtualMachines/powerOff/action",
                             "Microsoft.Resources/subscriptions/resourceGroups/write"}) {
    EXPECT_NE(std::find(actions.begin(), actions.end(), action), actions.end()) << action;
  }
  EXPECT_EQ(role["AssignableScopes"],
            Json::array({std::string("/subscriptions/") + k_subscription}));
}

}  // namespace
}  // namespace labctl::testing
