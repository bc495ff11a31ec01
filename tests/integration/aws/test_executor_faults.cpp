// The executor's safety stops against the EC2 fake: fencing of stale captures, the runbook's
// hard stops, the executor-fail fault (a scoped-down identity must fail closed) and `down`
// undoing the run's actions before it terminates anything.
#include <sys/stat.h>

#include <chrono>

#include "tests/integration/aws/executor_fixture.hpp"

namespace labctl::testing {
namespace {

// Index of the first call matching `pred` in `log`, or log.size().
template <class Pred>
std::size_t index_of(const nlohmann::json& log, Pred pred) {
  for (std::size_t i = 0; i < log.size(); ++i) {
    if (pred(log[i])) return i;
  }
  return log.size();
}

// Given a capture on A (epoch 1) seized by B (epoch 2), expect the stale-replay fault to replay
// epoch 1 and the journal to fence it (skipped, nothing sent), with B still holding the address.
TEST_F(ExecutorTest, StaleReplayIsFencedByTheOwnershipEpoch) {
  const auto lab = up_lab();
  const auto first = capture(lab, lab.eni_a);
  const auto seize = capture(lab, lab.eni_b, lab.eni_a);
  EXPECT_TRUE(contains(seize.assign, "/e2")) << seize.assign;
  const auto seized = journal_row(seize.assign);
  EXPECT_EQ(seized["status"], "succeeded");
  EXPECT_EQ(seized["riskLevel"], "high");
  EXPECT_EQ(seized["observed"]["previousHolderHasAddress"], false) << seized.dump();
  EXPECT_TRUE(secondary_ips(lab.eni_a).empty());
  EXPECT_EQ(secondary_ips(lab.eni_b), std::vector<std::string>{k_address});
  const auto log = call_log();
  const auto seize_call = index_of(log, [&](const nlohmann::json& c) {
    return c.value("action", "") == "AssignPrivateIpAddresses" &&
           c["params"].value("NetworkInterfaceId", "") == lab.eni_b;
  });
  ASSERT_LT(seize_call, log.size());
  EXPECT_EQ(log[seize_call]["params"].value("AllowReassignment", ""), "true");

  const auto mutations = mutating_eni_calls();
  const auto fault =
      run({"failover", "--provider", "aws", "--fault", "stale-replay", "--run-id", lab.run_id});
  ASSERT_EQ(fault.code, 0) << fault.err;
  nlohmann::json replay;
  for (const auto& row : journal_rows(lab.run_id)) {
    if (contains(row.value("idempotencyKey", ""), ":replay:")) replay = row;
  }
  ASSERT_TRUE(replay.is_object()) << "no replay row in the journal";
  EXPECT_TRUE(replay["idempotencyKey"].get<std::string>().starts_with(first.assign + ":replay:"));
  EXPECT_EQ(replay["status"], "skipped");
  EXPECT_EQ(replay["resultMessage"], "stale action fenced: epoch 1 < current 2");
  EXPECT_EQ(replay["source"], "stale-replay");
  EXPECT_EQ(replay["epoch"], 1);
  EXPECT_EQ(mutating_eni_calls(), mutations) << "a fenced replay must send nothing";
  EXPECT_EQ(secondary_ips(lab.eni_b), std::vector<std::string>{k_address});
  bool recorded = false;
  const auto events = show(lab.run_id)["events"];
  for (const auto& e : events) {
    recorded = recorded || (e["kind"] == "failover" && e["detail"]["detail"]["fenced"] == true);
  }
  EXPECT_TRUE(recorded) << events.dump();
}

TEST_F(ExecutorTest, StaleReplayWithoutASupersededCaptureIsAUsageError) {
  const auto lab = up_lab();
  (void)capture(lab, lab.eni_a);
  const auto fault =
      run({"failover", "--provider", "aws", "--fault", "stale-replay", "--run-id", lab.run_id});
  EXPECT_EQ(fault.code, 2) << fault.err;
  EXPECT_TRUE(contains(fault.err, "no capture superseded")) << fault.err;
  for (const auto& row : journal_rows(lab.run_id)) {
    EXPECT_FALSE(contains(row.value("idempotencyKey", ""), ":replay:")) << row.dump();
  }
}

// Given an ENI of an instance that is not the run's, expect plan and import to refuse it
// (exit 4), the import to journal a failed "hard stop" row, and nothing to be sent.
TEST_F(ExecutorTest, HardStopOnAnEniWithoutTheRunsTags) {
  const auto lab = up_lab();
  const auto foreign_eni = seed_foreign_eni();
  ASSERT_FALSE(foreign_eni.empty());

  const auto planned = run({"action", "plan", "--run-id", lab.run_id, "--eni", foreign_eni,
                            "--address", k_address, "--region", "us-east-1"});
  EXPECT_EQ(planned.code, 4) << planned.err;
  EXPECT_TRUE(contains(planned.err, "not a lab resource")) << planned.err;

  const std::string key = lab.run_id + "/assign-secondary-ip/" + foreign_eni + "/x/e1";
  const auto imported = run_stdin(
      {"action", "import", "-"}, action_request("assign-secondary-ip", foreign_eni, k_address,
                                                {{"ownershipEpoch", 1}}, "dry-run", key, lab.run_id)
                                     .dump());
  EXPECT_EQ(imported.code, 4) << imported.err;
  const auto row = journal_row(key);
  EXPECT_EQ(row["status"], "failed");
  EXPECT_TRUE(row["resultMessage"].get<std::string>().starts_with("hard stop: ")) << row.dump();
  EXPECT_TRUE(contains(row.value("resultMessage", ""), "not a lab resource")) << row.dump();
  EXPECT_EQ(run({"action", "approve", key, "--by", "tester"}).code, 4);
  EXPECT_EQ(run({"action", "execute", key, "--approved"}).code, 4);
  EXPECT_EQ(mutating_eni_calls(), 0U);
}

// Given a plan edited so one action names another provider, expect the import to refuse the
// whole plan (exit 4) and journal every row as a failed hard stop.
TEST_F(ExecutorTest, HardStopOnMoreThanOneProviderInAPlan) {
  const auto lab = up_lab();
  const auto file = plan(lab, lab.eni_a);
  auto document = nlohmann::json::parse(read_text(file));
  document["actions"][1]["spec"]["provider"] = "azure";
  write_text(file, document.dump(2));
  const auto imported = run({"action", "import", file.string()});
  EXPECT_EQ(imported.code, 4) << imported.err;
  EXPECT_TRUE(contains(imported.err, "more than one provider")) << imported.err;
  const auto rows = journal_rows(lab.run_id);
  ASSERT_EQ(rows.size(), 2U) << rows.dump();
  for (const auto& row : rows) {
    EXPECT_EQ(row["status"], "failed");
    EXPECT_TRUE(contains(row.value("resultMessage", ""), "hard stop: more than one provider"))
        << row.dump();
  }
  EXPECT_EQ(mutating_eni_calls(), 0U);
}

// Given an ensure-forwarding-disabled without the priorSourceDestCheck it must restore, expect
// it refused at import (exit 4, a failed hard-stop row), never approvable, nothing sent.
TEST_F(ExecutorTest, HardStopOnAnUndoThatCannotBeDescribed) {
  const auto lab = up_lab();
  const std::string key = lab.run_id + "/ensure-forwarding-disabled/" + lab.eni_a + "/-/e1";
  const auto file = tmp.path() / "undo.json";
  write_text(file, action_request("ensure-forwarding-disabled", lab.eni_a, "",
                                  nlohmann::json::object(), "dry-run", key, lab.run_id)
                       .dump());
  const auto imported = run({"action", "import", file.string()});
  EXPECT_EQ(imported.code, 4) << imported.err;
  EXPECT_TRUE(contains(imported.err, "undo not describable")) << imported.err;
  const auto row = journal_row(key);
  EXPECT_EQ(row["status"], "failed");
  EXPECT_TRUE(contains(row.value("resultMessage", ""), "hard stop: undo not describable"))
      << row.dump();
  EXPECT_EQ(run({"action", "approve", key, "--by", "tester"}).code, 4);
  EXPECT_EQ(run({"action", "execute", key, "--approved"}).code, 4);
  EXPECT_EQ(mutating_eni_calls(), 0U);
  EXPECT_TRUE(source_dest_check(lab.eni_a));
}

// Given an AssignPrivateIpAddresses the fake answers OK without doing it, expect a failed
// "ambiguous" row, exit 4 and exactly one call (an ambiguous result is never retried).
TEST_F(ExecutorTest, HardStopOnAnAmbiguousResultIsNeverRetried) {
  const auto lab = up_lab();
  const auto keys = import_plan(lab, lab.eni_a);
  fake_post("/_fake/faults",
            {{"action", "AssignPrivateIpAddresses"}, {"kind", "swallow"}, {"count", 1}});
  const auto executed = approve_and_execute(keys.assign);
  EXPECT_EQ(executed.code, 4) << executed.out << executed.err;
  const auto row = journal_row(keys.assign);
  EXPECT_EQ(row["status"], "failed");
  EXPECT_TRUE(contains(row.value("resultMessage", ""), "hard stop: ambiguous")) << row.dump();
  EXPECT_EQ(calls("AssignPrivateIpAddresses"), 1U);
  EXPECT_TRUE(secondary_ips(lab.eni_a).empty());
  EXPECT_EQ(run({"action", "execute", keys.assign, "--approved"}).code, 4);
  EXPECT_EQ(calls("AssignPrivateIpAddresses"), 1U);
}

// Given an AssignPrivateIpAddresses whose answer is lost (the fake performs it, then drops the
// connection), or a 500 in answer, expect an ambiguous-result hard stop (exit 4, failed row) and
// no second AssignPrivateIpAddresses: a mutation without a clear answer is never resent. A
// throttle (EC2 did not act) is resent after a backoff and succeeds.
TEST_F(ExecutorTest, AMutationWithoutAClearAnswerIsNotResent) {
  const auto lab = up_lab();
  const std::map<std::string, std::string> target{
      {"drop", lab.eni_a}, {"server_error", lab.eni_b}, {"throttle", lab.eni_client}};
  for (const auto& [kind, target_eni] : target) {
    const bool throttled = kind == "throttle";
    // The lost answer ("drop", first in the map) did move the address to A: seize it from there.
    const auto keys = import_plan(lab, target_eni, throttled ? lab.eni_a : "");
    const auto before = calls("AssignPrivateIpAddresses");
    fake_post("/_fake/faults",
              {{"action", "AssignPrivateIpAddresses"}, {"kind", kind}, {"count", 1}});
    const auto executed = approve_and_execute(keys.assign);
    EXPECT_EQ(calls("AssignPrivateIpAddresses"), before + (throttled ? 2 : 1))
        << kind << ": " << executed.err;
    EXPECT_EQ(executed.code, throttled ? 0 : 4) << kind << ": " << executed.out;
    const auto row = journal_row(keys.assign);
    EXPECT_EQ(row["status"], throttled ? "succeeded" : "failed") << kind;
    if (!throttled) {
      EXPECT_TRUE(contains(row.value("resultMessage", ""), "hard stop: ambiguous result"))
          << row.dump();
    }
    fake_post("/_fake/faults/clear", nlohmann::json::object());
  }
}

// Given a plan written before a newer capture of its address succeeded, expect importing it to
// fence the stale capture (skipped, never approvable) and to send nothing.
TEST_F(ExecutorTest, ImportFencesAPlanOvertakenByANewerEpoch) {
  const auto lab = up_lab();
  const auto late = keys_of(plan(lab, lab.eni_b));  // e1, written now, imported later
  (void)capture(lab, lab.eni_a);                    // e1 on A
  (void)capture(lab, lab.eni_client, lab.eni_a);    // e2 on the client
  const auto mutations = mutating_eni_calls();
  const auto imported = run({"action", "import", late.plan_file.string(), "--json"});
  ASSERT_EQ(imported.code, 0) << imported.err;
  for (const auto& r : nlohmann::json::parse(imported.out, nullptr, false)) {
    const bool capture_row = r["idempotencyKey"] == late.assign;
    EXPECT_EQ(r["outcome"], capture_row ? "fenced" : "inserted") << r.dump();
  }
  const auto row = journal_row(late.assign);
  EXPECT_EQ(row["status"], "skipped");
  EXPECT_EQ(row["resultMessage"], "stale action fenced: epoch 1 < current 2");
  EXPECT_EQ(run({"action", "approve", late.assign, "--by", "tester"}).code, 4);
  EXPECT_EQ(mutating_eni_calls(), mutations);
}

// Given the address held by another ENI, expect a capture planned without --seize-from to fail
// (the fake refuses an in-use address without AllowReassignment) and leave the holder alone.
TEST_F(ExecutorTest, ACaptureWithoutSeizeNeverTakesAnAddressInUse) {
  const auto lab = up_lab();
  (void)capture(lab, lab.eni_a);
  const auto keys = import_plan(lab, lab.eni_b);
  const auto executed = approve_and_execute(keys.assign);
  EXPECT_EQ(executed.code, 3) << executed.out << executed.err;
  EXPECT_EQ(journal_row(keys.assign)["status"], "failed");
  EXPECT_TRUE(contains(journal_row(keys.assign).value("error", ""), "in use"))
      << journal_row(keys.assign).dump();
  EXPECT_EQ(secondary_ips(lab.eni_a), std::vector<std::string>{k_address});
  EXPECT_TRUE(secondary_ips(lab.eni_b).empty());
}

// Given executor-fail with a scoped profile the fake denies every mutation, expect the next
// approved action to fail closed (exit 3, UnauthorizedOperation, ENI unchanged, one call with
// the scoped key) and a failover event saying so; the action after it uses the usual identity.
TEST_F(ExecutorTest, ExecutorFailWithAScopedIdentityFailsClosed) {
  const auto lab = up_lab();
  const auto keys = approved_assign(lab, lab.eni_a);
  const auto credentials = write_scoped_credentials("scoped");
  fake_post("/_fake/deny", {{"access_key_id", k_scoped_access_key}, {"actions", {"*mutating*"}}});

  const auto fault =
      run({"failover", "--provider", "aws", "--fault", "executor-fail", "--run-id", lab.run_id},
          {{"CE_AWS_EXECUTOR_FAIL_PROFILE", "scoped"}});
  ASSERT_EQ(fault.code, 0) << fault.err;
  const auto executed = run({"action", "execute", keys.assign, "--approved"},
                            {{"AWS_SHARED_CREDENTIALS_FILE", credentials.string()}});
  EXPECT_EQ(executed.code, 3) << executed.out << executed.err;
  const auto row = journal_row(keys.assign);
  EXPECT_EQ(row["status"], "failed");
  EXPECT_TRUE(contains(row.value("error", ""), "UnauthorizedOperation")) << row.dump();
  EXPECT_EQ(row["observed"]["identity"], "scoped:scoped") << row.dump();
  EXPECT_TRUE(secondary_ips(lab.eni_a).empty());
  ASSERT_EQ(calls("AssignPrivateIpAddresses"), 1U);
  for (const auto& call : call_log()) {
    if (call.value("action", "") == "AssignPrivateIpAddresses") {
      EXPECT_EQ(call.value("access_key_id", ""), k_scoped_access_key);
    }
  }
  bool closed = false;
  const auto events = show(lab.run_id)["events"];
  for (const auto& e : events) {
    closed =
        closed || (e["kind"] == "failover" && e["detail"].value("result", "") == "failed-closed");
  }
  EXPECT_TRUE(closed) << events.dump();

  // The fault scoped down one action only.
  const auto next = approve_and_execute(keys.forwarding);
  EXPECT_EQ(next.code, 0) << next.out << next.err;
  EXPECT_FALSE(source_dest_check(lab.eni_a));
}

TEST_F(ExecutorTest, ExecutorFailWithoutAProfileIsAUsageError) {
  const auto lab = up_lab();
  const auto fault =
      run({"failover", "--provider", "aws", "--fault", "executor-fail", "--run-id", lab.run_id},
          {{"CE_AWS_EXECUTOR_FAIL_PROFILE", "\x01unset"}});
  EXPECT_EQ(fault.code, 2) << fault.err;
  EXPECT_TRUE(contains(fault.err, "CE_AWS_EXECUTOR_FAIL_PROFILE")) << fault.err;
}

// Given a capture on A seized by B, expect down to undo B's actions and A's forwarding (the
// superseded capture on A has nothing to undo) before any TerminateInstances.
TEST_F(ExecutorTest, DownUndoesSucceededActionsInReverseBeforeTerminating) {
  const auto lab = up_lab();
  const auto first = capture(lab, lab.eni_a);
  const auto seize = capture(lab, lab.eni_b, lab.eni_a);
  ASSERT_EQ(fake_post("/_fake/calls/clear", nlohmann::json::object()).is_discarded(), false);
  const auto down = run({"down", "--run-id", lab.run_id});
  ASSERT_EQ(down.code, 0) << down.err;

  const auto log = call_log();
  const auto on = [&](const std::string& action, const std::string& eni_id,
                      const std::string& value = "") {
    return index_of(log, [&](const nlohmann::json& c) {
      return c.value("action", "") == action &&
             c["params"].value("NetworkInterfaceId", "") == eni_id &&
             (value.empty() || c["params"].value("SourceDestCheck.Value", "") == value);
    });
  };
  const auto unassign_b = on("UnassignPrivateIpAddresses", lab.eni_b);
  const auto restore_b = on("ModifyNetworkInterfaceAttribute", lab.eni_b, "true");
  const auto restore_a = on("ModifyNetworkInterfaceAttribute", lab.eni_a, "true");
  const auto terminate = index_of(
      log, [](const nlohmann::json& c) { return c.value("action", "") == "TerminateInstances"; });
  ASSERT_LT(terminate, log.size()) << log.dump();
  EXPECT_LT(unassign_b, restore_b);
  EXPECT_LT(restore_b, restore_a);
  EXPECT_LT(restore_a, terminate);
  EXPECT_EQ(on("UnassignPrivateIpAddresses", lab.eni_a), log.size())
      << "the superseded capture on A must not be undone";

  for (const auto& key : {seize.assign, seize.forwarding, first.forwarding}) {
    EXPECT_EQ(journal_row(key)["status"], "rolledBack") << key;
  }
  EXPECT_EQ(journal_row(first.assign)["status"], "succeeded");
  EXPECT_EQ(tagged(lab.run_id), std::vector<std::string>{});
}

// Given an address put on a lab ENI behind labctl's back, expect an unassign of it refused at
// import (labctl removes only what it assigned) and an assign of it refused at execute (a dirty
// lab), both exit 4 with failed hard-stop rows, the address left where it is.
TEST_F(ExecutorTest, HardStopOnAddressesLabctlDidNotAssign) {
  if (!aws_cli_available()) GTEST_SKIP() << "no /usr/bin/aws (Debian awscli)";
  const auto lab = up_lab();
  (void)aws_cli({"assign-private-ip-addresses", "--network-interface-id", lab.eni_a,
                 "--private-ip-addresses", k_address});
  const auto mutations = mutating_eni_calls();
  const std::string key = lab.run_id + "/unassign-secondary-ip/" + lab.eni_a + "/x/e1";
  const auto unassign =
      run_stdin({"action", "import", "-"},
                action_request("unassign-secondary-ip", lab.eni_a, k_address,
                               nlohmann::json::object(), "dry-run", key, lab.run_id)
                    .dump());
  EXPECT_EQ(unassign.code, 4) << unassign.err;
  EXPECT_TRUE(contains(journal_row(key).value("resultMessage", ""), "only addresses it assigned"))
      << journal_row(key).dump();
  EXPECT_EQ(journal_row(key)["status"], "failed");

  const auto keys = import_plan(lab, lab.eni_a);
  const auto assign = approve_and_execute(keys.assign);
  EXPECT_EQ(assign.code, 4) << assign.out << assign.err;
  const auto row = journal_row(keys.assign);
  EXPECT_EQ(row["status"], "failed");
  EXPECT_TRUE(contains(row.value("resultMessage", ""), "hard stop: ")) << row.dump();
  EXPECT_TRUE(contains(row.value("resultMessage", ""), "already assigned")) << row.dump();
  EXPECT_EQ(mutating_eni_calls(), mutations);
  EXPECT_EQ(secondary_ips(lab.eni_a), std::vector<std::string>{k_address});
}

// Given SourceDestCheck changed behind labctl's back, expect down to leave it (drift: no
// overwrite), report it, and still terminate the run's instances (nothing left running).
TEST_F(ExecutorTest, DownReportsDriftAndStillTerminates) {
  if (!aws_cli_available()) GTEST_SKIP() << "no /usr/bin/aws (Debian awscli)";
  const auto lab = up_lab();
  const auto keys = capture(lab, lab.eni_a);
  (void)aws_cli({"modify-network-interface-attribute", "--network-interface-id", lab.eni_a,
                 "--source-dest-check"});
  ASSERT_EQ(fake_post("/_fake/calls/clear", nlohmann::json::object()).is_discarded(), false);
  const auto down = run({"down", "--run-id", lab.run_id});
  EXPECT_EQ(down.code, 0) << down.err;
  EXPECT_TRUE(contains(down.err, "drift")) << down.err;
  EXPECT_EQ(calls("ModifyNetworkInterfaceAttribute"), 0U) << "drift must not be overwritten";
  EXPECT_EQ(calls("UnassignPrivateIpAddresses"), 1U);
  EXPECT_EQ(journal_row(keys.assign)["status"], "rolledBack");
  EXPECT_EQ(journal_row(keys.forwarding)["status"], "succeeded");
  EXPECT_EQ(tagged(lab.run_id), std::vector<std::string>{});
}


// Given imports whose ownershipEpoch is not a non-negative integer (the string "1" once bypassed
// the fence and executed), or missing from a capture, expect exit 2 and the journal unchanged —
// as a single request and as one row of an otherwise good plan. The integer stale epoch is
// still fenced.
TEST_F(ExecutorTest, ImportRefusesACaptureWithoutAnIntegerEpoch) {
  const auto lab = up_lab();
  (void)capture(lab, lab.eni_a);
  (void)capture(lab, lab.eni_b, lab.eni_a);  // epoch 2 took effect
  const auto before = journal_rows(lab.run_id).size();
  const auto mutations = mutating_eni_calls();
  const auto file = tmp.path() / "replay.json";
  const std::vector<std::string> epochs{"\"1\"", "1e300", "1.5", "-1", "true", "null", "\"\"",
                                        "18446744073709551615", "{}", "missing"};
  for (std::size_t i = 0; i < epochs.size(); ++i) {
    const auto& epoch = epochs[i];
    const auto parameters = epoch == "missing" ? nlohmann::json::object()
                                               : nlohmann::json{{"ownershipEpoch",
                                                                 nlohmann::json::parse(epoch)}};
    const auto request =
        action_request("assign-secondary-ip", lab.eni_a, k_address, parameters, "execute",
                       lab.run_id + "/replay/" + std::to_string(i), lab.run_id);
    write_text(file, request.dump());
    const auto single = run({"action", "import", file.string()});
    EXPECT_EQ(single.code, 2) << epoch << ": " << single.err;
    EXPECT_TRUE(contains(single.err, "ownershipEpoch")) << epoch << ": " << single.err;

    auto document = nlohmann::json::parse(read_text(plan(lab, lab.eni_a)));
    document["actions"].push_back(request);
    write_text(file, document.dump());
    const auto in_plan = run({"action", "import", file.string()});
    EXPECT_EQ(in_plan.code, 2) << epoch << ": " << in_plan.err;
    EXPECT_TRUE(contains(in_plan.err, "actions[2]")) << in_plan.err;
    EXPECT_EQ(journal_rows(lab.run_id).size(), before) << epoch;
  }
  // The integer 1 is stale against epoch 2: stored, fenced (skipped), never executed.
  const std::string key = lab.run_id + "/replay/integer";
  write_text(file, action_request("assign-secondary-ip", lab.eni_a, k_address,
                                  {{"ownershipEpoch", 1}}, "execute", key, lab.run_id)
                       .dump());
  const auto fenced = run({"action", "import", file.string(), "--json"});
  EXPECT_EQ(fenced.code, 0) << fenced.err;
  EXPECT_TRUE(contains(fenced.out, "\"fenced\"")) << fenced.out;
  EXPECT_EQ(journal_row(key)["status"], "skipped");
  EXPECT_EQ(journal_rows(lab.run_id).size(), before + 1);
  EXPECT_EQ(mutating_eni_calls(), mutations);
}

// Given hostile plan text — keys with a newline, an ANSI escape or a C1 control, a
// 40,000-character nicRef or key, parameters nested 100,000 deep, a FIFO — expect exit 2 at once
// and nothing stored.
TEST_F(ExecutorTest, ImportRefusesHostileDocumentsAndStoresNothing) {
  const auto lab = up_lab();
  const auto before = journal_rows(lab.run_id).size();
  const auto describes = calls("DescribeNetworkInterfaces");
  const auto request = [&](const std::string& key, const std::string& eni_id) {
    return action_request("ensure-forwarding-enabled", eni_id, "", nlohmann::json::object(),
                          "dry-run", key, lab.run_id);
  };
  std::vector<std::string> texts{
      request("k\nforged  inserted  pending approval", lab.eni_a).dump(),
      request("k\x1b[2J\x1b[31mred", lab.eni_a).dump(),
      request("k\u009b31m", lab.eni_a).dump(),
      request(std::string(40000, 'k'), lab.eni_a).dump(),
      request("k", "eni-" + std::string(40000, 'a')).dump(),
  };
  auto deep = request("k-deep", lab.eni_a).dump();
  deep.replace(deep.find("\"parameters\":{}"), 15,
               "\"parameters\":{\"x\":" + std::string(100000, '[') + std::string(100000, ']') +
                   "}");
  texts.push_back(deep);
  const auto file = tmp.path() / "hostile.json";
  for (const auto& text : texts) {
    write_text(file, text);
    const auto started = std::chrono::steady_clock::now();
    const auto imported = run({"action", "import", file.string()});
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
    EXPECT_EQ(imported.code, 2) << text.substr(0, 120) << "\n" << imported.err;
    EXPECT_FALSE(contains(imported.out + imported.err, "\x1b")) << "an escape reached the terminal";
  }
  const auto fifo = tmp.path() / "plan.fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_EQ(run({"action", "import", fifo.string()}).code, 2) << "a FIFO must not block import";
  EXPECT_EQ(journal_rows(lab.run_id).size(), before);
  EXPECT_EQ(calls("DescribeNetworkInterfaces"), describes) << "a bad document reaches no probe";
}

}  // namespace
}  // namespace labctl::testing
