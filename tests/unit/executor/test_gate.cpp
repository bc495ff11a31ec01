#include "executor/gate.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "core/action_journal.hpp"
#include "core/time.hpp"
#include "tests/fakes/manual_clock.hpp"
#include "tests/fakes/recording_action_runner.hpp"
#include "tests/support/temp_dir.hpp"

// The gate (import -> approve -> execute -> undo, epochs, hard stops) against a real SQLite state
// in a temp dir and a recording fake of the provider's actions: no binary, no cloud fake.
namespace labctl::executor {
namespace {

using labctl::testing::ManualClock;
using labctl::testing::RecordingActionRunner;
using labctl::testing::TempDirTest;

constexpr const char* k_run = "20260601T030000Z-cloudedge-gate";
constexpr const char* k_provider = "fake";
constexpr const char* k_address = "10.0.1.50";

class GateTest : public TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    auto opened = state::Store::open(tmp.path() / "state");
    ASSERT_TRUE(opened) << opened.error().message;
    store = std::move(*opened);
    state::RunRecord run;
    run.run_id = k_run;
    run.profile = "lab";
    run.providers = {k_provider};
    run.status = state::k_run_up;
    ASSERT_TRUE(store->insert_run(run));
  }

  // The gate over the fake; only provider "fake" has actions.
  [[nodiscard]] Gate gate(bool live = true) {
    const auto runner = fake.runner();
    return Gate(
        *store,
        [runner](const std::string& provider) -> Expected<ActionRunner> {
          if (provider == k_provider) return runner;
          return fail(ExitCode::refused, "provider " + provider + " has no actions");
        },
        live, clock);
  }

  // The capture plan for `eni` (forwarding, then the assign with the next epoch).
  [[nodiscard]] std::vector<ActionRequest> capture(const std::string& eni,
                                                   const std::string& seize_from = "") {
    auto plan = plan_capture(*store, {k_run, eni, k_address, "us-east-1", seize_from, k_provider});
    EXPECT_TRUE(plan) << plan.error().message;
    return plan ? *plan : std::vector<ActionRequest>{};
  }

  [[nodiscard]] journal::ActionRow row(const std::string& key) {
    auto found = journal::find(*store, key);
    EXPECT_TRUE(found && *found) << key;
    return found && *found ? **found : journal::ActionRow{};
  }

  // Imports `requests`, approves each, and returns their keys.
  std::vector<std::string> import_and_approve(Gate& g, const std::vector<ActionRequest>& requests) {
    auto imported = g.import(k_run, requests, "test");
    EXPECT_TRUE(imported) << imported.error().message;
    std::vector<std::string> keys;
    for (const auto& request : requests) {
      EXPECT_TRUE(journal::approve(*store, request.idempotency_key, "tester").value_or(false));
      keys.push_back(request.idempotency_key);
    }
    return keys;
  }

  std::unique_ptr<state::Store> store;
  RecordingActionRunner fake;
  ManualClock clock;
};

// Given a capture plan, expect import to probe each row in dry-run only, leaving them pending;
// after approval, execute to send exactly one execute call per row and record succeeded; and
// undo of the capture to send the unassign with what the capture observed and roll it back.
TEST_F(GateTest, PlanImportApproveExecuteUndo) {
  auto g = gate();
  const auto plan = capture("eni-a");
  ASSERT_EQ(plan.size(), 2U);
  EXPECT_EQ(plan[0].action, providers::k_forwarding_on);
  EXPECT_EQ(plan[1].action, providers::k_assign);
  EXPECT_EQ(plan[1].parameters.value("ownershipEpoch", 0), 1);
  EXPECT_EQ(plan[1].provider, k_provider);

  auto imported = g.import(k_run, plan, "test");
  ASSERT_TRUE(imported) << imported.error().message;
  ASSERT_EQ(imported->size(), 2U);
  for (const auto& report : *imported) EXPECT_EQ(report.outcome, "inserted") << report.message;
  EXPECT_EQ(fake.calls().size(), 2U);
  EXPECT_TRUE(fake.executed().empty());
  for (const auto& request : plan) EXPECT_EQ(row(request.idempotency_key).status, journal::k_pending);

  for (const auto& request : plan) {
    ASSERT_TRUE(journal::approve(*store, request.idempotency_key, "tester").value_or(false));
    auto outcome = g.execute(request.idempotency_key, true);
    ASSERT_TRUE(outcome) << outcome.error().message;
    EXPECT_EQ(outcome->code, ExitCode::ok);
    EXPECT_EQ(row(request.idempotency_key).status, journal::k_succeeded);
  }
  ASSERT_EQ(fake.executed().size(), 2U);
  EXPECT_EQ(fake.executed()[1].request.idempotency_key, plan[1].idempotency_key);
  EXPECT_EQ(fake.executed()[1].run_id, k_run);

  auto undone = g.undo(plan[1].idempotency_key);
  ASSERT_TRUE(undone) << undone.error().message;
  EXPECT_EQ(undone->code, ExitCode::ok);
  const auto executed = fake.executed();
  ASSERT_EQ(executed.size(), 3U);
  EXPECT_EQ(executed[2].request.action, providers::k_unassign);
  EXPECT_EQ(executed[2].request.idempotency_key, plan[1].idempotency_key + ":undo");
  EXPECT_EQ(row(plan[1].idempotency_key).status, journal::k_rolled_back);
  EXPECT_EQ(row(plan[1].idempotency_key + ":undo").status, journal::k_succeeded);
}

