// The azure custom role (`labctl iam-policy --provider azure`): derived from the very plan `up`
// sends, so every PUT's resource type has its write action, sorted, with no wildcard.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "core/profile.hpp"
#include "core/state_store.hpp"
#include "core/tags.hpp"
#include "providers/azure/azure_ops.hpp"
#include "tests/fakes/manual_clock.hpp"
#include "tests/support/temp_dir.hpp"

namespace labctl::providers::azure {
namespace {

constexpr const char* k_subscription = "5f1e0c2a-6b7d-4e8f-9a0b-1c2d3e4f5a6b";

// The RBAC type a PUT path names, derived here independently of azure_iam.cpp: the resource
// group's own type, or "<Namespace>/<type>[/<child type>]" after the last /providers/.
std::string put_type(const std::string& path) {
  std::vector<std::string> parts;
  for (std::size_t start = 1; start <= path.size();) {
    const auto end = std::min(path.find('/', start), path.size());
    parts.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  const auto providers = std::find(parts.rbegin(), parts.rend(), "providers");
  if (providers == parts.rend()) return "Microsoft.Resources/subscriptions/resourceGroups";
  auto at = providers.base();  // the namespace
  std::string type = *at++;
  for (; at != parts.end() && at + 1 != parts.end(); at += 2) type += "/" + *at;
  return type;
}

std::vector<std::string> actions_of(const nlohmann::ordered_json& role) {
  std::vector<std::string> out;
  for (const auto& action : role.at("Actions")) out.push_back(action.get<std::string>());
  return out;
}

bool has(const std::vector<std::string>& actions, const std::string& action) {
  return std::ranges::find(actions, action) != actions.end();
}

Operation put_op(const std::string& path) {
  Operation op;
  op.action = "PUT";
  op.params = {{"path", path}, {"api-version", "2022-07-01"}, {"body", nlohmann::json::object()}};
  return op;
}

class AzureIamTest : public labctl::testing::TempDirTest {
 protected:
  // The plan `up` would send for profiles/full.yaml's azure part.
  Plan full_plan() {
    auto loaded = profile::load(std::string(LABCTL_SOURCE_DIR) + "/profiles/full.yaml");
    EXPECT_TRUE(loaded) << loaded.error().message;
    m_profile = *loaded;
    auto store = state::Store::open(tmp.path() / "state");
    EXPECT_TRUE(store) << store.error().message;
    m_store = std::move(*store);
    m_run.run_id = "20261205T000000Z-cloudedge-iam";
    m_run.ttl_expires_at = "2026-12-05T01:00:00Z";
    const RunContext ctx{
        m_run,    m_profile, make_tags(m_run.run_id, "unit", m_run.ttl_expires_at, "azure", "unit"),
        *m_store, m_clock,   true};
    auto plan = plan_lab(ctx, k_subscription);
    EXPECT_TRUE(plan) << plan.error().message;
    return plan ? *plan : Plan{};
  }

  profile::Profile m_profile;
  std::unique_ptr<state::Store> m_store;
  state::RunRecord m_run;
  labctl::testing::ManualClock m_clock;
};

// Given the plan of the full profile, expect a write action for the type of every PUT in it,
// and read and delete actions for each of those types (teardown and discovery use them).
TEST_F(AzureIamTest, CoversEveryTypeThePlanPuts) {
  const Plan plan = full_plan();
  const auto role = role_definition(plan, k_subscription);
  const auto actions = actions_of(role);
  std::set<std::string> types;
  for (const auto& op : plan.operations) {
    if (op.action != "PUT") continue;
    types.insert(put_type(op.params.at("path").get<std::string>()));
  }
  ASSERT_GE(types.size(), 6u) << "the full profile's plan puts a group, NSG, VNet, PIP, NIC, VM";
  for (const auto& type : types) {
    EXPECT_TRUE(has(actions, type + "/write")) << type;
    EXPECT_TRUE(has(actions, type + "/read")) << type;
    EXPECT_TRUE(has(actions, type + "/delete")) << type;
  }
}

// Given the role of the full profile, expect the shape `az role definition create` takes:
// sorted unique Microsoft.* actions without wildcards, scoped to the subscription only.
TEST_F(AzureIamTest, RoleIsSortedUniqueAndScopedToTheSubscription) {
  const auto role = role_definition(full_plan(), k_subscription);
  EXPECT_EQ(role.at("Name"), "labctl-lab-operator");
  EXPECT_EQ(role.at("IsCustom"), true);
  EXPECT_FALSE(role.at("Description").get<std::string>().empty());
  EXPECT_EQ(role.at("NotActions"), nlohmann::ordered_json::array());
  EXPECT_EQ(role.at("DataActions"), nlohmann::ordered_json::array());
  EXPECT_EQ(role.at("NotDataActions"), nlohmann::ordered_json::array());
  EXPECT_EQ(role.at("AssignableScopes"),
            nlohmann::ordered_json::array({std::string("/subscriptions/") + k_subscription}));
  const auto actions = actions_of(role);
  EXPECT_TRUE(std::ranges::is_sorted(actions));
  EXPECT_EQ(std::ranges::adjacent_find(actions), actions.end()) << "duplicate action";
  for (const auto& action : actions) {
    EXPECT_TRUE(action.starts_with("Microsoft.")) << action;
    EXPECT_EQ(action.find('*'), std::string::npos) << action;
  }
}

// Given any plan, expect what labctl sends outside it: discovery, tag repair, the stop-active
// fault and the join actions ARM checks when a PUT attaches one resource to another.
TEST_F(AzureIamTest, AddsTheActionsOutsideThePlan) {
  const auto actions = actions_of(role_definition(Plan{}, k_subscription));
  for (const char* action :
       {"Microsoft.Resources/subscriptions/read",
        "Microsoft.Resources/subscriptions/resourceGroups/read",
        "Microsoft.Resources/subscriptions/resourceGroups/delete",
        "Microsoft.ResourceGraph/resources/read", "Microsoft.Resources/tags/write",
        "Microsoft.Compute/virtualMachines/powerOff/action",
        "Microsoft.Compute/virtualMachines/instanceView/read",
        "Microsoft.Network/networkInterfaces/join/action",
        "Microsoft.Network/publicIPAddresses/join/action",
        "Microsoft.Network/virtualNetworks/subnets/join/action",
        "Microsoft.Network/networkSecurityGroups/join/action"}) {
    EXPECT_TRUE(has(actions, action)) << action;
  }
}

// Given a plan that puts a type the fixed list does not name (and a child resource), expect its
// write, read and delete and its namespace's operation polling: the role follows the plan.
TEST_F(AzureIamTest, FollowsThePlanNotAFixedList) {
  const std::string group =
      std::string("/subscriptions/") + k_subscription + "/resourceGroups/labctl-r1";
  Plan plan;
  plan.operations.push_back(put_op(group + "/providers/Microsoft.Network/routeTables/rt"));
  plan.operations.push_back(
      put_op(group + "/providers/Microsoft.Network/virtualNetworks/v/subnets/s"));
  const auto actions = actions_of(role_definition(plan, k_subscription));
  for (const char* action :
       {"Microsoft.Network/routeTables/write", "Microsoft.Network/routeTables/read",
        "Microsoft.Network/routeTables/delete", "Microsoft.Network/virtualNetworks/subnets/write",
        "Microsoft.Network/locations/operations/read"}) {
    EXPECT_TRUE(has(actions, action)) << action;
  }
  EXPECT_FALSE(has(actions, "Microsoft.Network/virtualNetworks/write"))
      << "a subnet PUT is the subnet's write, not its VNet's";
  EXPECT_FALSE(has(actions, "Microsoft.Compute/virtualMachines/write"))
      << "no VM in the plan, no VM write";
}

}  // namespace
}  // namespace labctl::providers::azure
