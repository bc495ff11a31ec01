#include "core/action_journal.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <optional>

#include "core/db.hpp"
#include "tests/unit/core/store_test.hpp"

namespace labctl::journal {
namespace {

using labctl::testing::k_both_stores;
using labctl::testing::race;
using labctl::testing::store_kind_name;

ActionRow capture(const std::string& key, const std::string& address, long long epoch) {
  ActionRow row;
  row.idempotency_key = key;
  row.source = "plan";
  row.run_id = "20260601T030000Z-cloudedge-unit";
  row.provider = "aws";
  row.action = "assign-secondary-ip";
  row.target = {{"nicRef", "eni-0a"}, {"address", address}, {"region", "us-east-1"}};
  row.parameters = {{"ownershipEpoch", epoch}};
  row.risk_level = "medium";
  row.address = address;
  row.epoch = epoch;
  return row;
}

// The journal's guarantees, on each store.
class JournalTest : public labctl::testing::StoreTest {
 protected:
  std::string status_of(const std::string& key) {
    auto row = find(*store, key);
    EXPECT_TRUE(row && *row);
    return row && *row ? (*row)->status : "";
  }

  // `n` Stores on the test's database, each with its own connection: n processes or machines.
  std::vector<std::unique_ptr<state::Store>> open_stores(int n) {
    std::vector<std::unique_ptr<state::Store>> stores;
    for (int i = 0; i < n; ++i) stores.push_back(open_as("machine-" + std::to_string(i)));
    return stores;
  }

  // The index of the one result that is true; fails the test on an error or on no or several
  // true results.
  static std::size_t only_winner(const std::vector<Expected<bool>>& results) {
    std::size_t winners = 0;
    std::size_t winner = results.size();
    for (std::size_t i = 0; i < results.size(); ++i) {
      EXPECT_TRUE(results[i]) << i << ": " << results[i].error().message;
      if (results[i] && *results[i]) {
        ++winners;
        winner = i;
      }
    }
    EXPECT_EQ(winners, 1u);
    return winner;
  }

