#pragma once

#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/action_journal.hpp"
#include "core/state_store.hpp"

// Journal rows as the provider-action executor writes them (core/action_journal.hpp and the
// conventions evidence/journal.hpp judges), for the fencing-assertion tests.
namespace labctl::evidence::testing {

inline const std::string k_address = "198.18.0.50";

// A capture: assign-secondary-ip of `address` onto eni-0new with ownership epoch `epoch`.
inline journal::ActionRow capture_row(const std::string& run_id, const std::string& key,
                                      long long epoch, const std::string& address = k_address) {
  journal::ActionRow row;
  row.idempotency_key = key;
  row.source = "plan";
  row.run_id = run_id;
  row.provider = "aws";
  row.action = "assign-secondary-ip";
  row.target = {{"nicRef", "eni-0new"}, {"address", address}, {"region", "us-east-1"}};
  row.parameters = {{"ownershipEpoch", epoch}};
  row.risk_level = "medium";
  row.address = address;
  row.epoch = epoch;
  return row;
}

// A seize: a capture with allowReassignment from `holder`.
inline journal::ActionRow seize_row(const std::string& run_id, const std::string& key,
                                    long long epoch, const std::string& holder = "eni-0old") {
  journal::ActionRow row = capture_row(run_id, key, epoch);
  row.parameters["allowReassignment"] = true;
  row.parameters["previousHolder"] = holder;
  row.risk_level = "high";
  return row;
}

// Imports `row` and drives it to `status` the way the executor does: approve, then record the
// outcome; rolledBack is a recorded success rolled back.
inline void journal_row(state::Store& store, const journal::ActionRow& row,
                        const std::string& status, const nlohmann::json& observed = {},
                        const std::string& message = "") {
  auto imported = journal::import_action(store, row);
  ASSERT_TRUE(imported.has_value()) << imported.error().message;
  ASSERT_EQ(*imported, journal::ImportOutcome::inserted) << row.idempotency_key;
  if (status == journal::k_pending) return;
  auto approved = journal::approve(store, row.idempotency_key, "tester");
  ASSERT_TRUE(approved.has_value() && *approved) << row.idempotency_key;
  if (status == journal::k_approved) return;
  const bool rolled_back = status == journal::k_rolled_back;
  const nlohmann::json facts = observed.is_null() ? nlohmann::json::object() : observed;
  auto recorded = journal::record_result(store, row.idempotency_key,
                                         rolled_back ? journal::k_succeeded : status, message,
                                         facts, status == journal::k_failed ? message : "");
  ASSERT_TRUE(recorded.has_value()) << recorded.error().message;
  if (!rolled_back) return;
  auto moved = journal::transition(store, row.idempotency_key, {journal::k_succeeded},
                                   journal::k_rolled_back);
  ASSERT_TRUE(moved.has_value() && *moved) << row.idempotency_key;
}

}  // namespace labctl::evidence::testing
