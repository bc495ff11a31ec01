#include <set>

#include "tests/integration/aws/ec2_fake_fixture.hpp"

namespace labctl::testing {
namespace {

// Resources in the fake (any region) that carry a run-id tag: a check must create none.
std::size_t tagged_anywhere(const nlohmann::json& state) {
  std::size_t count = 0;
  for (const auto& [region, kinds] : state["regions"].items()) {
    for (const auto& [kind, items] : kinds.items()) {
      for (const auto& item : items) {
        count += item.contains("tags") && item["tags"].contains("routerd.cloudedge.run_id");
      }
    }
  }
  return count;
}

// Given working credentials, expect every mutating call of the plan to be sent with
// DryRun=true and reported allowed, nothing created and no run recorded.
TEST_F(Ec2FakeTest, CheckPermissionsAllAllowed) {
  const auto check = live({"up", "--profile", "provider", "--provider", "aws",
                           "--check-permissions"});
  ASSERT_EQ(check.code, 0) << check.err;
  const auto summary = nlohmann::json::parse(check.out);
  ASSERT_FALSE(summary["checks"].empty());
  std::set<std::string> checked;
  for (const auto& c : summary["checks"]) {
    EXPECT_EQ(c["result"], "allowed") << c.dump();
    checked.insert(c["action"].get<std::string>());
  }
  EXPECT_TRUE(checked.contains("RunInstances"));
  EXPECT_TRUE(checked.contains("CreateKeyPair"));
  EXPECT_NE(check.err.find("would succeed"), std::string::npos) << check.err;
  for (const auto& call : call_log()) {
    const std::string action = call["action"];
    if (action.starts_with("Describe")) continue;
    EXPECT_TRUE(call["dry_run"].get<bool>()) << action << " sent without DryRun";
  }
  EXPECT_EQ(tagged_anywhere(fake_get("/_fake/state")), 0u);
  EXPECT_EQ(calls("RunInstances"), 3u);  // the provider profile's three aws nodes, dry
  const auto runs = labctl({"runs", "list", "--json"});
  EXPECT_EQ(runs.out.find("provider"), std::string::npos) << "a check recorded a run";
}

// Given credentials denied RunInstances, expect exit 4 naming RunInstances as denied.
TEST_F(Ec2FakeTest, CheckPermissionsDenied) {
  fake_post("/_fake/deny", {{"access_key_id", k_access_key}, {"actions", {"RunInstances"}}});
  const auto check = live({"up", "--profile", "provider", "--provider", "aws",
                           "--check-permissions"});
  EXPECT_EQ(check.code, 4) << check.err;
  EXPECT_NE(check.err.find("RunInstances"), std::string::npos) << check.err;
  const auto summary = nlohmann::json::parse(check.out);
  bool denied_run_instances = false;
  for (const auto& c : summary["checks"]) {
    if (c["action"] == "RunInstances") {
      denied_run_instances = c["result"] == "denied";
    } else {
      EXPECT_EQ(c["result"], "allowed") << c.dump();
    }
  }
  EXPECT_TRUE(denied_run_instances) << check.out;
  EXPECT_EQ(tagged_anywhere(fake_get("/_fake/state")), 0u);
}

// The policy must grant every action a real up+down sends (keeps it from drifting).
TEST_F(Ec2FakeTest, IamPolicyCoversEveryActionOfUpAndDown) {
  const auto policy_out = labctl({"iam-policy", "--profile", "provider"});
  ASSERT_EQ(policy_out.code, 0) << policy_out.err;
  const auto policy = nlohmann::json::parse(policy_out.out);
  EXPECT_EQ(policy["Version"], "2012-10-17");
  std::set<std::string> granted;
  for (const auto& statement : policy["Statement"]) {
    EXPECT_EQ(statement["Effect"], "Allow");
    ASSERT_TRUE(statement["Condition"].contains("StringEquals")) << statement.dump();
    EXPECT_TRUE(statement["Condition"]["StringEquals"].contains("ec2:Region"));
    for (const auto& action : statement["Action"]) granted.insert(action.get<std::string>());
  }

  const auto up = live({"up", "--profile", "provider", "--provider", "aws", "--ttl", "1h"});
  ASSERT_EQ(up.code, 0) << up.err;
  const std::string run_id = up.out.substr(0, up.out.find('\n'));
  const auto down = live({"down", "--run-id", run_id});
  ASSERT_EQ(down.code, 0) << down.err;

  std::set<std::string> sent;
  for (const auto& call : call_log()) sent.insert(call["action"].get<std::string>());
  ASSERT_TRUE(sent.contains("RunInstances"));
  for (const auto& action : sent) {
    EXPECT_TRUE(granted.contains("ec2:" + action)) << "the IAM policy lacks ec2:" << action;
  }
  // Mutations of existing resources are fenced by the run tag.
  for (const auto& statement : policy["Statement"]) {
    if (statement["Sid"] != "LabctlMutateOwnTagged") continue;
    EXPECT_EQ(statement["Condition"]["Null"]["aws:ResourceTag/routerd.cloudedge.run_id"],
              "false");
    const auto& actions = statement["Action"];
    EXPECT_NE(std::find(actions.begin(), actions.end(), "ec2:TerminateInstances"),
              actions.end());
  }
}

// Given the executor form for a run the state does not know, or mixed with --profile, expect a
// usage error naming the problem.
TEST_F(Ec2FakeTest, IamPolicyExecutorFormNeedsAKnownRunAndNoProfile) {
  const auto up = live({"up", "--profile", "provider", "--provider", "aws"});
  ASSERT_EQ(up.code, 0) << up.err;
  const auto unknown = live({"iam-policy", "--executor", "--run-id", "20200101T000000Z-cloudedge-x"});
  EXPECT_EQ(unknown.code, 2);
  EXPECT_NE(unknown.err.find("no run 20200101T000000Z-cloudedge-x"), std::string::npos)
      << unknown.err;
  const auto mixed = live({"iam-policy", "--executor", "--profile", "provider"});
  EXPECT_EQ(mixed.code, 2);
  EXPECT_NE(mixed.err.find("either --profile P, or --executor --run-id ID"), std::string::npos)
      << mixed.err;
}

}  // namespace
}  // namespace labctl::testing