  static constexpr int k_racers = 8;
};

// Given a new key, then the same key again while pending, expect inserted then duplicate.
TEST_P(JournalTest, ImportInsertsPendingAndCountsARepeatAsDuplicate) {
  const auto row = capture("k1", "10.0.0.5", 1);
  EXPECT_EQ(import_action(*store, row).value(), ImportOutcome::inserted);
  EXPECT_EQ(status_of("k1"), k_pending);
  EXPECT_EQ(import_action(*store, row).value(), ImportOutcome::duplicate);
}

// Given failed and skipped keys, expect a re-import to reset them to pending (clearing the
// result), and a succeeded key to stay untouched.
TEST_P(JournalTest, ReimportResetsFailedAndSkippedButNeverSucceeded) {
  for (const auto* status : {k_failed, k_skipped, k_succeeded}) {
    const std::string key = std::string("k-") + status;
    ASSERT_TRUE(import_action(*store, capture(key, "10.0.0.5", 1)));
    ASSERT_TRUE(record_result(*store, key, status, "msg", {{"x", 1}}, "err"));
  }
  EXPECT_EQ(import_action(*store, capture("k-failed", "10.0.0.5", 1)).value(),
            ImportOutcome::reset);
  EXPECT_EQ(import_action(*store, capture("k-skipped", "10.0.0.5", 1)).value(),
            ImportOutcome::reset);
  EXPECT_EQ(import_action(*store, capture("k-succeeded", "10.0.0.5", 1)).value(),
            ImportOutcome::duplicate);
  const auto reset = find(*store, "k-failed").value();
  EXPECT_EQ(reset->status, k_pending);
  EXPECT_EQ(reset->error, "");
  EXPECT_EQ(reset->executed_at, "");
  EXPECT_EQ(status_of("k-succeeded"), k_succeeded);
}

// Given a batch of 20,000 new rows, one key repeated and one key already failed, expect every
// outcome in order, in a few seconds (one transaction, statements prepared once).
TEST_P(JournalTest, BatchImportKeepsOrderAndIsFast) {
  ASSERT_TRUE(import_action(*store, capture("old", "10.0.0.5", 1)));
  ASSERT_TRUE(record_result(*store, "old", k_failed, "m", {}, "e"));
  std::vector<ActionRow> rows;
  for (int i = 0; i < 20000; ++i) rows.push_back(capture("k" + std::to_string(i), "10.0.0.5", 1));
  rows.push_back(capture("k7", "10.0.0.5", 1));
  rows.push_back(capture("old", "10.0.0.5", 2));
  const auto started = std::chrono::steady_clock::now();
  const auto outcomes = import_actions(*store, rows);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
  ASSERT_TRUE(outcomes) << outcomes.error().message;
  ASSERT_EQ(outcomes->size(), rows.size());
  EXPECT_EQ((*outcomes)[0], ImportOutcome::inserted);
  EXPECT_EQ((*outcomes)[19999], ImportOutcome::inserted);
  EXPECT_EQ((*outcomes)[20000], ImportOutcome::duplicate);
  EXPECT_EQ((*outcomes)[20001], ImportOutcome::reset);
  EXPECT_EQ(list(*store, "").value().size(), 20001U);
  EXPECT_EQ(find(*store, "old").value()->epoch, 2);
}

// Given a batch inside a caller's transaction that is never committed (a killed import), expect
// none of its rows in the journal.
TEST_P(JournalTest, BatchImportInsideAnAbandonedTransactionLeavesNothing) {
  {
    state::Transaction tx(store->db());
    ASSERT_TRUE(tx.begin());
    std::vector<ActionRow> rows;
    for (int i = 0; i < 100; ++i) rows.push_back(capture("k" + std::to_string(i), "10.0.0.5", 1));
    ASSERT_TRUE(import_actions(*store, rows));
    EXPECT_EQ(list(*store, "").value().size(), 100U);  // visible inside the transaction
  }
  EXPECT_EQ(list(*store, "").value().size(), 0U);
}

// Given parameters and observed facts holding bytes that are not UTF-8 (an outside message),
// expect them stored (replaced by U+FFFD) instead of an exception half-way through a write.
TEST_P(JournalTest, NonUtf8JsonIsStoredNotThrown) {
  auto row = capture("k1", "10.0.0.5", 1);
  row.parameters["note"] = "\xff\xfe";
  ASSERT_TRUE(import_action(*store, row));
  ASSERT_TRUE(record_result(*store, "k1", k_failed, "m", {{"msg", "bad \xc3"}}, "e"));
  const auto stored = find(*store, "k1").value();
  EXPECT_EQ(stored->parameters["note"], "\ufffd\ufffd");
  EXPECT_EQ(stored->observed["msg"], "bad \ufffd");
}

// Given a pending row, expect approve to record who and when once, and to refuse a second time.
TEST_P(JournalTest, ApproveOnlyFromPending) {
  ASSERT_TRUE(import_action(*store, capture("k1", "10.0.0.5", 1)));
  EXPECT_TRUE(approve(*store, "k1", "alice").value());
  const auto row = find(*store, "k1").value();
  EXPECT_EQ(row->status, k_approved);
  EXPECT_EQ(row->approved_by, "alice");
  EXPECT_FALSE(row->approved_at.empty());
  EXPECT_FALSE(approve(*store, "k1", "mallory").value());
  EXPECT_EQ(find(*store, "k1").value()->approved_by, "alice");
}

// Given an approved row, expect the claim (approved -> running) to succeed once only.
TEST_P(JournalTest, TransitionIsACompareAndSet) {
  ASSERT_TRUE(import_action(*store, capture("k1", "10.0.0.5", 1)));
  EXPECT_FALSE(transition(*store, "k1", {k_approved}, k_running).value());
  ASSERT_TRUE(approve(*store, "k1", "alice").value());
  EXPECT_TRUE(transition(*store, "k1", {k_approved}, k_running).value());
  EXPECT_FALSE(transition(*store, "k1", {k_approved}, k_running).value());
  EXPECT_FALSE(transition(*store, "missing", {k_approved}, k_running).value());
  EXPECT_EQ(status_of("k1"), k_running);
}

// Given captures of one address in several states, expect the current epoch to be the newest
// succeeded (or since rolled back) one of that run and address only.
TEST_P(JournalTest, CurrentEpochCountsSucceededCapturesOfTheAddressOnly) {
  const std::string run = capture("x", "a", 0).run_id;
  EXPECT_FALSE(current_epoch(*store, run, "10.0.0.5").value());
  ASSERT_TRUE(import_action(*store, capture("e1", "10.0.0.5", 1)));
  ASSERT_TRUE(record_result(*store, "e1", k_succeeded, "", {}, ""));
  ASSERT_TRUE(import_action(*store, capture("e3", "10.0.0.5", 3)));  // pending: not current
  ASSERT_TRUE(import_action(*store, capture("other", "10.0.0.9", 7)));
  ASSERT_TRUE(record_result(*store, "other", k_succeeded, "", {}, ""));
  EXPECT_EQ(current_epoch(*store, run, "10.0.0.5").value(), 1);
  ASSERT_TRUE(record_result(*store, "e3", k_succeeded, "", {}, ""));
  EXPECT_EQ(current_epoch(*store, run, "10.0.0.5").value(), 3);
  // Undoing a capture does not lower the epoch: a replay of e1 must stay fenced.
  ASSERT_TRUE(transition(*store, "e3", {k_succeeded}, k_rolled_back).value());
  EXPECT_EQ(current_epoch(*store, run, "10.0.0.5").value(), 3);
  EXPECT_FALSE(current_epoch(*store, "20260601T030000Z-cloudedge-other", "10.0.0.5").value());
}

// Given rows of two runs, expect list to keep journal order and filter by run.
TEST_P(JournalTest, ListKeepsOrderAndFiltersByRun) {
  auto foreign = capture("f1", "10.0.0.5", 1);
  foreign.run_id = "20260601T030000Z-cloudedge-other";
  ASSERT_TRUE(import_action(*store, capture("k2", "10.0.0.5", 1)));
  ASSERT_TRUE(import_action(*store, foreign));
  ASSERT_TRUE(import_action(*store, capture("k1", "10.0.0.5", 2)));
  const auto mine = list(*store, capture("x", "a", 0).run_id).value();
  ASSERT_EQ(mine.size(), 2u);
  EXPECT_EQ(mine[0].idempotency_key, "k2");
  EXPECT_EQ(mine[1].idempotency_key, "k1");
  EXPECT_EQ(list(*store, "").value().size(), 3u);
  EXPECT_EQ(to_json(mine[1])["epoch"], 2);
}

// Given an approved action and eight processes (each its own connection) racing to claim it
// (approved -> running), expect exactly one claim, and no errors.
TEST_P(JournalTest, ConcurrentClaimsFromSeparateConnectionsSucceedOnce) {
  ASSERT_TRUE(import_action(*store, capture("k1", "10.0.0.5", 1)));
  ASSERT_TRUE(approve(*store, "k1", "alice").value());
  const auto stores = open_stores(k_racers);
  for (const auto& one : stores) ASSERT_NE(one, nullptr);
  std::vector<Expected<bool>> claims(k_racers);
  race(k_racers, [&](int i) { claims[i] = transition(*stores[i], "k1", {k_approved}, k_running); });
  only_winner(claims);
  EXPECT_EQ(status_of("k1"), k_running);
}

// Given a pending action and eight processes racing to approve it, expect exactly one approval,
// recorded as the winner's.
TEST_P(JournalTest, ConcurrentApprovalsFromSeparateConnectionsSucceedOnce) {
  ASSERT_TRUE(import_action(*store, capture("k1", "10.0.0.5", 1)));
  const auto stores = open_stores(k_racers);
  for (const auto& one : stores) ASSERT_NE(one, nullptr);
  std::vector<Expected<bool>> approvals(k_racers);
  race(k_racers,
       [&](int i) { approvals[i] = approve(*stores[i], "k1", "user-" + std::to_string(i)); });
  const std::size_t winner = only_winner(approvals);
  EXPECT_EQ(find(*store, "k1").value()->approved_by, "user-" + std::to_string(winner));
}

INSTANTIATE_TEST_SUITE_P(Stores, JournalTest, k_both_stores, store_kind_name);

}  // namespace
}  // namespace labctl::journal
