#include "evidence/journal.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "core/strcat.hpp"
#include "core/action_journal.hpp"
#include "core/log.hpp"
#include "core/state_store.hpp"
#include "core/text.hpp"

namespace labctl::evidence {
namespace {

using journal::ActionRow;

constexpr const char* k_no_records = "no journal records";
constexpr const char* k_capture_action = "assign-secondary-ip";
constexpr const char* k_stale_replay = "stale-replay";
constexpr const char* k_fence_prefix = "stale action fenced: epoch ";

// A rollback only ever follows a success (journal.hpp: succeeded -> rolledBack), so an action
// that `down` has since undone still took effect; a bundle collected after teardown must judge
// it like one collected before.
bool took_effect(const ActionRow& row) {
  return row.status == journal::k_succeeded || row.status == journal::k_rolled_back;
}

bool is_replay(const ActionRow& row) { return row.source == k_stale_replay; }

// A capture: an assign carrying its ownership epoch. A stale replay is judged on its own (it
// must be fenced), never as a capture or a retry of one.
bool is_capture(const ActionRow& row) {
  return row.action == k_capture_action && row.epoch.has_value() && !is_replay(row);
}

bool allows_reassignment(const ActionRow& row) {
  const auto it = row.parameters.find("allowReassignment");
  return it != row.parameters.end() && it->is_boolean() && it->get<bool>();
}

std::string previous_holder(const ActionRow& row) {
  const auto it = row.parameters.find("previousHolder");
  return it != row.parameters.end() && it->is_string() ? it->get<std::string>() : std::string();
}

bool is_seize(const ActionRow& row) {
  return row.action == k_capture_action && !is_replay(row) && allows_reassignment(row) &&
         !previous_holder(row).empty();
}

std::string epoch_text(const std::optional<long long>& epoch) {
  return epoch ? std::to_string(*epoch) : std::string("(none)");
}

std::string join(const std::vector<std::string>& parts, const char* separator) {
  std::string out;
  for (const std::string& part : parts) {
    if (!out.empty()) out += separator;
    out += part;
  }
  return out;
}

// pass when there is a passing fact and no failing one; fail on any failing fact. The facts
// quote journal rows (keys, addresses, EC2's messages): outside text, made UTF-8 here so the
// result can always be serialised.
Assertion judge(const char* name, const std::vector<std::string>& passes,
                const std::vector<std::string>& failures, const std::string& na_detail) {
  if (!failures.empty()) return {name, k_fail, text::to_utf8(join(failures, "; "))};
  if (!passes.empty()) return {name, k_pass, text::to_utf8(join(passes, "; "))};
  return {name, k_na, text::to_utf8(na_detail)};
}

Assertion ownership_epoch_bumped(const std::vector<ActionRow>& rows) {
  constexpr const char* k_name = "ownership_epoch_bumped";
  if (rows.empty()) return {k_name, k_na, k_no_records};
  std::map<std::string, std::vector<const ActionRow*>> by_address;  // journal (id) order
  std::vector<std::string> seen;
  for (const ActionRow& row : rows) {
    if (!is_capture(row) || !took_effect(row)) continue;
    by_address[row.address].push_back(&row);
    seen.push_back(cat("key ", row.idempotency_key, " epoch ", *row.epoch, " for ", row.address));
  }
  std::vector<std::string> passes;
  std::vector<std::string> failures;
  for (const auto& [address, captures] : by_address) {
    if (captures.size() < 2) continue;
    bool rising = true;
    for (std::size_t i = 1; i < captures.size(); ++i) {
      const ActionRow& before = *captures[i - 1];
      const ActionRow& after = *captures[i];
      if (*after.epoch > *before.epoch) continue;
      rising = false;
      failures.push_back(cat("epoch ", *after.epoch, " (key ", after.idempotency_key,
                             ") is not above epoch ", *before.epoch, " (key ",
                             before.idempotency_key, ") for ", address));
    }
    if (!rising) continue;
    std::vector<std::string> epochs;
    std::vector<std::string> keys;
    for (const ActionRow* capture : captures) {
      epochs.push_back(std::to_string(*capture->epoch));
      keys.push_back(capture->idempotency_key);
    }
    passes.push_back(
        cat("epochs ", join(epochs, " -> "), " for ", address, " (keys ", join(keys, ", "), ")"));
  }
  const std::string na = cat("fewer than two succeeded captures of one address (",
                             seen.empty() ? "none" : join(seen, ", "), ")");
  return judge(k_name, passes, failures, na);
}

// One seize and its retries: the capture rows of one (address, epoch), in journal order.
struct SeizeGroup {
  std::string address;
  std::optional<long long> epoch;
  std::string holder;
  std::vector<const ActionRow*> rows;
};

std::vector<SeizeGroup> seize_groups(const std::vector<ActionRow>& rows) {
  using GroupKey = std::pair<std::string, std::optional<long long>>;
  std::map<GroupKey, SeizeGroup> groups;
  for (const ActionRow& row : rows) {
    if (is_seize(row)) {
      groups[{row.address, row.epoch}] = {row.address, row.epoch, previous_holder(row), {}};
    }
  }
  // A retry of a seize that lost allowReassignment is no longer a seize row, yet belongs to
  // the group: it is what the assertion exists to catch.
  for (const ActionRow& row : rows) {
    if (row.action != k_capture_action || is_replay(row)) continue;
    const auto it = groups.find({row.address, row.epoch});
    if (it != groups.end()) it->second.rows.push_back(&row);
  }
  std::vector<SeizeGroup> out;
  for (auto& [key, group] : groups) out.push_back(std::move(group));
  return out;
}

// The verdict on one seize: pass, fail, or nullopt while none of its rows has run yet.
struct GroupVerdict {
  std::optional<bool> passed;
  std::string detail;
};

GroupVerdict judge_seize(const SeizeGroup& group) {
  const std::string which = cat("seize of ", group.address, " from ", group.holder, " at epoch ",
                                epoch_text(group.epoch));
  std::vector<std::string> attempts;  // "key (status)" up to the row that decided
  const auto attempts_text = [&attempts] { return cat(" (keys ", join(attempts, ", "), ")"); };
  const bool not_run = std::ranges::all_of(group.rows, [](const ActionRow* row) {
    return row->status == journal::k_pending || row->status == journal::k_approved;
  });
  for (const ActionRow* row : group.rows) {
    attempts.push_back(cat(row->idempotency_key, " (", row->status, ")"));
    if (not_run) continue;
    if (!allows_reassignment(*row)) {
      return {false, cat(which, ": key ", row->idempotency_key,
                         " lacks allowReassignment before the seize succeeded", attempts_text())};
    }
    if (took_effect(*row)) {
      return {true,
              cat(which, ": allowReassignment on every attempt up to success", attempts_text())};
    }
  }
  if (not_run) return {std::nullopt, cat(which, " has not run yet", attempts_text())};
  return {false, cat(which, " never succeeded", attempts_text())};
}

Assertion allow_reassignment_maintained(const std::vector<ActionRow>& rows) {
  constexpr const char* k_name = "allow_reassignment_maintained_until_success";
  if (rows.empty()) return {k_name, k_na, k_no_records};
  std::vector<std::string> passes;
  std::vector<std::string> failures;
  std::vector<std::string> waiting;
  for (const SeizeGroup& group : seize_groups(rows)) {
    GroupVerdict verdict = judge_seize(group);
    auto& into = !verdict.passed ? waiting : *verdict.passed ? passes : failures;
    into.push_back(std::move(verdict.detail));
  }
  const std::string na =
      waiting.empty() ? std::string("no seize (allowReassignment) records") : join(waiting, "; ");
  return judge(k_name, passes, failures, na);
}

Assertion old_holder_residue_absent(const std::vector<ActionRow>& rows) {
  constexpr const char* k_name = "old_holder_residue_absent";
  if (rows.empty()) return {k_name, k_na, k_no_records};
  std::vector<std::string> passes;
  std::vector<std::string> failures;
  for (const ActionRow& row : rows) {
    if (!is_seize(row) || !took_effect(row)) continue;
    const std::string holder = cat("previous holder ", previous_holder(row));
    const std::string after =
        cat(" after key ", row.idempotency_key, " (epoch ", epoch_text(row.epoch), ")");
    const auto it = row.observed.find("previousHolderHasAddress");
    if (it == row.observed.end() || !it->is_boolean()) {
      failures.push_back(cat("no record of whether ", holder, " still lists ", row.address, after));
    } else if (it->get<bool>()) {
      failures.push_back(cat(holder, " still lists ", row.address, after));
    } else {
      passes.push_back(cat(holder, " no longer lists ", row.address, after));
    }
  }
  return judge(k_name, passes, failures, "no succeeded seize (allowReassignment) records");
}

Assertion stale_action_fenced(const std::vector<ActionRow>& rows) {
  constexpr const char* k_name = "stale_action_fenced";
  if (rows.empty()) return {k_name, k_na, k_no_records};
  std::vector<std::string> passes;
  std::vector<std::string> failures;
  for (const ActionRow& row : rows) {
    if (!is_replay(row)) continue;
    const auto replayed = row.parameters.find("replayOf");
    const std::string of = replayed != row.parameters.end() && replayed->is_string()
                               ? cat(" of ", replayed->get<std::string>())
                               : std::string();
    const std::string which =
        cat("replay ", row.idempotency_key, of, " (epoch ", epoch_text(row.epoch), ")");
    if (row.status == journal::k_skipped && row.result_message.starts_with(k_fence_prefix)) {
      passes.push_back(cat(which, ": ", row.result_message));
    } else {
      failures.push_back(cat(which, " not fenced: status ", row.status,
                             row.result_message.empty() ? "" : ": ", row.result_message));
    }
  }
  return judge(k_name, passes, failures, "no stale-replay records");
}

FencingAssertions all_na(const std::string& detail) {
  return {
      .ownership_epoch_bumped = {"ownership_epoch_bumped", k_na, detail},
      .allow_reassignment_maintained_until_success = {"allow_reassignment_maintained_until_success",
                                                      k_na, detail},
      .old_holder_residue_absent = {"old_holder_residue_absent", k_na, detail},
      .stale_action_fenced = {"stale_action_fenced", k_na, detail},
  };
}

}  // namespace

FencingAssertions fencing_assertions(state::Store* store, const std::string& run_id) {
  if (store == nullptr) return all_na(k_no_records);
  auto rows = journal::list(*store, run_id);
  if (!rows) {
    log::warn("evidence", cat("evidence: cannot read the action journal: ", rows.error().message));
    return all_na(cat("journal unreadable: ", rows.error().message));
  }
  return {
      .ownership_epoch_bumped = ownership_epoch_bumped(*rows),
      .allow_reassignment_maintained_until_success = allow_reassignment_maintained(*rows),
      .old_holder_residue_absent = old_holder_residue_absent(*rows),
      .stale_action_fenced = stale_action_fenced(*rows),
  };
}

}  // namespace labctl::evidence
