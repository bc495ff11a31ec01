// The gated executor on azure (issue 14, seize parity) end to end through the CLI against the
// ARM fake: preflight, action plan/import/approve/execute on a router NIC's ARM id, a seize to
// the other router (the address taken off the holder's NIC first, both PUTs one action under
// one ownership epoch), a stale replay fenced, an executed key never run again, undo, the
// executor's role, and evidence judging the seize from the journal and the run from ARM.
#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/integration/azure/arm_fake_fixture.hpp"

namespace labctl::testing {
namespace {

using Json = nlohmann::json;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

class AzureExecutor : public ArmFakeTest {
 protected:
  // In the profile's default subnet (10.241.1.0/24), above the addresses Dynamic hands out.
  static constexpr const char* k_address = "10.241.1.60";

  void SetUp() override {
    fake_args = {"--op-delay-ms", "20", "--retry-after-s", "0"};
    ArmFakeTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    const auto profile = tmp.path() / "azure-executor.yaml";
    write_text(profile,
               "name: azure-executor\nproviders: [azure]\nttl: 1h\nsites:\n"
               "  - name: azure\n    provider: azure\n    logical_address: 10.77.60.12\n"
               "    nodes:\n      - {name: azure-router-a, role: router-a}\n"
               "      - {name: azure-router-b, role: router-b}\n"
               "azure:\n  region: westeurope\n  operator_cidr: 198.51.100.0/24\n");
    const auto up = live({"up", "--profile", profile.string(), "--ttl", "30m"});
    ASSERT_EQ(up.code, 0) << up.err;
    run_id = up.out.substr(0, up.out.find('\n'));
    const Json shown = show(run_id);
    for (const auto& r : shown.value("resources", Json::array())) {
      const Json attrs = r.value("attrs", Json::object());
      if (attrs.value("role", "") == "router-a") nic_a = attrs.value("nicId", "");
      if (attrs.value("role", "") == "router-b") nic_b = attrs.value("nicId", "");
    }
    ASSERT_FALSE(nic_a.empty() || nic_b.empty()) << shown.dump();
  }

  // `action plan` (no --region: the run recorded the NIC's location) into a file, then import.
  // Returns the plan's keys: ensure-forwarding-enabled, assign-secondary-ip.
  std::pair<std::string, std::string> plan_and_import(const std::string& nic,
                                                      const std::string& seize_from = "") {
    const auto file = tmp.path() / ("plan" + std::to_string(++m_plans) + ".json");
    std::vector<std::string> args{"action", "plan",      "--run-id", run_id,  "--eni",
                                  nic,      "--address", k_address,  "--out", file.string()};
    if (!seize_from.empty()) args.insert(args.end(), {"--seize-from", seize_from});
    const auto planned = live(args);
    EXPECT_EQ(planned.code, 0) << planned.err;
    const Json plan = Json::parse(read_text(file), nullptr, false);
    const auto imported = live({"action", "import", file.string(), "--json"});
    EXPECT_EQ(imported.code, 0) << imported.err;
    const auto& actions = plan.value("actions", Json::array());
    if (actions.size() != 2) {
      ADD_FAILURE() << plan.dump();
      return {};
    }
    return {actions[0]["spec"].value("idempotencyKey", ""),
            actions[1]["spec"].value("idempotencyKey", "")};
  }

  // approve --by tester, then execute --approved; the result document's status.
  std::string approve_and_execute(const std::string& key) {
    const auto approved = live({"action", "approve", key, "--by", "tester"});
    EXPECT_EQ(approved.code, 0) << approved.err;
    const auto executed = live({"action", "execute", key, "--approved"});
    EXPECT_EQ(executed.code, 0) << executed.out << executed.err;
    return Json::parse(executed.out, nullptr, false)["status"].value("status", "");
  }

  Json journal_row(const std::string& key) const {
    const auto shown = live({"action", "show", key, "--json"});
    EXPECT_EQ(shown.code, 0) << shown.err;
    return Json::parse(shown.out, nullptr, false);
  }

  // The private addresses of every IP configuration of `nic` in ARM's view (/_fake/state).
  std::vector<std::string> addresses_of(const std::string& nic) const {
    std::vector<std::string> out;
    for (const auto& r : fake_get("/_fake/state").value("resources", Json::array())) {
      if (r.value("id", "") != nic) continue;
      for (const auto& c : r["properties"].value("ipConfigurations", Json::array())) {
        out.push_back(c["properties"].value("privateIPAddress", ""));
      }
    }
    return out;
  }
  bool holds(const std::string& nic) const {
    const auto all = addresses_of(nic);
    return std::find(all.begin(), all.end(), k_address) != all.end();
  }