// Given a succeeded action, expect executing it again to answer ok without a call, and a
// re-import of its key to leave it succeeded (duplicate).
TEST_F(GateTest, ASucceededKeyNeverRunsAgain) {
  auto g = gate();
  const auto keys = import_and_approve(g, capture("eni-a"));
  ASSERT_TRUE(g.execute(keys[1], true));
  ASSERT_EQ(fake.executed().size(), 1U);

  auto again = g.execute(keys[1], true);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->code, ExitCode::ok);
  EXPECT_EQ(again->result.message, "already succeeded; not run again");
  auto reimported = g.import(k_run, capture("eni-a"), "test");
  ASSERT_TRUE(reimported);
  EXPECT_EQ(fake.executed().size(), 1U);
  EXPECT_EQ(row(keys[1]).status, journal::k_succeeded);
}

// Given two approved captures of one address (epoch 1, then a seize with epoch 2) and the newer
// executed first, expect the older one fenced: skipped, refused, and never sent.
TEST_F(GateTest, AStaleEpochIsFencedAtExecute) {
  auto g = gate();
  const auto first = import_and_approve(g, capture("eni-a"));
  ASSERT_TRUE(g.execute(first[1], true));  // epoch 1 took effect
  const auto seize = import_and_approve(g, capture("eni-b", "eni-a"));
  EXPECT_EQ(row(seize[1]).epoch, 2);
  ASSERT_TRUE(g.execute(seize[1], true));  // epoch 2 took effect
  const auto sent = fake.executed().size();

  // The epoch-1 capture, replayed under a new key and approved, is stale.
  auto stale = capture("eni-a");
  stale[1].idempotency_key += ":again";
  stale[1].parameters["ownershipEpoch"] = 1;
  auto imported = g.import(k_run, {stale[1]}, "test");
  ASSERT_TRUE(imported) << imported.error().message;
  EXPECT_EQ(imported->front().outcome, "fenced");
  EXPECT_EQ(imported->front().message, "stale action fenced: epoch 1 < current 2");
  EXPECT_EQ(row(stale[1].idempotency_key).status, journal::k_skipped);
  EXPECT_EQ(fake.executed().size(), sent);
}

// Given two pending captures approved in epoch order, executing epoch 2 first, expect the
// epoch-1 execute fenced at run time (skipped, refused) and no call sent for it.
TEST_F(GateTest, AnApprovedCaptureFencedByANewerEpochIsNotSent) {
  auto g = gate();
  auto older = capture("eni-a");
  auto newer = older;
  newer[1].idempotency_key += ":e2";
  newer[1].parameters["ownershipEpoch"] = 2;
  import_and_approve(g, {older[1], newer[1]});
  ASSERT_TRUE(g.execute(newer[1].idempotency_key, true));
  auto fenced = g.execute(older[1].idempotency_key, true);
  ASSERT_TRUE(fenced) << fenced.error().message;
  EXPECT_EQ(fenced->code, ExitCode::refused);
  EXPECT_EQ(fenced->result.status, journal::k_skipped);
  EXPECT_EQ(row(older[1].idempotency_key).status, journal::k_skipped);
  ASSERT_EQ(fake.executed().size(), 1U);
  EXPECT_EQ(fake.executed()[0].request.idempotency_key, newer[1].idempotency_key);
}

