// The gated executor on oci (issue 15, seize parity) end to end through the CLI against the OCI
// fake: preflight, action plan/import/approve/execute on a router VNIC's OCID, a seize to the
// other router (OCI's own UpdatePrivateIp move: one call, one journal row, one ownership epoch),
// a stale replay fenced, an executed key never run again, undo, the executor's policy, and
// evidence judging the seize from the journal and the run from OCI's view.
#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/integration/oci/oci_fake_fixture.hpp"

namespace labctl::testing {
namespace {

using Json = nlohmann::json;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

class OciExecutor : public OciFakeTest {
 protected:
  // In the profile's default subnet (10.242.1.0/24), above the addresses the launches take.
  static constexpr const char* k_address = "10.242.1.60";

  void SetUp() override {
    OciFakeTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    const auto profile = write_oci_profile(
        "oci-executor", {{"oci-router-a", "router-a"}, {"oci-router-b", "router-b"}});
    const auto up = live({"up", "--profile", profile, "--ttl", "30m"});
    ASSERT_EQ(up.code, 0) << up.err;
    run_id = up.out.substr(0, up.out.find('\n'));
    const Json shown = show(run_id);
    for (const auto& r : shown.value("resources", Json::array())) {
      const Json attrs = r.value("attrs", Json::object());
      if (attrs.value("role", "") == "router-a") vnic_a = attrs.value("vnicId", "");
      if (attrs.value("role", "") == "router-b") vnic_b = attrs.value("vnicId", "");
    }
    ASSERT_FALSE(vnic_a.empty() || vnic_b.empty()) << shown.dump();
  }

