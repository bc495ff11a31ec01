#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/state_store.hpp"

// The provider-action journal: the `action_executions` table of the state database (the
// original's columns, plus run_id, address and the ownership epoch that fencing compares).
// It is the single source of truth for what ran: the idempotency guard, the prior state an
// undo restores, and the records evidence's fencing assertions rest on. Never holds secrets.
namespace labctl::journal {

// Statuses, as in routerd's journal.
inline constexpr const char* k_pending = "pending";
inline constexpr const char* k_approved = "approved";
inline constexpr const char* k_running = "running";
inline constexpr const char* k_succeeded = "succeeded";
inline constexpr const char* k_failed = "failed";
inline constexpr const char* k_skipped = "skipped";
inline constexpr const char* k_rolled_back = "rolledBack";

struct ActionRow {
  long long id = 0;
  std::string idempotency_key;
  std::string source;        // who imported it: "plan", "import", "stale-replay", "undo"
  std::string run_id;
  std::string provider;      // aws
  std::string provider_ref;  // the profile's provider reference, "" when none
  std::string action;        // assign-secondary-ip, ...
  nlohmann::json target = nlohmann::json::object();      // {eni, address, region}
  nlohmann::json parameters = nlohmann::json::object();  // allowReassignment, ownershipEpoch, ...
  nlohmann::json undo = nlohmann::json::object();        // {action, parameters} or {}
  nlohmann::json observed = nlohmann::json::object();    // facts read before/after mutating
  std::string risk_level;    // low (read-only), medium (reversible mutation), high (seize)
  std::string status = k_pending;
  std::string address;       // target.address, for the epoch fence
  std::optional<long long> epoch;  // ownership epoch of a capture action
  std::string approved_by;
  std::string approved_at;
  std::string executed_at;
  std::string result_message;
  std::string error;
  std::string created_at;
  std::string updated_at;
};

enum class ImportOutcome {
  inserted,   // a new key, now pending
  reset,      // a failed or skipped key, reset to pending
  duplicate,  // the key exists with another status; nothing changed
};

// Inserts `row` as pending, or resets an existing failed/skipped row with the same key to
// pending (with the new row's fields); any other existing status is a duplicate.
[[nodiscard]] Expected<ImportOutcome> import_action(state::Store& store, const ActionRow& row);

// import_action for each row in order, in one transaction (joining the caller's, if any) with
// prepared statements reused across rows: all rows are journaled or none. A key repeated in
// `rows` is inserted once and is a duplicate after.
[[nodiscard]] Expected<std::vector<ImportOutcome>> import_actions(
    state::Store& store, const std::vector<ActionRow>& rows);

[[nodiscard]] Expected<std::optional<ActionRow>> find(state::Store& store, const std::string& key);

// The run's actions in journal order (ascending id); every action when run_id is empty.
[[nodiscard]] Expected<std::vector<ActionRow>> list(state::Store& store, const std::string& run_id);

// Moves `key` from one of `from` to `to`, atomically; false if the row was not in `from`.
[[nodiscard]] Expected<bool> transition(state::Store& store, const std::string& key,
                                        const std::vector<std::string>& from,
                                        const std::string& to);

// pending -> approved, recording who and when; false if the row was not pending.
[[nodiscard]] Expected<bool> approve(state::Store& store, const std::string& key,
                                     const std::string& by);

// Records an outcome: status, message, observed facts, error and executed_at (now).
[[nodiscard]] Expected<void> record_result(state::Store& store, const std::string& key,
                                           const std::string& status, const std::string& message,
                                           const nlohmann::json& observed,
                                           const std::string& error);

// The newest ownership epoch of a capture of `address` in `run_id` that took effect (succeeded,
// or succeeded and was later rolled back: epochs never go back, so a re-capture after an undo
// plans a new key and older captures stay fenced); nullopt if none.
[[nodiscard]] Expected<std::optional<long long>> current_epoch(state::Store& store,
                                                               const std::string& run_id,
                                                               const std::string& address);

// current_epoch for every address of `run_id` that has one, in one query (address -> epoch).
[[nodiscard]] Expected<std::map<std::string, long long>> current_epochs(state::Store& store,
                                                                       const std::string& run_id);

// The row as the original's journal JSON (camelCase keys), for `action show --json` and evidence.
[[nodiscard]] nlohmann::ordered_json to_json(const ActionRow& row);

}  // namespace labctl::journal