  std::string run_id;
  std::string nic_a;  // azure-router-a's NIC (ARM id)
  std::string nic_b;

 private:
  int m_plans = 0;
};

// Given an azure lab with two routers, expect: a capture on A's NIC (the /32 as an IP
// configuration in ARM); its key never run again; a seize to B that takes the address off A
// first (PUT A, then PUT B, one journal row at epoch 2 recording both NICs' prior state) so only
// B holds it; the stale replay of A's capture fenced; evidence judging the four fencing
// assertions and providers.azure.providerState as passed; undo taking it off B; down clean.
TEST_F(AzureExecutor, CaptureSeizeFenceUndoAndEvidence) {
  const auto [forwarding_a, assign_a] = plan_and_import(nic_a);
  EXPECT_EQ(assign_a, run_id + "/assign-secondary-ip/" + nic_a + "/" + k_address + "/e1");
  EXPECT_EQ(approve_and_execute(forwarding_a), "succeeded");
  EXPECT_EQ(approve_and_execute(assign_a), "succeeded");
  EXPECT_TRUE(holds(nic_a)) << fake_get("/_fake/state").dump();
  EXPECT_FALSE(holds(nic_b));

  // An executed key never runs again: no PUT is sent.
  const auto puts = calls("PUT /subscriptions/");
  const auto again = live({"action", "execute", assign_a, "--approved"});
  EXPECT_EQ(again.code, 0) << again.err;
  EXPECT_TRUE(contains(again.out, "not run again")) << again.out;
  EXPECT_EQ(calls("PUT /subscriptions/"), puts);

  // The seize: B takes the address from A.
  const auto puts_a = calls("PUT " + nic_a);
  const auto puts_b = calls("PUT " + nic_b);
  const auto [forwarding_b, assign_b] = plan_and_import(nic_b, nic_a);
  EXPECT_EQ(assign_b, run_id + "/assign-secondary-ip/" + nic_b + "/" + k_address + "/e2");
  EXPECT_EQ(approve_and_execute(forwarding_b), "succeeded");
  EXPECT_EQ(approve_and_execute(assign_b), "succeeded");
  EXPECT_TRUE(holds(nic_b)) << fake_get("/_fake/state").dump();
  EXPECT_FALSE(holds(nic_a)) << "Azure has no reassignment: the holder must be emptied";
  EXPECT_EQ(calls("PUT " + nic_a), puts_a + 1);
  EXPECT_EQ(calls("PUT " + nic_b), puts_b + 1);
  std::size_t last_put_a = 0;
  std::size_t last_put_b = 0;
  const auto log = fake_get("/_fake/log");
  for (std::size_t i = 0; i < log.size(); ++i) {
    if (log[i].value("method", "") != "PUT") continue;
    if (log[i].value("path", "") == nic_a) last_put_a = i;
    if (log[i].value("path", "") == nic_b) last_put_b = i;
  }
  EXPECT_LT(last_put_a, last_put_b) << "the holder is emptied before the address is added";
  const auto seize = journal_row(assign_b);
  EXPECT_EQ(seize["status"], "succeeded") << seize.dump();
  EXPECT_EQ(seize["epoch"], 2);
  EXPECT_EQ(seize["parameters"]["previousHolder"], nic_a);
  EXPECT_EQ(seize["observed"]["previousHolder"], nic_a) << seize.dump();
  EXPECT_EQ(seize["observed"]["previousHolderHasAddress"], false);
  EXPECT_EQ(seize["observed"]["previousHolderPriorSecondaryIps"], Json::array({k_address}));

  // The stale replay of A's capture (epoch 1 < 2) is fenced and sends nothing.
  const auto puts_before_replay = calls("PUT /subscriptions/");
  const auto replayed =
      live({"failover", "--provider", "azure", "--fault", "stale-replay", "--run-id", run_id});
  EXPECT_EQ(replayed.code, 0) << replayed.err;
  const auto rows =
      Json::parse(live({"action", "list", "--run-id", run_id, "--json"}).out, nullptr, false);
  bool fenced = false;
  for (const auto& row : rows) {
    if (row.value("source", "") != "stale-replay") continue;
    EXPECT_EQ(row["status"], "skipped") << row.dump();
    EXPECT_EQ(row["resultMessage"], "stale action fenced: epoch 1 < current 2");
    fenced = true;
  }
  EXPECT_TRUE(fenced) << rows.dump();
  EXPECT_EQ(calls("PUT /subscriptions/"), puts_before_replay);

  // Evidence: the seize judged from the journal, the run from ARM's view.
  const auto bundle = tmp.path() / "evidence";
  const auto collected =
      live({"evidence", "collect", "--run-id", run_id, "--out", bundle.string()});
  ASSERT_TRUE(std::filesystem::exists(bundle / "result.json")) << collected.err;
  const auto result = Json::parse(read_text(bundle / "result.json"), nullptr, false);
  std::map<std::string, std::string> verdicts;
  for (const auto& a : result.value("assertions", Json::array())) {
    verdicts[a.value("name", "")] = a.value("result", "");
  }
  for (const std::string name :
       {"ownership_epoch_bumped", "stale_action_fenced",
        "allow_reassignment_maintained_until_success", "old_holder_residue_absent"}) {
    EXPECT_EQ(verdicts[name], "pass") << name << ": " << result.dump(2);
  }
  EXPECT_EQ(result["providers"]["azure"].value("providerState", ""), "pass") << result.dump(2);

  // Undo of the seize takes the address off B (restore-prior: only what labctl changed).
  const auto undone = live({"action", "undo", assign_b});
  EXPECT_EQ(undone.code, 0) << undone.out << undone.err;
  EXPECT_FALSE(holds(nic_b));
  EXPECT_EQ(journal_row(assign_b)["status"], "rolledBack");
  const auto down = live({"down", "--run-id", run_id});
  EXPECT_EQ(down.code, 0) << down.err;
  EXPECT_TRUE(tagged(run_id).empty());
}

// Given an azure lab, expect preflight (no --region) to pass for a free address on A's NIC and
// to fail once A holds it (naming A) for B; and the executor's role to hold exactly the NIC
// actions, assignable at the two router NICs and their subnet only.
TEST_F(AzureExecutor, PreflightSeesTheVnetAndThePolicyNamesTheRoutersNics) {
  const auto out = tmp.path() / "preflight.json";
  const auto free = live({"preflight", "--run-id", run_id, "--eni", nic_a, "--address", k_address,
                          "--out", out.string()});
  EXPECT_EQ(free.code, 0) << free.err;
  const auto document = Json::parse(read_text(out), nullptr, false);
  EXPECT_EQ(document["result"], "pass") << document.dump(2);
  EXPECT_EQ(document["nic"]["id"], nic_a);

  const auto [forwarding_a, assign_a] = plan_and_import(nic_a);
  EXPECT_EQ(approve_and_execute(assign_a), "succeeded");
  const auto taken = live({"preflight", "--run-id", run_id, "--eni", nic_b, "--address", k_address,
                           "--out", out.string()});
  EXPECT_EQ(taken.code, 1) << taken.err;
  const auto after = Json::parse(read_text(out), nullptr, false);
  EXPECT_EQ(after["result"], "fail");
  EXPECT_EQ(after["virtualNetwork"]["holders"], Json::array({nic_a})) << after.dump(2);

  const auto policy = live({"iam-policy", "--executor", "--run-id", run_id});
  ASSERT_EQ(policy.code, 0) << policy.err;
  const auto role = Json::parse(policy.out, nullptr, false);
  EXPECT_EQ(role["roleDefinition"]["Actions"],
            Json::array({"Microsoft.Network/locations/operations/read",
                         "Microsoft.Network/networkInterfaces/read",
                         "Microsoft.Network/networkInterfaces/write",
                         "Microsoft.Network/virtualNetworks/subnets/join/action"}))
      << role.dump(2);
  std::vector<std::string> scopes;
  for (const auto& a : role.value("assignments", Json::array())) scopes.push_back(a["scope"]);
  const std::string subnet = document["subnet"]["id"];
  std::vector<std::string> expected{nic_a, nic_b, subnet};
  std::ranges::sort(scopes);
  std::ranges::sort(expected);
  EXPECT_EQ(scopes, expected) << role.dump(2);
  EXPECT_FALSE(role.contains("excluded")) << role.dump(2);
}

}  // namespace
}  // namespace labctl::testing
