// The gated provider-action path (issue #6, the aws-provider-executor runbook) end to end:
// labctl action plan/import/approve/execute/undo against the EC2 fake, judged from the fake's
// state and call log, the journal and the exit codes. The tests whose guarantees live in the
// journal (approval, idempotency, claims, epochs, fencing) run on both stores (issue #16); the
// cross-machine ones run labctl as several machines sharing one PostgreSQL state.
#include <algorithm>
#include <csignal>

#include "tests/integration/aws/executor_fixture.hpp"

namespace labctl::testing {
namespace {

bool has(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

INSTANTIATE_TEST_SUITE_P(Stores, StoreExecutorTest, k_both_stores, store_kind_name);

// Several labctl "machines" (machine_env: their own CE_STATE_DIR and CE_MACHINE) sharing one
// PostgreSQL state: what a team runs.
class CrossMachineExecutorTest : public StoreExecutorTest {
 protected:
  // AssignPrivateIpAddresses calls the fake received for `eni_id`.
  [[nodiscard]] std::size_t assigns_to(const std::string& eni_id) const {
    std::size_t n = 0;
    for (const auto& call : call_log()) {
      if (call.value("action", "") == "AssignPrivateIpAddresses" &&
          call["params"].value("NetworkInterfaceId", "") == eni_id) {
        ++n;
      }
    }
    return n;
  }
};

INSTANTIATE_TEST_SUITE_P(Stores, CrossMachineExecutorTest,
                         ::testing::Values(StoreKind::postgresql), store_kind_name);

// Given a fresh aws run, when the runbook's sequence runs (plan, import, approve, execute
// --approved), expect the ENI to hold the address with SourceDestCheck off and the journal to
// record who approved it, when it ran and the SourceDestCheck it found.
TEST_P(StoreExecutorTest, RunbookSequenceCapturesTheAddressAndRecordsThePriorState) {
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
TEST_P(StoreExecutorTest, ExecuteWithoutApprovalIsRefused) {
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
TEST_P(StoreExecutorTest, SucceededKeyNeverRunsAgain) {
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
TEST_P(StoreExecutorTest, FailedKeyIsResetToPendingByReimport) {
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
TEST_P(StoreExecutorTest, UndoRestoresAPriorSourceDestCheckOfTrue) {
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
TEST_P(StoreExecutorTest, ConcurrentExecutesSendOneMutation) {
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
TEST_P(StoreExecutorTest, AnInterruptedExecuteIsNotReportedAsDone) {
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
TEST_P(StoreExecutorTest, ExecuteFencesAnApprovedActionWithAStaleEpoch) {
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
TEST_P(StoreExecutorTest, RecaptureAfterUndoTakesTheNextEpoch) {
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

// Given one approved capture, when machines A and B execute it at the same moment, expect
// exactly one AssignPrivateIpAddresses: one machine assigns (exit 0); the other is refused by
// the run's lease naming the first machine, or finds the key claimed (exit 4), or already
// succeeded (exit 0, not run again).
TEST_P(CrossMachineExecutorTest, ConcurrentExecutesOnTwoMachinesSendOneMutation) {
  const auto lab = up_lab();
  const auto keys = approved_assign(lab, lab.eni_a);
  const std::vector<std::string> machines{"machine-a", "machine-b"};
  std::vector<std::unique_ptr<Spawned>> executes;
  for (const auto& machine : machines) {
    executes.push_back(
        spawn_run({"action", "execute", keys.assign, "--approved"}, machine_env(machine)));
  }
  std::vector<int> codes;
  for (auto& execute : executes) codes.push_back(execute->wait());

  std::size_t assigned = 0;
  for (std::size_t i = 0; i < machines.size(); ++i) {
    const auto out = executes[i]->out();
    const auto err = executes[i]->err();
    const std::string said =
        machines[i] + " (exit " + std::to_string(codes[i]) + "): " + out + err;
    if (codes[i] == 0 && contains(out, std::string("assigned ") + k_address)) {
      ++assigned;
      continue;
    }
    const bool leased = codes[i] == 4 && contains(err, "is being operated by");
    const bool claimed = codes[i] == 4 && contains(err, "is no longer approved");
    const bool done = codes[i] == 0 && contains(out, "not run again");
    EXPECT_TRUE(leased || claimed || done) << said;
    if (leased) {
      EXPECT_TRUE(contains(err, " on " + machines[1 - i] + " ")) << "the lease refusal names "
                                                                 << "the holder's machine: "
                                                                 << said;
    }
    RecordProperty("other_execute", leased ? "lease" : claimed ? "claim" : "succeeded");
  }
  EXPECT_EQ(assigned, 1U) << executes[0]->err() << executes[1]->err();
  EXPECT_EQ(calls("AssignPrivateIpAddresses"), 1U);
  EXPECT_EQ(journal_row(keys.assign)["status"], "succeeded");
  EXPECT_EQ(secondary_ips(lab.eni_a), std::vector<std::string>{k_address});
}

// Given a capture (epoch 1) executed on machine A and a seize of the address (epoch 2) on
// machine B, expect A's replays of its old capture to send nothing: its plan file again is a
// duplicate whose execute does not run again, and its epoch-1 request under a new key is fenced
// at import (skipped) and refused at approve and execute.
TEST_P(CrossMachineExecutorTest, AStaleCaptureReplayedFromAnotherMachineIsFenced) {
  const auto lab = up_lab();
  const auto machine_a = machine_env("machine-a");
  run_env = machine_a;
  const auto first = capture(lab, lab.eni_a);
  run_env = machine_env("machine-b");
  const auto seize = capture(lab, lab.eni_b, lab.eni_a);
  ASSERT_TRUE(contains(seize.assign, "/e2")) << seize.assign;
  ASSERT_EQ(secondary_ips(lab.eni_b), std::vector<std::string>{k_address});
  const auto mutations = mutating_eni_calls();

  run_env = machine_a;
  const auto reimported = run({"action", "import", first.plan_file.string(), "--json"});
  ASSERT_EQ(reimported.code, 0) << reimported.err;
  for (const auto& r : nlohmann::json::parse(reimported.out, nullptr, false)) {
    EXPECT_EQ(r["outcome"], "duplicate") << r.dump();
  }
  const auto again = run({"action", "execute", first.assign, "--approved"});
  EXPECT_EQ(again.code, 0) << again.err;
  EXPECT_TRUE(contains(again.out, "not run again")) << again.out;

  const std::string replay_key = first.assign + ":replayed-on-machine-a";
  const auto replayed =
      run_stdin({"action", "import", "-", "--json"},
                action_request("assign-secondary-ip", lab.eni_a, k_address,
                               {{"ownershipEpoch", 1}}, "dry-run", replay_key, lab.run_id)
                    .dump());
  ASSERT_EQ(replayed.code, 0) << replayed.err;
  const auto reports = nlohmann::json::parse(replayed.out, nullptr, false);
  ASSERT_EQ(reports.size(), 1U) << replayed.out;
  EXPECT_EQ(reports[0]["outcome"], "fenced") << replayed.out;
  EXPECT_EQ(run({"action", "approve", replay_key, "--by", "tester"}).code, 4);
  const auto executed = run({"action", "execute", replay_key, "--approved"});
  EXPECT_EQ(executed.code, 4) << executed.out << executed.err;
  const auto row = journal_row(replay_key);
  EXPECT_EQ(row["status"], "skipped");
  EXPECT_EQ(row["resultMessage"], "stale action fenced: epoch 1 < current 2");

  EXPECT_EQ(mutating_eni_calls(), mutations) << "a replay from machine A must send nothing";
  EXPECT_EQ(secondary_ips(lab.eni_b), std::vector<std::string>{k_address});
  EXPECT_TRUE(secondary_ips(lab.eni_a).empty());
}

// Given machine A executing an approved seize to B's ENI (epoch 2) that goes silent past its
// lease time after claiming the row and describing the ENI (SIGSTOP: a paused VM or a stalled
// host), when machine B takes the run over and captures the address twice (epochs 2 and 3),
// expect A, resumed, to send nothing (its lease was taken over and its epoch is stale), to exit
// refused saying its lease was taken over, and the address to stay where B put it.
TEST_P(CrossMachineExecutorTest, AnExecuteSilentPastItsLeaseSendsNothingAfterATakeover) {
  const auto lab = up_lab();
  run_env = machine_env("machine-a");
  (void)capture(lab, lab.eni_a);
  const auto stale = approved_assign(lab, lab.eni_b, lab.eni_a);
  // A's describe of the ENI is answered, then held back: A is between its claim and its assign.
  fake_post("/_fake/faults", {{"action", "DescribeNetworkInterfaces"},
                              {"kind", "hang"},
                              {"when", "after"},
                              {"hang_seconds", 2},
                              {"count", 1}});
  auto silent = spawn_run({"action", "execute", stale.assign, "--approved"},
                          {{"CE_LEASE_SECONDS", "3"}});
  ASSERT_TRUE(eventually([&] { return fake_get("/_fake/faults")["faults"].empty(); }))
      << silent->err();
  silent->signal(SIGSTOP);
  ASSERT_EQ(journal_row(stale.assign)["status"], "running");

  run_env = machine_env("machine-b");
  const auto keys = keys_of(plan(lab, lab.eni_client, lab.eni_a));
  CommandOutput imported;
  // B's import is refused by A's lease until A's heartbeat is older than A's lease time.
  ASSERT_TRUE(eventually([&] {
    imported = run({"action", "import", keys.plan_file.string()});
    return imported.code != 4 || !contains(imported.err, "is being operated by");
  })) << imported.err;
  ASSERT_EQ(imported.code, 0) << imported.err;
  for (const auto& key : {keys.forwarding, keys.assign}) {
    const auto executed = approve_and_execute(key);
    ASSERT_EQ(executed.code, 0) << key << ": " << executed.out << executed.err;
  }
  (void)capture(lab, lab.eni_a, lab.eni_client);
  ASSERT_EQ(secondary_ips(lab.eni_a), std::vector<std::string>{k_address});

  silent->signal(SIGCONT);
  const int code = silent->wait();
  EXPECT_EQ(assigns_to(lab.eni_b), 0U)
      << "machine A sent its epoch-2 seize after machine B took the run over and captured "
         "epoch 3";
  EXPECT_EQ(secondary_ips(lab.eni_a), std::vector<std::string>{k_address});
  EXPECT_TRUE(secondary_ips(lab.eni_b).empty());
  EXPECT_EQ(code, 4) << silent->out() << silent->err();
  // B's commands have released the lease by now: A is told it was taken over, not by whom.
  EXPECT_TRUE(contains(silent->out() + silent->err(), "lease was taken over"))
      << silent->out() << silent->err();
  EXPECT_NE(journal_row(stale.assign)["status"], "succeeded") << journal_row(stale.assign).dump();
}

}  // namespace
}  // namespace labctl::testing
