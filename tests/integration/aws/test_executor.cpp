// The gated provider-action path (issue #6, the aws-provider-executor runbook) end to end:
// labctl action plan/import/approve/execute/undo against the EC2 fake, judged from the fake's
// state and call log, the journal and the exit codes.
#include <algorithm>
#include <csignal>

#include "tests/integration/aws/executor_fixture.hpp"

namespace labctl::testing {
namespace {

bool has(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

// Given a fresh aws run, when the runbook's sequence runs (plan, import, approve, execute
// --approved), expect the ENI to hold the address with SourceDestCheck off and the journal to
// record who approved it, when it ran and the SourceDestCheck it found.
TEST_F(ExecutorTest, RunbookSequenceCapturesTheAddressAndRecordsThePriorState) {
  const auto lab = up_lab();
  const auto file = plan(lab, lab.eni_a);
  const auto keys = keys_of(file);
  EXPECT_EQ(keys.forwarding, lab.run_id + "/ensure-forwarding-enabled/" + lab.eni_a + "/-/e1");
  EXPECT_EQ(keys.assign,
            lab.run_id + "/assign-secondary-ip/" + lab.eni_a + "/" + k_address + "/e1");
  EXPECT_EQ(mutating_eni_calls(), 0U) << "plan must only describe";

  const auto imported = run({"action", "import", file.string(), "--json"});
  ASSERT_EQ(imported.code, 0) << imported.err;
  const auto reports = nlohmann::json::parse(imported.out, nullptr, false);
  ASSERT_EQ(reports.size(), 2U) << imported.out;
  for (const auto& r : reports) EXPECT_EQ(r["outcome"], "inserted") << r.dump();
  const auto rows = journal_rows(lab.run_id);
  EXPECT_EQ(rows.size(), 2U) << rows.dump();
  for (const auto& row : rows) EXPECT_EQ(row["status"], "pending");

  for (const auto& key : {keys.forwarding, keys.assign}) {
    const auto executed = approve_and_execute(key);
    ASSERT_EQ(executed.code, 0) << executed.out << executed.err;
    const auto result = nlohmann::json::parse(executed.out, nullptr, false);
    EXPECT_EQ(result["status"]["status"], "succeeded") << executed.out;
  }

  EXPECT_TRUE(has(secondary_ips(lab.eni_a), k_address)) << eni(lab.eni_a).dump();
  EXPECT_FALSE(source_dest_check(lab.eni_a));
  const auto forwarding = journal_row(keys.forwarding);
  EXPECT_EQ(forwarding["status"], "succeeded");
  EXPECT_EQ(forwarding["observed"]["priorSourceDestCheck"], true) << forwarding.dump();
  const auto assign = journal_row(keys.assign);
  EXPECT_EQ(assign["status"], "succeeded");
  EXPECT_EQ(assign["epoch"], 1);
  for (const auto& row : {forwarding, assign}) {
    EXPECT_EQ(row["approvedBy"], "tester");
    EXPECT_FALSE(row["approvedAt"].get<std::string>().empty());
    EXPECT_FALSE(row["executedAt"].get<std::string>().empty());
  }

  // The ENI was described before each mutation (the prior state comes from the fake, not a guess).
  const auto log = call_log();
  bool described = false;
  std::size_t modifies = 0;
  for (const auto& call : log) {
    const std::string action = call.value("action", "");
    if (action == "DescribeNetworkInterfaces") described = true;
    if (action == "ModifyNetworkInterfaceAttribute" || action == "AssignPrivateIpAddresses") {
      EXPECT_TRUE(described) << action << " sent before any describe";
      EXPECT_EQ(call["params"].value("NetworkInterfaceId", ""), lab.eni_a);
      described = false;
    }
    if (action == "ModifyNetworkInterfaceAttribute") {
      ++modifies;
      EXPECT_EQ(call["params"].value("SourceDestCheck.Value", ""), "false");
    }
    if (action == "AssignPrivateIpAddresses") {
      EXPECT_EQ(call["params"].value("PrivateIpAddress.1", ""), k_address);
      EXPECT_FALSE(call["params"].contains("AllowReassignment")) << "not a seize";
    }
  }
  EXPECT_EQ(modifies, 1U);
  EXPECT_EQ(calls("AssignPrivateIpAddresses"), 1U);
}

// Given an imported plan, expect a bare execute and an execute of an unapproved action to be
// refused (exit 4) without any mutating call.
TEST_F(ExecutorTest, ExecuteWithoutApprovalIsRefused) {
  const auto lab = up_lab();
  const auto keys = import_plan(lab, lab.eni_a);

  const auto pending = run({"action", "execute", keys.assign, "--approved"});
  EXPECT_EQ(pending.code, 4) << pending.err;
  EXPECT_TRUE(contains(pending.err, "not approved")) << pending.err;

  ASSERT_EQ(run({"action", "approve", keys.assign, "--by", "tester"}).code, 0);
  const auto bare = run({"action", "execute", keys.assign});
  EXPECT_EQ(bare.code, 4) << bare.err;
  EXPECT_TRUE(contains(bare.err, "bare execute")) << bare.err;

  EXPECT_EQ(mutating_eni_calls(), 0U);
  EXPECT_EQ(journal_row(keys.assign)["status"], "approved");
  EXPECT_EQ(journal_row(keys.forwarding)["status"], "pending");
  EXPECT_TRUE(secondary_ips(lab.eni_a).empty());
}

// Given a succeeded capture, expect executing it again to send nothing and re-importing its
// plan to change nothing (duplicate).
TEST_F(ExecutorTest, SucceededKeyNeverRunsAgain) {
  const auto lab = up_lab();
  const auto keys = capture(lab, lab.eni_a);
  const auto assigns = calls("AssignPrivateIpAddresses");
  const auto modifies = calls("ModifyNetworkInterfaceAttribute");
  ASSERT_EQ(assigns, 1U);
  ASSERT_EQ(modifies, 1U);

  for (const auto& key : {keys.forwarding, keys.assign}) {
    const auto again = run({"action", "execute", key, "--approved"});
    EXPECT_EQ(again.code, 0) << again.err;
    EXPECT_TRUE(contains(again.out, "not run again")) << again.out;
  }
  EXPECT_EQ(calls("AssignPrivateIpAddresses"), assigns);
  EXPECT_EQ(calls("ModifyNetworkInterfaceAttribute"), modifies);

  const auto reimported = run({"action", "import", keys.plan_file.string(), "--json"});
  ASSERT_EQ(reimported.code, 0) << reimported.err;
  for (const auto& r : nlohmann::json::parse(reimported.out, nullptr, false)) {
    EXPECT_EQ(r["outcome"], "duplicate") << r.dump();
  }
  for (const auto& key : {keys.forwarding, keys.assign}) {
    EXPECT_EQ(journal_row(key)["status"], "succeeded");
  }
  EXPECT_EQ(mutating_eni_calls(), assigns + modifies);
}

// Given an assign that failed (the fake refuses it once, not retryably), expect re-importing the
// plan to reset that key to pending, and the reset key to run once approved again.
TEST_F(ExecutorTest, FailedKeyIsResetToPendingByReimport) {
  const auto lab = up_lab();
  const auto keys = import_plan(lab, lab.eni_a);
  fake_post(
      "/_fake/faults",
      {{"action", "AssignPrivateIpAddresses"}, {"kind", "dependency_violation"}, {"count", 1}});
  const auto failed = approve_and_execute(keys.assign);
  EXPECT_EQ(failed.code, 3) << failed.out << failed.err;
  EXPECT_EQ(journal_row(keys.assign)["status"], "failed");

  const auto reimported = run({"action", "import", keys.plan_file.string(), "--json"});
  ASSERT_EQ(reimported.code, 0) << reimported.err;
  for (const auto& r : nlohmann::json::parse(reimported.out, nullptr, false)) {
    const bool failed_key = r["idempotencyKey"] == keys.assign;
    EXPECT_EQ(r["outcome"], failed_key ? "reset" : "duplicate") << r.dump();
  }
  EXPECT_EQ(journal_row(keys.assign)["status"], "pending");
  const auto retried = approve_and_execute(keys.assign);
  EXPECT_EQ(retried.code, 0) << retried.out << retried.err;
  EXPECT_TRUE(has(secondary_ips(lab.eni_a), k_address));
}

// Given a capture on an ENI whose SourceDestCheck was on, expect undo of the forwarding action
// to turn it back on and mark the original row rolledBack.
TEST_F(ExecutorTest, UndoRestoresAPriorSourceDestCheckOfTrue) {
  const auto lab = up_lab();
  const auto keys = capture(lab, lab.eni_a);
  ASSERT_FALSE(source_dest_check(lab.eni_a));
  const auto undone = run({"action", "undo", keys.forwarding});
  EXPECT_EQ(undone.code, 0) << undone.out << undone.err;
  EXPECT_TRUE(source_dest_check(lab.eni_a));
  EXPECT_EQ(journal_row(keys.forwarding)["status"], "rolledBack");
  const auto undo_row = journal_row(keys.forwarding + ":undo");
  EXPECT_EQ(undo_row["status"], "succeeded");
  EXPECT_EQ(undo_row["action"], "ensure-forwarding-disabled");
  const auto log = call_log();
  ASSERT_FALSE(log.empty());
  std::string last_value;
  for (const auto& call : log) {
    if (call.value("action", "") == "ModifyNetworkInterfaceAttribute") {
      last_value = call["params"].value("SourceDestCheck.Value", "");
    }
  }
  EXPECT_EQ(last_value, "true");

  const auto modifies = calls("ModifyNetworkInterfaceAttribute");
  const auto twice = run({"action", "undo", keys.forwarding});
  EXPECT_EQ(twice.code, 4) << "a rolled-back action cannot be undone again: " << twice.err;
  EXPECT_EQ(calls("ModifyNetworkInterfaceAttribute"), modifies);
}

// Given an ENI whose SourceDestCheck was already off before ensure-forwarding-enabled, expect
// the undo to be skipped (restore-prior: never re-enable blindly) with no modify sent.
TEST_F(ExecutorTest, UndoLeavesAPriorSourceDestCheckOfFalseAlone) {
  if (!aws_cli_available()) GTEST_SKIP() << "no /usr/bin/aws (Debian awscli)";
  const auto lab = up_lab();
  (void)aws_cli({"modify-network-interface-attribute", "--network-interface-id", lab.eni_a,
                 "--no-source-dest-check"});
  ASSERT_FALSE(source_dest_check(lab.eni_a));
  const auto modifies_by_cli = calls("ModifyNetworkInterfaceAttribute");
  const auto keys = capture(lab, lab.eni_a);
  const auto forwarding = journal_row(keys.forwarding);
  EXPECT_EQ(forwarding["observed"]["priorSourceDestCheck"], false) << forwarding.dump();
  EXPECT_EQ(calls("ModifyNetworkInterfaceAttribute"), modifies_by_cli)
      << "SourceDestCheck was already off: nothing to modify";

  const auto undone = run({"action", "undo", keys.forwarding});
  EXPECT_EQ(undone.code, 0) << undone.out << undone.err;
  const auto result = nlohmann::json::parse(undone.out, nullptr, false);
  EXPECT_EQ(result["status"]["status"], "skipped") << undone.out;
  EXPECT_TRUE(contains(result["status"].value("message", ""), "already false")) << undone.out;
  EXPECT_FALSE(source_dest_check(lab.eni_a));
  EXPECT_EQ(calls("ModifyNetworkInterfaceAttribute"), modifies_by_cli);
  EXPECT_EQ(journal_row(keys.forwarding + ":undo")["status"], "skipped");
  EXPECT_EQ(journal_row(keys.forwarding)["status"], "rolledBack");
}

// Given SourceDestCheck turned back on behind labctl's back, expect the undo to refuse (drift,
// exit 4) without sending anything and the original row to stay succeeded.
TEST_F(ExecutorTest, UndoRefusesSourceDestCheckDrift) {
  if (!aws_cli_available()) GTEST_SKIP() << "no /usr/bin/aws (Debian awscli)";
  const auto lab = up_lab();
  const auto keys = capture(lab, lab.eni_a);
  (void)aws_cli({"modify-network-interface-attribute", "--network-interface-id", lab.eni_a,
                 "--source-dest-check"});
  const auto before = mutating_eni_calls();
  const auto undone = run({"action", "undo", keys.forwarding});
  EXPECT_EQ(undone.code, 4) << undone.out << undone.err;
  EXPECT_TRUE(contains(undone.out + undone.err, "drift")) << undone.out << undone.err;
  EXPECT_EQ(mutating_eni_calls(), before);
  EXPECT_EQ(journal_row(keys.forwarding)["status"], "succeeded");
  EXPECT_EQ(journal_row(keys.forwarding + ":undo")["status"], "failed");
}

// Given the address removed from the ENI behind labctl's back, expect the undo of the assign
// to refuse (drift, exit 4) and send no UnassignPrivateIpAddresses.
TEST_F(ExecutorTest, UndoRefusesUnassignDrift) {
  if (!aws_cli_available()) GTEST_SKIP() << "no /usr/bin/aws (Debian awscli)";
  const auto lab = up_lab();
  const auto keys = capture(lab, lab.eni_a);
  (void)aws_cli({"unassign-private-ip-addresses", "--network-interface-id", lab.eni_a,
                 "--private-ip-addresses", k_address});
  ASSERT_FALSE(has(secondary_ips(lab.eni_a), k_address));
  const auto unassigns = calls("UnassignPrivateIpAddresses");
  const auto undone = run({"action", "undo", keys.assign});
  EXPECT_EQ(undone.code, 4) << undone.out << undone.err;
  EXPECT_TRUE(contains(undone.out + undone.err, "drift")) << undone.out << undone.err;
  EXPECT_EQ(calls("UnassignPrivateIpAddresses"), unassigns);
  EXPECT_EQ(journal_row(keys.assign)["status"], "succeeded");
}

// Given CE_DRY_RUN unset (the default), expect execute --approved to describe only: a dry-run
// result, the row still approved, no mutating call.
TEST_F(ExecutorTest, DryRunExecuteSendsNoMutatingRequest) {
  const auto lab = up_lab();
  const auto keys = approved_assign(lab, lab.eni_a);
  const auto dry =
      run({"action", "execute", keys.assign, "--approved"}, {{"CE_DRY_RUN", "\x01unset"}});
  EXPECT_EQ(dry.code, 0) << dry.err;
  const auto result = nlohmann::json::parse(dry.out, nullptr, false);
  EXPECT_TRUE(contains(result["status"].value("message", ""), "would assign")) << dry.out;
  EXPECT_EQ(journal_row(keys.assign)["status"], "approved");
  EXPECT_EQ(mutating_eni_calls(), 0U);
  EXPECT_TRUE(secondary_ips(lab.eni_a).empty());
}

// Given two execute processes racing for one approved capture, expect exactly one
// AssignPrivateIpAddresses: the journal's claim (and the run lease) lets only one run it.
TEST_F(ExecutorTest, ConcurrentExecutesSendOneMutation) {
  const auto lab = up_lab();
  const auto keys = approved_assign(lab, lab.eni_a);
  const std::vector<std::string> args{"action", "execute", keys.assign, "--approved"};
  auto first = spawn_live(args);
  auto second = spawn_live(args);
  const int first_code = first->wait();
  const int second_code = second->wait();
  for (const int code : {first_code, second_code}) {
    EXPECT_TRUE(code == 0 || code == 4) << code << first->err() << second->err();
  }
  EXPECT_TRUE(first_code == 0 || second_code == 0) << first->err() << second->err();
  EXPECT_EQ(calls("AssignPrivateIpAddresses"), 1U);
  EXPECT_EQ(journal_row(keys.assign)["status"], "succeeded");
  EXPECT_EQ(secondary_ips(lab.eni_a), std::vector<std::string>{k_address});
}

// Given an execute killed while its AssignPrivateIpAddresses was in flight, expect a later
// execute of that key to record an ambiguous-result hard stop (exit 4) and send nothing.
TEST_F(ExecutorTest, AnInterruptedExecuteIsNotReportedAsDone) {
  const auto lab = up_lab();
  const auto keys = approved_assign(lab, lab.eni_a);
  // The fake assigns, then holds the answer back; the fault leaves its list when taken.
  fake_post("/_fake/faults", {{"action", "AssignPrivateIpAddresses"},
                              {"kind", "hang"},
                              {"when", "after"},
                              {"hang_seconds", 3},
                              {"count", 1}});
  auto killed = spawn_live({"action", "execute", keys.assign, "--approved"});
  ASSERT_TRUE(eventually([&] { return fake_get("/_fake/faults")["faults"].empty(); }));
  killed->signal(SIGKILL);
  EXPECT_EQ(killed->wait(), 128 + SIGKILL);
  EXPECT_EQ(journal_row(keys.assign)["status"], "running");
  const auto again = run({"action", "execute", keys.assign, "--approved"});
  EXPECT_EQ(again.code, 4) << again.out << again.err;
  const auto row = journal_row(keys.assign);
  EXPECT_EQ(row["status"], "failed");
  EXPECT_TRUE(contains(row.value("resultMessage", ""), "hard stop: ambiguous result"))
      << row.dump();
  ASSERT_TRUE(eventually([&] { return calls("AssignPrivateIpAddresses") == 1; }));
  EXPECT_EQ(run({"action", "execute", keys.assign, "--approved"}).code, 4);
  EXPECT_EQ(calls("AssignPrivateIpAddresses"), 1U);
}

// Given an approved capture whose epoch a newer capture overtook before it ran, expect execute
// to fence it (skipped, exit 4) without sending anything.
TEST_F(ExecutorTest, ExecuteFencesAnApprovedActionWithAStaleEpoch) {
  const auto lab = up_lab();
  (void)capture(lab, lab.eni_a);                                // e1 on A
  const auto stale = import_plan(lab, lab.eni_b, lab.eni_a);  // e2 on B, not run yet
  ASSERT_EQ(run({"action", "approve", stale.assign, "--by", "tester"}).code, 0);
  (void)capture(lab, lab.eni_client, lab.eni_a);  // e2 on the client
  (void)capture(lab, lab.eni_a, lab.eni_client);  // e3 back on A
  ASSERT_EQ(secondary_ips(lab.eni_a), std::vector<std::string>{k_address});
  const auto mutations = mutating_eni_calls();

  const auto executed = run({"action", "execute", stale.assign, "--approved"});
  EXPECT_EQ(executed.code, 4) << executed.out << executed.err;
  const auto row = journal_row(stale.assign);
  EXPECT_EQ(row["status"], "skipped");
  EXPECT_EQ(row["resultMessage"], "stale action fenced: epoch 2 < current 3");
  EXPECT_EQ(mutating_eni_calls(), mutations);
  EXPECT_EQ(secondary_ips(lab.eni_a), std::vector<std::string>{k_address});
  EXPECT_TRUE(secondary_ips(lab.eni_b).empty());
}

// Given a capture that was undone, expect a new plan for the address to take the next epoch
// (epochs never go back: a new key, not the rolled-back one) and to capture it again.
TEST_F(ExecutorTest, RecaptureAfterUndoTakesTheNextEpoch) {
  const auto lab = up_lab();
  const auto first = capture(lab, lab.eni_a);
  ASSERT_EQ(run({"action", "undo", first.assign}).code, 0);
  ASSERT_EQ(run({"action", "undo", first.forwarding}).code, 0);
  ASSERT_TRUE(secondary_ips(lab.eni_a).empty());
  const auto again = capture(lab, lab.eni_a);
  EXPECT_EQ(again.assign,
            lab.run_id + "/assign-secondary-ip/" + lab.eni_a + "/" + k_address + "/e2");
  EXPECT_EQ(journal_row(again.assign)["status"], "succeeded");
  EXPECT_EQ(secondary_ips(lab.eni_a), std::vector<std::string>{k_address});
  EXPECT_FALSE(source_dest_check(lab.eni_a));
}

// Given CE_DRY_RUN unset, expect undo (and down) to report what it would do and change nothing.
TEST_F(ExecutorTest, DryRunUndoChangesNothing) {
  const auto lab = up_lab();
  const auto keys = capture(lab, lab.eni_a);
  const auto mutations = mutating_eni_calls();
  for (const auto& key : {keys.assign, keys.forwarding}) {
    const auto dry = run({"action", "undo", key}, {{"CE_DRY_RUN", "\x01unset"}});
    EXPECT_EQ(dry.code, 0) << dry.err;
    EXPECT_TRUE(contains(dry.out, "would")) << dry.out;
    EXPECT_EQ(journal_row(key)["status"], "succeeded");
  }
  EXPECT_EQ(mutating_eni_calls(), mutations);
  EXPECT_EQ(journal_rows(lab.run_id).size(), 2U) << "a dry-run undo journals nothing";
  EXPECT_FALSE(source_dest_check(lab.eni_a));

  // A dry-run down plans the undos too, and sends nothing either.
  const auto down = run({"down", "--run-id", lab.run_id}, {{"CE_DRY_RUN", "\x01unset"}});
  EXPECT_EQ(down.code, 0) << down.err;
  EXPECT_TRUE(contains(down.err, "would undo " + keys.assign)) << down.err;
  EXPECT_EQ(mutating_eni_calls(), mutations);
  EXPECT_EQ(calls("TerminateInstances"), 0U);
  for (const auto& row : journal_rows(lab.run_id)) EXPECT_EQ(row["status"], "succeeded");
}

}  // namespace
}  // namespace labctl::testing