// Given imported rows, expect a bare execute and an execute of a pending row refused (exit 4)
// and a dry-run gate to call in dry-run mode only, leaving the journal as it was.
TEST_F(GateTest, NothingMutatesWithoutApproval) {
  auto g = gate();
  const auto plan = capture("eni-a");
  ASSERT_TRUE(g.import(k_run, plan, "test"));

  auto bare = g.execute(plan[1].idempotency_key, false);
  ASSERT_FALSE(bare);
  EXPECT_EQ(bare.error().code, ExitCode::refused);
  auto pending = g.execute(plan[1].idempotency_key, true);
  ASSERT_FALSE(pending);
  EXPECT_EQ(pending.error().code, ExitCode::refused);
  EXPECT_NE(pending.error().message.find("not approved"), std::string::npos);

  ASSERT_TRUE(journal::approve(*store, plan[1].idempotency_key, "tester").value_or(false));
  auto dry = gate(false).execute(plan[1].idempotency_key, true);
  ASSERT_TRUE(dry) << dry.error().message;
  EXPECT_EQ(fake.calls().back().request.mode, providers::k_mode_dry_run);
  EXPECT_EQ(row(plan[1].idempotency_key).status, journal::k_approved);
  EXPECT_TRUE(fake.executed().empty());
}

// Given a probe the provider answers with a hard stop (the NIC is not the run's), expect the
// import refused with exit 4 and every row of the plan journaled as failed with the reason.
TEST_F(GateTest, AHardStopIsRefusedAndJournaled) {
  const std::string why = "hard stop: eni-x does not carry the run's tags; refusing to touch it";
  fake.answer(providers::k_assign, {{"failed", why, nlohmann::json::object(), false, why},
                                    ExitCode::refused});
  auto g = gate();
  const auto plan = capture("eni-x");
  auto imported = g.import(k_run, plan, "test");
  ASSERT_FALSE(imported);
  EXPECT_EQ(imported.error().code, ExitCode::refused);
  EXPECT_NE(imported.error().message.find(why), std::string::npos);
  const auto stopped = row(plan[1].idempotency_key);
  EXPECT_EQ(stopped.status, journal::k_failed);
  EXPECT_EQ(stopped.result_message, why);
  EXPECT_EQ(row(plan[0].idempotency_key).status, journal::k_pending);
  EXPECT_TRUE(fake.executed().empty());
}

// Given a plan for a provider without actions, expect every row refused and journaled as
// failed with "provider X has no actions", and no call to any runner.
TEST_F(GateTest, AProviderWithoutActionsIsAHardStop) {
  auto plan = capture("eni-a");
  for (auto& request : plan) request.provider = "onprem";
  auto imported = gate().import(k_run, plan, "test");
  ASSERT_FALSE(imported);
  EXPECT_EQ(imported.error().code, ExitCode::refused);
  for (const auto& request : plan) {
    const auto stopped = row(request.idempotency_key);
    EXPECT_EQ(stopped.status, journal::k_failed);
    EXPECT_EQ(stopped.result_message, "hard stop: provider onprem has no actions");
  }
  EXPECT_TRUE(fake.calls().empty());
}

// Given an unassign of an address the journal never saw assigned, expect a hard stop.
TEST_F(GateTest, AnUnassignOfAnAddressNotAssignedIsAHardStop) {
  auto unassign = capture("eni-a")[1];
  unassign.action = providers::k_unassign;
  unassign.parameters = nlohmann::json::object();
  unassign.idempotency_key = "unassign-1";
  auto imported = gate().import(k_run, {unassign}, "test");
  ASSERT_FALSE(imported);
  EXPECT_EQ(imported.error().code, ExitCode::refused);
  EXPECT_EQ(row("unassign-1").status, journal::k_failed);
  EXPECT_TRUE(fake.calls().empty());
}

// Given a capture superseded by a seize, expect the stale replay keyed with the gate's clock
// (not the system's) and fenced.
TEST_F(GateTest, TheStaleReplayIsStampedByTheGivenClockAndFenced) {
  auto g = gate();
  const auto first = import_and_approve(g, capture("eni-a"));
  ASSERT_TRUE(g.execute(first[1], true));
  const auto seize = import_and_approve(g, capture("eni-b", "eni-a"));
  ASSERT_TRUE(g.execute(seize[1], true));
  auto replay = g.replay_stale(k_run);
  ASSERT_TRUE(replay) << replay.error().message;
  EXPECT_EQ(replay->idempotency_key,
            first[1] + ":replay:" + format_rfc3339_ms(clock.now()));
  EXPECT_EQ(replay->status, journal::k_skipped);
  EXPECT_EQ(fake.executed().size(), 2U);
}

}  // namespace
}  // namespace labctl::executor