  // `action plan` (no --region: the run recorded the VNIC's region) into a file, then import.
  // Returns the plan's keys: ensure-forwarding-enabled, assign-secondary-ip.
  std::pair<std::string, std::string> plan_and_import(const std::string& vnic,
                                                      const std::string& seize_from = "") {
    const auto file = tmp.path() / ("plan" + std::to_string(++m_plans) + ".json");
    std::vector<std::string> args{"action", "plan",      "--run-id", run_id,  "--eni",
                                  vnic,     "--address", k_address,  "--out", file.string()};
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

  // The VNICs holding k_address as a private IP in OCI's view (/_fake/state).
  std::vector<std::string> holders() const {
    std::vector<std::string> out;
    for (const auto& r : fake_get("/_fake/state").value("resources", Json::array())) {
      if (r.value("type", "") != "PrivateIp") continue;
      const Json& object = r["object"];
      if (object.value("ipAddress", "") == k_address) out.push_back(object.value("vnicId", ""));
    }
    return out;
  }

  std::string run_id;
  std::string vnic_a;  // oci-router-a's primary VNIC (OCID)
  std::string vnic_b;

 private:
  int m_plans = 0;
};

// Given an oci lab with two routers, expect: a capture on A's VNIC (a secondary private IP in
// OCI); its key never run again; a seize to B that moves the private IP with one PUT
// /privateIps/<id> (one journal row at epoch 2 recording the prior state of both VNICs) so only
// B holds it; the stale replay of A's capture fenced; evidence judging the four fencing
// assertions and providers.oci.providerState as passed; undo taking it off B; down clean.
TEST_F(OciExecutor, CaptureSeizeFenceUndoAndEvidence) {
  const auto [forwarding_a, assign_a] = plan_and_import(vnic_a);
  EXPECT_EQ(assign_a, run_id + "/assign-secondary-ip/" + vnic_a + "/" + k_address + "/e1");
  EXPECT_EQ(approve_and_execute(forwarding_a), "succeeded");
  EXPECT_EQ(approve_and_execute(assign_a), "succeeded");
  EXPECT_EQ(holders(), std::vector<std::string>{vnic_a}) << fake_get("/_fake/state").dump();

  // An executed key never runs again: nothing is sent that mutates.
  const auto before_again = mutations();
  const auto again = live({"action", "execute", assign_a, "--approved"});
  EXPECT_EQ(again.code, 0) << again.err;
  EXPECT_TRUE(contains(again.out, "not run again")) << again.out;
  EXPECT_EQ(mutations(), before_again);

  // The seize: B takes the address from A, OCI's own move.
  const auto creates = calls("POST /20160918/privateIps");
  const auto moves = calls("PUT /20160918/privateIps/");
  const auto deletes = calls("DELETE /20160918/privateIps/");
  const auto [forwarding_b, assign_b] = plan_and_import(vnic_b, vnic_a);
  EXPECT_EQ(assign_b, run_id + "/assign-secondary-ip/" + vnic_b + "/" + k_address + "/e2");
  EXPECT_EQ(approve_and_execute(forwarding_b), "succeeded");
  EXPECT_EQ(approve_and_execute(assign_b), "succeeded");
  EXPECT_EQ(holders(), std::vector<std::string>{vnic_b}) << fake_get("/_fake/state").dump();
  EXPECT_EQ(calls("PUT /20160918/privateIps/"), moves + 1);
  EXPECT_EQ(calls("POST /20160918/privateIps"), creates);
  EXPECT_EQ(calls("DELETE /20160918/privateIps/"), deletes);
  const auto seize = journal_row(assign_b);
  EXPECT_EQ(seize["status"], "succeeded") << seize.dump();
  EXPECT_EQ(seize["epoch"], 2);
  EXPECT_EQ(seize["parameters"]["previousHolder"], vnic_a);
  EXPECT_EQ(seize["observed"]["previousHolder"], vnic_a) << seize.dump();
  EXPECT_EQ(seize["observed"]["previousHolderHasAddress"], false);
  EXPECT_EQ(seize["observed"]["previousHolderPriorSecondaryIps"], Json::array({k_address}));

  // The stale replay of A's capture (epoch 1 < 2) is fenced and sends nothing.
  const auto before_replay = mutations();
  const auto replayed =
      live({"failover", "--provider", "oci", "--fault", "stale-replay", "--run-id", run_id});
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
  EXPECT_EQ(mutations(), before_replay);

  // Evidence: the seize judged from the journal, the run from OCI's view.
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
  EXPECT_EQ(result["providers"]["oci"].value("providerState", ""), "pass") << result.dump(2);
  const auto state = Json::parse(read_text(bundle / "provider-state.json"), nullptr, false);
  const Json& addresses = state["oci"]["detail"]["serviceAddresses"];
  ASSERT_EQ(addresses.size(), 1u) << state.dump(2);
  EXPECT_EQ(addresses[0]["heldBy"], vnic_b);

  // Undo of the seize takes the address off B (restore-prior: only what labctl changed).
  const auto undone = live({"action", "undo", assign_b});
  EXPECT_EQ(undone.code, 0) << undone.out << undone.err;
  EXPECT_EQ(holders(), std::vector<std::string>{});
  EXPECT_EQ(journal_row(assign_b)["status"], "rolledBack");
  const auto down = live({"down", "--run-id", run_id});
  EXPECT_EQ(down.code, 0) << down.err;
  EXPECT_EQ(tagged(run_id), std::vector<std::string>{});
}

// Given an oci lab, expect preflight (no --region) to pass for a free address on A's VNIC, to
// pass as reassignable for B once A holds it (naming A), and to fail for A itself; and the
// executor's policy to name exactly the private-ip and VNIC grants in the lab's compartment,
// listing the two router VNICs and excluding none.
TEST_F(OciExecutor, PreflightSeesTheSubnetAndThePolicyNamesTheRoutersVnics) {
  const auto out = tmp.path() / "preflight.json";
  const auto preflight = [&](const std::string& vnic) {
    const auto ran = live({"preflight", "--run-id", run_id, "--eni", vnic, "--address", k_address,
                           "--out", out.string()});
    EXPECT_TRUE(ran.code == 0 || ran.code == 1) << ran.err;
    return std::pair{ran.code, Json::parse(read_text(out), nullptr, false)};
  };
  const auto [free_code, free] = preflight(vnic_a);
  EXPECT_EQ(free_code, 0);
  EXPECT_EQ(free["result"], "pass") << free.dump(2);
  EXPECT_EQ(free["vnic"]["id"], vnic_a);
  EXPECT_EQ(free["subnet"]["cidrBlock"], "10.242.1.0/24");

  const auto [forwarding_a, assign_a] = plan_and_import(vnic_a);
  EXPECT_EQ(approve_and_execute(assign_a), "succeeded");
  const auto [taken_code, taken] = preflight(vnic_b);
  EXPECT_EQ(taken_code, 0) << taken.dump(2);
  EXPECT_EQ(taken["holder"]["vnic"], vnic_a) << taken.dump(2);
  EXPECT_TRUE(contains(taken["checks"].dump(), "reassignable")) << taken.dump(2);
  const auto [own_code, own] = preflight(vnic_a);
  EXPECT_EQ(own_code, 1) << own.dump(2);
  EXPECT_EQ(own["result"], "fail");

  const auto policy = live({"iam-policy", "--executor", "--run-id", run_id});
  ASSERT_EQ(policy.code, 0) << policy.err;
  const auto document = Json::parse(policy.out, nullptr, false);
  const std::string scope = std::string(" in compartment id ") + k_compartment;
  EXPECT_EQ(document["statements"],
            Json::array({"Allow group labctl-executor to use vnics" + scope,
                         "Allow group labctl-executor to manage private-ips" + scope,
                         "Allow group labctl-executor to use subnets" + scope}))
      << document.dump(2);
  std::vector<std::string> listed;
  for (const auto& v : document.value("vnics", Json::array())) listed.push_back(v["vnic"]);
  std::vector<std::string> expected{vnic_a, vnic_b};
  std::ranges::sort(listed);
  std::ranges::sort(expected);
  EXPECT_EQ(listed, expected) << document.dump(2);
  EXPECT_FALSE(document.contains("excluded")) << document.dump(2);
}

}  // namespace
}  // namespace labctl::testing
