#include "evidence/journal.hpp"

#include <memory>

#include <gtest/gtest.h>

#include "core/state_store.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/unit/evidence/journal_rows.hpp"

namespace labctl::evidence {
namespace {

using nlohmann::json;
using testing::capture_row;
using testing::journal_row;
using testing::k_address;
using testing::seize_row;

constexpr const char* k_run = "20260601T000000Z-cloudedge-d5-aws-maintenance-drain-migration";
const json k_clean{{"previousHolderHasAddress", false}, {"priorSecondaryIps", json::array()}};

bool contains(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

class FencingJournal : public labctl::testing::TempDirTest {
 protected:
  void SetUp() override {
    auto opened = state::Store::open(tmp.path() / "state");
    ASSERT_TRUE(opened.has_value()) << opened.error().message;
    store = std::move(*opened);
  }
  FencingAssertions judge() { return fencing_assertions(store.get(), k_run); }
  void add(const journal::ActionRow& row, const std::string& status, const json& observed = {},
           const std::string& message = "") {
    journal_row(*store, row, status, observed, message);
  }
  // A stale replay of `of` (epoch `epoch`), left as the executor's gate leaves it.
  void add_replay(const std::string& key, const std::string& of, long long epoch,
                  const std::string& status, const std::string& message) {
    journal::ActionRow row = capture_row(k_run, key, epoch);
    row.source = "stale-replay";
    row.parameters["replayOf"] = of;
    add(row, status, {}, message);
  }

  std::unique_ptr<state::Store> store;
};

TEST(FencingNoStore, EveryAssertionIsNaWithoutAStore) {
  const FencingAssertions f = fencing_assertions(nullptr, k_run);
  for (const Assertion* a :
       {&f.ownership_epoch_bumped, &f.allow_reassignment_maintained_until_success,
        &f.old_holder_residue_absent, &f.stale_action_fenced}) {
    EXPECT_EQ(a->result, k_na) << a->name;
    EXPECT_EQ(a->detail, "no journal records") << a->name;
  }
  EXPECT_EQ(f.allow_reassignment_maintained_until_success.name,
            "allow_reassignment_maintained_until_success");
}

// Given rows only in another run, expect this run to have no journal records.
TEST_F(FencingJournal, OtherRunsRowsDoNotCount) {
  add(capture_row("20260601T000000Z-cloudedge-other", "o1", 1), journal::k_succeeded);
  add(capture_row("20260601T000000Z-cloudedge-other", "o2", 2), journal::k_succeeded);
  const FencingAssertions f = judge();
  for (const Assertion* a :
       {&f.ownership_epoch_bumped, &f.allow_reassignment_maintained_until_success,
        &f.old_holder_residue_absent, &f.stale_action_fenced}) {
    EXPECT_EQ(a->result, k_na) << a->name;
    EXPECT_EQ(a->detail, "no journal records") << a->name;
  }
}

TEST_F(FencingJournal, EpochBumpPassesAndNamesEpochsAndKeys) {
  add(capture_row(k_run, "k1", 1), journal::k_succeeded);
  add(capture_row(k_run, "k-failed", 2), journal::k_failed, {}, "throttled");  // not a capture
  add(capture_row(k_run, "k2", 2), journal::k_succeeded);
  const Assertion a = judge().ownership_epoch_bumped;
  EXPECT_EQ(a.result, k_pass);
  EXPECT_EQ(a.detail, "epochs 1 -> 2 for 198.18.0.50 (keys k1, k2)");
}

// Given the first capture undone by `down` (rolledBack), expect it still to count: it ran.
TEST_F(FencingJournal, RolledBackCaptureStillCounts) {
  add(capture_row(k_run, "k1", 1), journal::k_rolled_back);
  add(capture_row(k_run, "k2", 3), journal::k_rolled_back);
  const Assertion a = judge().ownership_epoch_bumped;
  EXPECT_EQ(a.result, k_pass);
  EXPECT_EQ(a.detail, "epochs 1 -> 3 for 198.18.0.50 (keys k1, k2)");
}

TEST_F(FencingJournal, EpochNotRaisedFails) {
  add(capture_row(k_run, "k1", 2), journal::k_succeeded);
  add(capture_row(k_run, "k2", 2), journal::k_succeeded);
  add(capture_row(k_run, "other1", 1, "198.18.0.60"), journal::k_succeeded);
  add(capture_row(k_run, "other2", 2, "198.18.0.60"), journal::k_succeeded);
  const Assertion a = judge().ownership_epoch_bumped;
  EXPECT_EQ(a.result, k_fail);  // one address going wrong fails despite another passing
  EXPECT_EQ(a.detail, "epoch 2 (key k2) is not above epoch 2 (key k1) for 198.18.0.50");
}

TEST_F(FencingJournal, EpochGoingBackFails) {
  add(capture_row(k_run, "k1", 3), journal::k_succeeded);
  add(capture_row(k_run, "k2", 1), journal::k_succeeded);
  const Assertion a = judge().ownership_epoch_bumped;
  EXPECT_EQ(a.result, k_fail);
  EXPECT_TRUE(contains(a.detail, "epoch 1 (key k2) is not above epoch 3 (key k1)")) << a.detail;
}

// Given one succeeded capture per address (and a forwarding row without an epoch), expect na.
TEST_F(FencingJournal, SingleCaptureIsNa) {
  journal::ActionRow forwarding = capture_row(k_run, "fwd", 1);
  forwarding.action = "ensure-forwarding-enabled";
  forwarding.epoch.reset();
  forwarding.address = "";
  add(forwarding, journal::k_succeeded);
  add(capture_row(k_run, "k1", 1), journal::k_succeeded);
  add(capture_row(k_run, "k2", 2), journal::k_pending);
  const Assertion a = judge().ownership_epoch_bumped;
  EXPECT_EQ(a.result, k_na);
  EXPECT_EQ(a.detail,
            "fewer than two succeeded captures of one address (key k1 epoch 1 for 198.18.0.50)");
}

TEST_F(FencingJournal, SeizeRetriedWithAllowReassignmentPasses) {
  add(capture_row(k_run, "k1", 1), journal::k_succeeded);  // the first capture: no seize
  add(seize_row(k_run, "s1", 2), journal::k_failed, {}, "RequestLimitExceeded");
  add(seize_row(k_run, "s2", 2), journal::k_succeeded, k_clean);
  // After the success nothing more is judged, not even a row that lost the flag.
  add(capture_row(k_run, "s3", 2), journal::k_failed, {}, "duplicate");
  const Assertion a = judge().allow_reassignment_maintained_until_success;
  EXPECT_EQ(a.result, k_pass);
  EXPECT_EQ(a.detail,
            "seize of 198.18.0.50 from eni-0old at epoch 2: allowReassignment on every attempt up "
            "to success (keys s1 (failed), s2 (succeeded))");
}

TEST_F(FencingJournal, RetryWithoutAllowReassignmentFails) {
  add(seize_row(k_run, "s1", 2), journal::k_failed, {}, "InvalidParameterValue");
  add(capture_row(k_run, "s2", 2), journal::k_failed, {}, "address in use");  // lost the flag
  add(seize_row(k_run, "s3", 2), journal::k_succeeded, k_clean);
  const Assertion a = judge().allow_reassignment_maintained_until_success;
  EXPECT_EQ(a.result, k_fail);
  EXPECT_EQ(a.detail,
            "seize of 198.18.0.50 from eni-0old at epoch 2: key s2 lacks allowReassignment "
            "before the seize succeeded (keys s1 (failed), s2 (failed))");
}

TEST_F(FencingJournal, SeizeThatNeverSucceededFails) {
  add(seize_row(k_run, "s1", 2), journal::k_failed, {}, "UnauthorizedOperation");
  add(seize_row(k_run, "s2", 2), journal::k_pending);
  const Assertion a = judge().allow_reassignment_maintained_until_success;
  EXPECT_EQ(a.result, k_fail);
  EXPECT_EQ(a.detail,
            "seize of 198.18.0.50 from eni-0old at epoch 2 never succeeded (keys s1 "
            "(failed), s2 (pending))");
}

// Given a seize group not run yet, expect it to be left out: na alone, pass beside a good one.
TEST_F(FencingJournal, SeizeNotRunYetIsNotJudged) {
  add(seize_row(k_run, "s1", 2), journal::k_approved);
  Assertion a = judge().allow_reassignment_maintained_until_success;
  EXPECT_EQ(a.result, k_na);
  EXPECT_EQ(a.detail,
            "seize of 198.18.0.50 from eni-0old at epoch 2 has not run yet (keys s1 "
            "(approved))");
  journal::ActionRow other = seize_row(k_run, "t1", 1);
  other.address = "198.18.0.60";
  add(other, journal::k_succeeded, k_clean);
  a = judge().allow_reassignment_maintained_until_success;
  EXPECT_EQ(a.result, k_pass);
  EXPECT_TRUE(contains(a.detail, "seize of 198.18.0.60")) << a.detail;
}

TEST_F(FencingJournal, NoSeizeIsNaForSeizeAssertions) {
  add(capture_row(k_run, "k1", 1), journal::k_succeeded);
  const FencingAssertions f = judge();
  EXPECT_EQ(f.allow_reassignment_maintained_until_success.result, k_na);
  EXPECT_EQ(f.allow_reassignment_maintained_until_success.detail,
            "no seize (allowReassignment) records");
  EXPECT_EQ(f.old_holder_residue_absent.result, k_na);
  EXPECT_EQ(f.old_holder_residue_absent.detail, "no succeeded seize (allowReassignment) records");
}

TEST_F(FencingJournal, ResidueAbsentPasses) {
  add(seize_row(k_run, "s1", 2), journal::k_failed, {}, "throttled");  // never took effect
  add(seize_row(k_run, "s2", 2), journal::k_rolled_back, k_clean);
  const Assertion a = judge().old_holder_residue_absent;
  EXPECT_EQ(a.result, k_pass);
  EXPECT_EQ(a.detail,
            "previous holder eni-0old no longer lists 198.18.0.50 after key s2 (epoch 2)");
}

TEST_F(FencingJournal, ResidueOnTheOldHolderFails) {
  add(seize_row(k_run, "s1", 2), journal::k_succeeded, k_clean);
  add(seize_row(k_run, "s2", 3, "eni-0b"), journal::k_succeeded,
      {{"previousHolderHasAddress", true}});
  const Assertion a = judge().old_holder_residue_absent;
  EXPECT_EQ(a.result, k_fail);
  EXPECT_EQ(a.detail, "previous holder eni-0b still lists 198.18.0.50 after key s2 (epoch 3)");
}

TEST_F(FencingJournal, ResidueNotRecordedFails) {
  add(seize_row(k_run, "s1", 2), journal::k_succeeded, {{"priorSecondaryIps", json::array()}});
  const Assertion a = judge().old_holder_residue_absent;
  EXPECT_EQ(a.result, k_fail);
  EXPECT_EQ(a.detail,
            "no record of whether previous holder eni-0old still lists 198.18.0.50 "
            "after key s1 (epoch 2)");
}

TEST_F(FencingJournal, FencedReplayPasses) {
  add(capture_row(k_run, "k1", 1), journal::k_succeeded);
  add(seize_row(k_run, "s2", 2), journal::k_succeeded, k_clean);
  add_replay("k1:replay:1", "k1", 1, journal::k_skipped,
             "stale action fenced: epoch 1 < current 2");
  const FencingAssertions f = judge();
  EXPECT_EQ(f.stale_action_fenced.result, k_pass);
  EXPECT_EQ(f.stale_action_fenced.detail,
            "replay k1:replay:1 of k1 (epoch 1): stale action fenced: epoch 1 < current 2");
  // The replay is no capture: the epochs stay 1 -> 2.
  EXPECT_EQ(f.ownership_epoch_bumped.detail, "epochs 1 -> 2 for 198.18.0.50 (keys k1, s2)");
}

TEST_F(FencingJournal, ReplayNotFencedFails) {
  add_replay("k1:replay:1", "k1", 1, journal::k_skipped,
             "stale action fenced: epoch 1 < current 2");
  add_replay("k1:replay:2", "k1", 1, journal::k_failed,
             "stale replay was NOT fenced (epoch 1); left unexecuted");
  const Assertion a = judge().stale_action_fenced;
  EXPECT_EQ(a.result, k_fail);
  EXPECT_EQ(a.detail,
            "replay k1:replay:2 of k1 (epoch 1) not fenced: status failed: stale replay "
            "was NOT fenced (epoch 1); left unexecuted");
}

// Given a replay skipped for another reason, expect it not to count as fenced.
TEST_F(FencingJournal, ReplaySkippedWithoutTheFenceMessageFails) {
  add_replay("k1:replay:1", "k1", 1, journal::k_skipped, "nothing to do");
  EXPECT_EQ(judge().stale_action_fenced.result, k_fail);
}

TEST_F(FencingJournal, NoReplayIsNa) {
  add(capture_row(k_run, "k1", 1), journal::k_succeeded);
  const Assertion a = judge().stale_action_fenced;
  EXPECT_EQ(a.result, k_na);
  EXPECT_EQ(a.detail, "no stale-replay records");
}

}  // namespace
}  // namespace labctl::evidence
