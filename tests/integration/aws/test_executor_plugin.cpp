// The executor's other faces against the EC2 fake: the routerd plugin (`labctl executor aws`,
// stdin to stdout), the read-only preflight, the executor's IAM policy, and the credential
// canary over a whole gated sequence.
#include <algorithm>
#include <set>

#include "core/json_schema.hpp"
#include "tests/integration/aws/executor_fixture.hpp"

namespace labctl::testing {
namespace {

class ExecutorPluginTest : public ExecutorTest {
 protected:
  // `action` on k_address (epoch 1) as a plugin request.
  static nlohmann::json plugin_request(const std::string& action, const std::string& eni_id,
                                       const std::string& mode, const std::string& run_id) {
    return action_request(action, eni_id, k_address, {{"ownershipEpoch", 1}}, mode,
                          run_id + "/" + action + "/" + eni_id + "/" + k_address + "/e1", run_id);
  }

  // Runs the plugin on `input`; expects exactly one ExecuteActionResult on stdout that matches
  // schemas/executor-result.schema.json, and returns it with the exit code.
  std::pair<int, nlohmann::json> plugin(const std::string& input,
                                        std::map<std::string, std::string> extra = {}) {
    const auto out = run_stdin({"executor", "aws"}, input, std::move(extra));
    const auto document = nlohmann::json::parse(out.out, nullptr, false);
    EXPECT_FALSE(document.is_discarded()) << "stdout is not one JSON document: " << out.out;
    const auto schema =
        read_text(std::string(LABCTL_SOURCE_DIR) + "/schemas/executor-result.schema.json");
    const auto errors = json_schema::validate_against(schema, document);
    EXPECT_TRUE(errors.has_value());
    if (errors) {
      for (const auto& e : *errors) ADD_FAILURE() << e.path << ": " << e.reason << "\n" << out.out;
    }
    return {out.code, document.value("status", nlohmann::json::object())};
  }
};

// Given a dry-run request, expect a succeeded "would" result and no mutating call, even with
// CE_DRY_RUN=0 (the fixture's live setting).
TEST_F(ExecutorPluginTest, DryRunRequestDescribesOnly) {
  const auto lab = up_lab();
  const auto [code, status] =
      plugin(plugin_request("assign-secondary-ip", lab.eni_a, "dry-run", lab.run_id).dump());
  EXPECT_EQ(code, 0);
  EXPECT_EQ(status["status"], "succeeded") << status.dump();
  EXPECT_TRUE(contains(status.value("message", ""), "would assign")) << status.dump();
  EXPECT_GT(calls("DescribeNetworkInterfaces"), 0U);
  EXPECT_EQ(mutating_eni_calls(), 0U);
  EXPECT_TRUE(secondary_ips(lab.eni_a).empty());
}

// Given an execute request, expect it refused (exit 4, nothing sent) unless CE_DRY_RUN=0, and
// then performed and visible in the fake.
TEST_F(ExecutorPluginTest, ExecuteMutatesOnlyWithDryRunOff) {
  const auto lab = up_lab();
  const auto input = plugin_request("assign-secondary-ip", lab.eni_a, "execute", lab.run_id).dump();
  const auto [refused_code, refused] = plugin(input, {{"CE_DRY_RUN", "\x01unset"}});
  EXPECT_EQ(refused_code, 4);
  EXPECT_EQ(refused["status"], "failed") << refused.dump();
  EXPECT_TRUE(contains(refused.value("message", ""), "CE_DRY_RUN")) << refused.dump();
  EXPECT_EQ(mutating_eni_calls(), 0U);

  const auto [code, status] = plugin(input, {{"CE_DRY_RUN", "0"}});
  EXPECT_EQ(code, 0);
  EXPECT_EQ(status["status"], "succeeded") << status.dump();
  EXPECT_EQ(status["undoAvailable"], true);
  EXPECT_EQ(secondary_ips(lab.eni_a), std::vector<std::string>{k_address});
  EXPECT_EQ(calls("AssignPrivateIpAddresses"), 1U);
}

// Given forwarding enabled through the plugin, expect its restore-prior undo to re-enable
// SourceDestCheck with the prior value it is given, and to be refused without one (exit 4).
TEST_F(ExecutorPluginTest, RestorePriorNeedsThePriorValue) {
  const auto lab = up_lab();
  const std::map<std::string, std::string> live_mode{{"CE_DRY_RUN", "0"}};
  const auto [on_code, on] =
      plugin(plugin_request("ensure-forwarding-enabled", lab.eni_a, "execute", lab.run_id).dump(),
             live_mode);
  ASSERT_EQ(on_code, 0) << on.dump();
  EXPECT_EQ(on["observed"]["priorSourceDestCheck"], true) << on.dump();
  EXPECT_FALSE(source_dest_check(lab.eni_a));

  auto off = plugin_request("ensure-forwarding-disabled", lab.eni_a, "execute", lab.run_id);
  const auto modifies = calls("ModifyNetworkInterfaceAttribute");
  const auto [blind_code, blind] = plugin(off.dump(), live_mode);
  EXPECT_EQ(blind_code, 4);
  EXPECT_TRUE(contains(blind.value("message", ""), "undo not describable")) << blind.dump();
  EXPECT_EQ(calls("ModifyNetworkInterfaceAttribute"), modifies);
  EXPECT_FALSE(source_dest_check(lab.eni_a));

  off["spec"]["parameters"]["priorSourceDestCheck"] = true;
  const auto [restore_code, restored] = plugin(off.dump(), live_mode);
  EXPECT_EQ(restore_code, 0) << restored.dump();
  EXPECT_EQ(restored["status"], "succeeded");
  EXPECT_TRUE(source_dest_check(lab.eni_a));
}

// Given malformed input (not JSON; JSON that breaks the contract), expect a failed result and
// exit 2; given an ENI of another run, or of no lab run, a failed hard stop and exit 4.
TEST_F(ExecutorPluginTest, BadRequestsStillGetOneResult) {
  const auto lab = up_lab();
  const auto [garbled_code, garbled] = plugin("{ not json");
  EXPECT_EQ(garbled_code, 2);
  EXPECT_EQ(garbled["status"], "failed") << garbled.dump();

  auto misspelt = plugin_request("assign-secondary-ip", lab.eni_a, "dry-run", lab.run_id);
  misspelt["spec"]["idempotencyKeys"] = "typo";
  const auto [misspelt_code, rejected] = plugin(misspelt.dump());
  EXPECT_EQ(misspelt_code, 2);
  EXPECT_EQ(rejected["status"], "failed") << rejected.dump();

  const auto other_run = plugin_request("ensure-forwarding-enabled", lab.eni_a, "dry-run",
                                        "20260101T000000Z-cloudedge-other");
  const auto [other_code, other] = plugin(other_run.dump());
  EXPECT_EQ(other_code, 4) << "the ENI is another run's";
  EXPECT_TRUE(contains(other.value("message", ""), "hard stop")) << other.dump();

  const auto stray = plugin_request("ensure-forwarding-enabled", seed_foreign_eni(), "execute", "");
  const auto [stray_code, stopped] = plugin(stray.dump());
  EXPECT_EQ(stray_code, 4);
  EXPECT_TRUE(contains(stopped.value("message", ""), "hard stop")) << stopped.dump();
  EXPECT_EQ(mutating_eni_calls(), 0U);
}

// Given hostile stdin — a 40,000-character nicRef, a 40,000-character key, a key with a newline,
// parameters nested 100,000 deep, an ownershipEpoch of "1" / 1e300 / -1 / missing, bad UTF-8,
// 1e400, two documents — expect exactly one failed result naming the problem, exit 2, nothing
// described or sent.
TEST_F(ExecutorPluginTest, HostileRequestsStillGetExactlyOneResult) {
  const auto lab = up_lab();
  const auto describes = calls("DescribeNetworkInterfaces");
  const auto good = plugin_request("assign-secondary-ip", lab.eni_a, "dry-run", lab.run_id);
  std::vector<std::pair<std::string, std::string>> inputs;  // input, a word the result names
  auto long_ref = good;
  long_ref["spec"]["target"]["nicRef"] = "eni-" + std::string(40000, 'a');
  inputs.emplace_back(long_ref.dump(), "nicRef");
  auto long_key = good;
  long_key["spec"]["idempotencyKey"] = std::string(40000, 'k');
  inputs.emplace_back(long_key.dump(), "idempotencyKey");
  auto forged_key = good;
  forged_key["spec"]["idempotencyKey"] = "k\n{\"status\":\"succeeded\"}";
  inputs.emplace_back(forged_key.dump(), "idempotencyKey");
  for (const char* epoch : {"\"1\"", "1e300", "-1", "1.5"}) {
    auto bad_epoch = good;
    bad_epoch["spec"]["parameters"]["ownershipEpoch"] = nlohmann::json::parse(epoch);
    inputs.emplace_back(bad_epoch.dump(), "ownershipEpoch");
  }
  auto no_epoch = good;
  no_epoch["spec"]["parameters"].erase("ownershipEpoch");
  inputs.emplace_back(no_epoch.dump(), "ownershipEpoch");
  auto deep = good.dump();
  deep.replace(deep.find("\"parameters\":{"), 14,
               "\"parameters\":{\"x\":" + std::string(100000, '[') + std::string(100000, ']') +
                   ",");
  inputs.emplace_back(deep, "nested deeper");
  inputs.emplace_back("{\"apiVersion\":\"\xff\xfe\"}", "stdin");
  inputs.emplace_back(good.dump() + good.dump(), "stdin");
  auto huge_number = good.dump();
  huge_number.replace(huge_number.find("\"ownershipEpoch\":1"), 18, "\"ownershipEpoch\":1e400");
  inputs.emplace_back(huge_number, "stdin");
  for (const auto& [input, word] : inputs) {
    const auto out = run_stdin({"executor", "aws"}, input);
    EXPECT_EQ(out.code, 2) << word << ": " << out.err.substr(0, 300);
    EXPECT_EQ(std::count(out.out.begin(), out.out.end(), '\n'), 1) << "one result: " << word;
    const auto [code, status] = plugin(input);
    EXPECT_EQ(code, 2);
    EXPECT_EQ(status["status"], "failed") << word;
    EXPECT_TRUE(contains(status.value("message", ""), word))
        << word << ": " << status.value("message", "").substr(0, 300);
  }
  EXPECT_EQ(calls("DescribeNetworkInterfaces"), describes);
  EXPECT_EQ(mutating_eni_calls(), 0U);
}

// Given a free address, expect preflight to pass (exit 0) and write preflight.json; once the
// address is captured, expect address-not-assigned to fail (exit 1).
TEST_F(ExecutorTest, PreflightChecksTheAddressIsFree) {
  const auto lab = up_lab();
  const std::vector<std::string> args{"preflight", "--run-id",  lab.run_id, "--eni",
                                      lab.eni_a,   "--address", k_address};
  const auto clear = run(args);
  ASSERT_EQ(clear.code, 0) << clear.err;
  const auto path = state_dir / "runs" / lab.run_id / "preflight.json";
  EXPECT_EQ(clear.out, path.string() + "\n");
  const auto check_status = [&](const std::string& name) {
    const auto document = nlohmann::json::parse(read_text(path), nullptr, false);
    for (const auto& c : document.value("checks", nlohmann::json::array())) {
      if (c.value("name", "") == name) return c.value("status", "");
    }
    return std::string("missing");
  };
  EXPECT_EQ(check_status("address-not-assigned"), "pass");
  EXPECT_EQ(check_status("eni-is-lab-resource"), "pass");
  EXPECT_EQ(nlohmann::json::parse(read_text(path))["result"], "pass");
  EXPECT_EQ(mutating_eni_calls(), 0U);

  (void)capture(lab, lab.eni_a);
  const auto taken = run(args);
  EXPECT_EQ(taken.code, 1) << taken.err;
  EXPECT_EQ(check_status("address-not-assigned"), "fail");
  EXPECT_EQ(nlohmann::json::parse(read_text(path))["result"], "fail");

  const auto outside =
      run({"preflight", "--run-id", lab.run_id, "--eni", lab.eni_b, "--address", "10.9.9.9"});
  EXPECT_EQ(outside.code, 1) << outside.err;
  EXPECT_EQ(check_status("address-in-subnet"), "fail");
  EXPECT_EQ(check_status("address-not-assigned"), "pass");
}

// Expect the executor policy to allow exactly describe (region-bound) and the three ENI
// mutations on the run's router ENIs, by ARN with the account the fake reports.
TEST_F(ExecutorTest, IamPolicyIsScopedToTheRunsEnis) {
  const auto lab = up_lab();
  const auto out = run({"iam-policy", "--executor", "--run-id", lab.run_id});
  ASSERT_EQ(out.code, 0) << out.err;
  const auto policy = nlohmann::json::parse(out.out, nullptr, false);
  ASSERT_EQ(policy["Statement"].size(), 2U) << out.out;
  std::set<std::string> actions;
  std::set<std::string> resources;
  for (const auto& statement : policy["Statement"]) {
    EXPECT_EQ(statement["Effect"], "Allow");
    const auto& action = statement["Action"];
    if (action.is_string()) actions.insert(action.get<std::string>());
    for (const auto& a : action.is_array() ? action : nlohmann::json::array()) {
      actions.insert(a.get<std::string>());
    }
    if (action == "ec2:DescribeNetworkInterfaces") {
      EXPECT_EQ(statement["Condition"]["StringEquals"]["ec2:Region"], "us-east-1") << out.out;
      continue;
    }
    const auto& resource = statement["Resource"];
    if (resource.is_string()) resources.insert(resource.get<std::string>());
    for (const auto& r : resource.is_array() ? resource : nlohmann::json::array()) {
      resources.insert(r.get<std::string>());
    }
  }
  EXPECT_EQ(actions, (std::set<std::string>{
                         "ec2:DescribeNetworkInterfaces", "ec2:AssignPrivateIpAddresses",
                         "ec2:UnassignPrivateIpAddresses", "ec2:ModifyNetworkInterfaceAttribute"}));
  const auto arn = [&](const std::string& eni_id) {
    return "arn:aws:ec2:us-east-1:" + eni(eni_id).value("OwnerId", "") + ":network-interface/" +
           eni_id;
  };
  EXPECT_FALSE(eni(lab.eni_a).value("OwnerId", "").empty());
  EXPECT_EQ(resources, (std::set<std::string>{arn(lab.eni_a), arn(lab.eni_b)})) << out.out;
}

// Given a preflight, a capture, a seize and a fenced stale replay, expect the evidence bundle to
// carry preflight.json and judge the fencing assertions from the journal as passed.
TEST_F(ExecutorTest, EvidenceJudgesFencingFromTheJournal) {
  const auto lab = up_lab();
  ASSERT_EQ(
      run({"preflight", "--run-id", lab.run_id, "--eni", lab.eni_a, "--address", k_address}).code,
      0);
  (void)capture(lab, lab.eni_a);
  (void)capture(lab, lab.eni_b, lab.eni_a);
  ASSERT_EQ(
      run({"failover", "--provider", "aws", "--fault", "stale-replay", "--run-id", lab.run_id})
          .code,
      0);
  const auto bundle = tmp.path() / "evidence";
  const auto collected =
      run({"evidence", "collect", "--run-id", lab.run_id, "--out", bundle.string()});
  ASSERT_TRUE(std::filesystem::exists(bundle / "result.json")) << collected.err;
  EXPECT_TRUE(std::filesystem::exists(bundle / "preflight.json"));
  const auto result = nlohmann::json::parse(read_text(bundle / "result.json"), nullptr, false);
  std::map<std::string, std::string> verdicts;
  for (const auto& a : result.value("assertions", nlohmann::json::array())) {
    verdicts[a.value("name", "")] = a.value("result", "");
  }
  for (const std::string name :
       {"ownership_epoch_bumped", "stale_action_fenced",
        "allow_reassignment_maintained_until_success", "old_holder_residue_absent"}) {
    EXPECT_EQ(verdicts[name], "pass") << name << ": " << result.dump(2);
  }
}

// Given a whole gated sequence (preflight, capture, seize, both executor faults, the plugin,
// down, evidence), expect neither dummy secret anywhere: every command's output, the state
// directory's files (state.db bytes, preflight.json), the evidence bundle and the journal JSON.
TEST_F(ExecutorTest, CredentialCanaryNeverLeaks) {
  // Request logging on, as JSON with every field (headers included): it must redact too.
  run_env = {{"CE_AWS_DEBUG", "1"}, {"CE_LOG_FORMAT", "json"}};
  const auto lab = up_lab();
  EXPECT_EQ(
      run({"preflight", "--run-id", lab.run_id, "--eni", lab.eni_a, "--address", k_address}).code,
      0);
  (void)capture(lab, lab.eni_a);
  (void)capture(lab, lab.eni_b, lab.eni_a);
  EXPECT_EQ(
      run({"failover", "--provider", "aws", "--fault", "stale-replay", "--run-id", lab.run_id})
          .code,
      0);
  const auto credentials = write_scoped_credentials("scoped");
  fake_post("/_fake/deny", {{"access_key_id", k_scoped_access_key}, {"actions", {"*mutating*"}}});
  EXPECT_EQ(
      run({"failover", "--provider", "aws", "--fault", "executor-fail", "--run-id", lab.run_id},
          {{"CE_AWS_EXECUTOR_FAIL_PROFILE", "scoped"}})
          .code,
      0);
  const auto keys = approved_assign(lab, lab.eni_a, lab.eni_b);
  const auto denied = run({"action", "execute", keys.assign, "--approved"},
                          {{"AWS_SHARED_CREDENTIALS_FILE", credentials.string()}});
  EXPECT_EQ(denied.code, 3) << "the scoped identity must have been used: " << denied.err;
  (void)run_stdin({"executor", "aws"}, "{ not json");
  (void)run({"iam-policy", "--executor", "--run-id", lab.run_id});
  const auto journal = journal_rows(lab.run_id).dump();
  (void)run({"action", "show", keys.forwarding});
  EXPECT_EQ(run({"down", "--run-id", lab.run_id}).code, 0);
  const auto bundle = tmp.path() / "evidence";
  const auto collected =
      run({"evidence", "collect", "--run-id", lab.run_id, "--out", bundle.string()});
  // 0 pass or 1 fail: either way the bundle was written, and it must be scanned.
  ASSERT_TRUE(collected.code == 0 || collected.code == 1) << collected.err;

  std::string state_files;
  std::string bundle_files;
  for (const auto& [dir, into] : {std::pair{state_dir, &state_files}, {bundle, &bundle_files}}) {
    ASSERT_TRUE(std::filesystem::is_directory(dir)) << dir;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
      if (entry.is_regular_file()) *into += read_text(entry.path());
    }
  }
  // The bundle was really read: it holds the run and the journal's fencing facts.
  EXPECT_TRUE(contains(bundle_files, lab.run_id)) << "the bundle was not scanned";
  EXPECT_TRUE(contains(bundle_files, "stale_action_fenced"));
  const std::string files = state_files + bundle_files;
  EXPECT_TRUE(contains(files, lab.eni_a)) << "the state files hold the journal";
  EXPECT_TRUE(contains(transcript, "\"event\":\"aws.request\"")) << "request logging was on";
  for (const std::string secret : {k_canary_secret, k_scoped_secret}) {
    EXPECT_FALSE(contains(transcript, secret)) << "a command printed a secret";
    EXPECT_FALSE(contains(files, secret)) << "a secret reached the state directory";
    EXPECT_FALSE(contains(journal, secret)) << "a secret reached the journal";
  }
}

}  // namespace
}  // namespace labctl::testing
