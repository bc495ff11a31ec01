#include "executor/gate.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "core/json_io.hpp"
#include "core/log.hpp"
#include "core/db.hpp"
#include "core/suggest.hpp"
#include "core/time.hpp"

namespace labctl::executor {
namespace {

constexpr const char* k_fail_profile_meta = "executor.fail_profile";

journal::ActionRow row_of(const ActionRequest& request, const std::string& run_id,
                          const std::string& source) {
  journal::ActionRow row;
  row.idempotency_key = request.idempotency_key;
  row.source = source;
  row.run_id = run_id;
  row.provider = request.provider;
  row.provider_ref = request.provider_ref;
  row.action = request.action;
  row.target = providers::target_json(request.target);
  row.parameters = request.parameters;
  if (const auto undo = providers::undo_action_of(request.action); !undo.empty()) {
    row.undo = {{"action", undo}, {"parameters", nlohmann::json::object()}};
  }
  const bool seize = request.parameters.value("allowReassignment", false);
  row.risk_level = seize ? "high" : "medium";
  row.address = request.target.address;
  if (const auto epoch = request.parameters.find("ownershipEpoch");
      epoch != request.parameters.end() && epoch->is_number_integer()) {
    row.epoch = epoch->get<long long>();
  }
  return row;
}

std::string key_for(const std::string& run_id, const std::string& action, const std::string& eni,
                    const std::string& address, long long epoch) {
  return run_id + "/" + action + "/" + eni + "/" + (address.empty() ? "-" : address) + "/e" +
         std::to_string(epoch);
}

// Records a hard stop on a journal row: failed, with the reason as message and error.
Expected<void> journal_stop(state::Store& store, const std::string& key, const std::string& why) {
  return journal::record_result(store, key, journal::k_failed, why, nlohmann::json::object(), why);
}

// The fence: a capture whose epoch is below `current` (the newest epoch that took effect for
// its address) is stale.
std::optional<std::string> stale_reason(const journal::ActionRow& row,
                                        std::optional<long long> current) {
  if (row.action != providers::k_assign || !row.epoch || !current || *row.epoch >= *current) {
    return std::nullopt;
  }
  return "stale action fenced: epoch " + std::to_string(*row.epoch) + " < current " +
         std::to_string(*current);
}

// "unassign-secondary-ip removes only addresses we assigned": a succeeded assign of the same
// address to the same ENI in this run must stand behind it. `assigned` holds the run's succeeded
// assigns as "address nicRef".
std::optional<std::string> unassign_refusal(const journal::ActionRow& row,
                                            const std::set<std::string>& assigned) {
  const std::string nic_ref = row.target.value("nicRef", "");
  if (row.action != providers::k_unassign || assigned.contains(row.address + " " + nic_ref)) {
    return std::nullopt;
  }
  return "hard stop: labctl unassigns only addresses it assigned; the journal has no succeeded "
         "assign of " + row.address + " to " + nic_ref + " in run " + row.run_id;
}

// What the import probe's answer depends on. A dry-run reads the ENI (describe, then the run's
// tag fence) and, for ensure-forwarding-disabled, checks the prior value it would restore; the
// address, epoch and key only shape its message. So one probe answers every row with the same
// action, ENI, region and parameters other than those — a 20,000-row plan costs a handful of
// describes, not 20,000.
std::string probe_key(const ActionRequest& request) {
  nlohmann::json parameters = request.parameters;
  for (const char* per_row : {"ownershipEpoch", "replayOf", "previousHolder"}) {
    parameters.erase(per_row);
  }
  return request.action + "\n" + request.target.region + "\n" + request.target.nic_ref + "\n" +
         json_io::dump(parameters);
}

}  // namespace

ActionRequest request_of(const journal::ActionRow& row, const std::string& mode) {
  ActionRequest request;
  request.action = row.action;
  request.provider = row.provider;
  request.provider_ref = row.provider_ref;
  request.target = providers::target_from_json(row.target);
  request.parameters = row.parameters;
  request.mode = mode;
  request.idempotency_key = row.idempotency_key;
  request.context = {{"runId", row.run_id}};
  return request;
}

Expected<std::vector<ActionRequest>> plan_capture(state::Store& store,
                                                  const CaptureTarget& target) {
  auto current = journal::current_epoch(store, target.run_id, target.address);
  if (!current) return std::unexpected(current.error());
  const long long epoch = current->value_or(0) + 1;
  const providers::Target where{target.eni, "", target.region};
  const std::string key = key_for(target.run_id, providers::k_forwarding_on, target.eni, "", epoch);
  ActionRequest forwarding{providers::k_forwarding_on, target.provider, "", where,
                           nlohmann::json::object(), providers::k_mode_dry_run, key,
                           {{"runId", target.run_id}}, {}};
  ActionRequest capture = forwarding;
  capture.action = providers::k_assign;
  capture.target.address = target.address;
  capture.parameters = {{"ownershipEpoch", epoch}};
  if (!target.previous_holder.empty()) {
    capture.parameters["allowReassignment"] = true;
    capture.parameters["previousHolder"] = target.previous_holder;
  }
  capture.idempotency_key =
      key_for(target.run_id, providers::k_assign, target.eni, target.address, epoch);
  return std::vector<ActionRequest>{forwarding, capture};
}

nlohmann::ordered_json plan_document(const std::string& run_id,
                                     const std::vector<ActionRequest>& actions) {
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const auto& action : actions) list.push_back(providers::to_json(action));
  return {{"apiVersion", providers::k_api_version}, {"kind", "ActionPlan"}, {"runId", run_id},
          {"actions", list}};
}

Expected<ActionRunner> Gate::runner_of(const std::string& provider) {
  auto known = m_runner_of.find(provider);
  if (known == m_runner_of.end()) known = m_runner_of.emplace(provider, m_runners(provider)).first;
  return known->second;
}

Outcome Gate::run(const ActionRequest& request, const std::string& run_id,
                  const std::string& credentials_profile) {
  auto runner = runner_of(request.provider);
  if (!runner) {
    const std::string why = "hard stop: " + runner.error().message;
    return Outcome{{journal::k_failed, why, nlohmann::json::object(), false, why},
                   ExitCode::refused};
  }
  return (*runner)(request, run_id, credentials_profile);
}

Expected<std::optional<std::string>> Gate::fence_reason(const journal::ActionRow& row) {
  if (row.action != providers::k_assign || !row.epoch) return std::optional<std::string>();
  auto current = journal::current_epoch(m_store, row.run_id, row.address);
  if (!current) return std::unexpected(current.error());
  return stale_reason(row, *current);
}

Expected<std::vector<ImportReport>> Gate::import(const std::string& run_id,
                                                 const std::vector<ActionRequest>& requests,
                                                 const std::string& source) {
  std::set<std::string> providers;
  for (const auto& request : requests) providers.insert(request.provider);
  std::string plan_stop;
  if (providers.size() > 1) {
    plan_stop = "hard stop: more than one provider in one plan (" +
                join(std::vector<std::string>(providers.begin(), providers.end()), ",") +
                "); the executor takes exactly one";
  } else if (!providers.empty()) {
    if (auto runner = runner_of(*providers.begin()); !runner) {
      plan_stop = "hard stop: " + runner.error().message;
    }
  }
  std::vector<journal::ActionRow> rows;
  rows.reserve(requests.size());
  for (const auto& request : requests) rows.push_back(row_of(request, run_id, source));

  // Before the write, read-only: the run's succeeded assigns (for the unassign rule), the
  // current ownership epochs (for the fence) and the probes (the ENI must be the run's, and describable, before anything is approved). Neither
  // changes while this command holds the run's lease; imported rows are only pending.
  std::set<std::string> assigned;
  auto existing = journal::list(m_store, run_id);
  if (!existing) return std::unexpected(existing.error());
  for (const auto& other : *existing) {
    if (other.action == providers::k_assign && other.status == journal::k_succeeded) {
      assigned.insert(other.address + " " + other.target.value("nicRef", ""));
    }
  }
  auto epochs = journal::current_epochs(m_store, run_id);
  if (!epochs) return std::unexpected(epochs.error());
  std::vector<std::string> stops(rows.size(), plan_stop);
  std::map<std::string, std::string> probed;  // probe_key -> the probe's stop ("" passed)
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (stops[i].empty()) stops[i] = unassign_refusal(rows[i], assigned).value_or("");
    if (!stops[i].empty()) continue;
    const auto request = request_of(rows[i], providers::k_mode_dry_run);
    const auto [known, inserted] = probed.try_emplace(probe_key(request));
    if (inserted) {
      const auto probe = run(request, run_id, "");
      if (probe.code != ExitCode::ok) known->second = probe.result.message;
    }
    stops[i] = known->second;
  }

  // One transaction: the whole plan is journaled, or (killed, or an error) none of it.
  state::Transaction tx(m_store.db());
  if (auto begun = tx.begin(); !begun) return std::unexpected(begun.error());
  auto outcomes = journal::import_actions(m_store, rows);
  if (!outcomes) return std::unexpected(outcomes.error());
  std::vector<ImportReport> reports;
  reports.reserve(rows.size());
  bool refused = false;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& row = rows[i];
    if ((*outcomes)[i] == journal::ImportOutcome::duplicate) {
      reports.push_back({row.idempotency_key, "duplicate", "already in the journal; unchanged"});
      continue;
    }
    if (!stops[i].empty()) {
      if (auto journaled = journal_stop(m_store, row.idempotency_key, stops[i]); !journaled) {
        return std::unexpected(journaled.error());
      }
      reports.push_back({row.idempotency_key, "refused", stops[i]});
      refused = true;
      continue;
    }
    const auto current = epochs->find(row.address);
    const auto fenced = stale_reason(
        row, current == epochs->end() ? std::nullopt : std::optional<long long>(current->second));
    if (fenced) {
      if (auto journaled = journal::record_result(m_store, row.idempotency_key, journal::k_skipped,
                                                  *fenced, nlohmann::json::object(), "");
          !journaled) {
        return std::unexpected(journaled.error());
      }
      reports.push_back({row.idempotency_key, "fenced", *fenced});
      continue;
    }
    reports.push_back({row.idempotency_key,
                       (*outcomes)[i] == journal::ImportOutcome::reset ? "reset" : "inserted",
                       "pending approval"});
  }
  if (auto committed = tx.commit(); !committed) return std::unexpected(committed.error());
  if (refused) {
    constexpr std::size_t k_listed = 20;  // the journal holds every row's reason
    std::string message = "action import: refused:";
    std::size_t count = 0;
    for (const auto& r : reports) {
      if (r.outcome != "refused") continue;
      if (++count <= k_listed) message += "\n  - " + r.key + ": " + r.message;
    }
    if (count > k_listed) {
      message += "\n  ... and " + std::to_string(count - k_listed) +
                 " more (see labctl action list)";
    }
    return fail(ExitCode::refused, message);
  }
  return reports;
}

Expected<Outcome> Gate::run_row(const journal::ActionRow& row) {
  std::string identity;
  auto scoped = m_store.get_meta(row.run_id, k_fail_profile_meta);
  if (!scoped) return std::unexpected(scoped.error());
  if (*scoped && (*scoped)->is_string()) {
    identity = (*scoped)->get<std::string>();
    // Consumed by this action only: the fault scopes down "the next provider action".
    if (auto cleared = m_store.set_meta(row.run_id, k_fail_profile_meta, nullptr); !cleared) {
      return std::unexpected(cleared.error());
    }
    log::warn("executor.scoped", "executor: running " + row.idempotency_key +
                                     " with the scoped-down credentials profile '" + identity +
                                     "' (failover --fault executor-fail)");
  }
  {
    // The claim and the check that this process still holds the run's lease, in one write
    // transaction: a machine that took the run over cannot slip in between.
    state::Transaction tx(m_store.db());
    TRY(tx.begin());
    TRY(m_store.check_lease_held(row.run_id));
    auto claimed = journal::transition(m_store, row.idempotency_key, {journal::k_approved},
                                       journal::k_running);
    if (!claimed) return std::unexpected(claimed.error());
    if (!*claimed) {
      return fail(ExitCode::refused, "action " + row.idempotency_key +
                                         " is no longer approved (another process claimed it)");
    }
    TRY(tx.commit());
  }
  auto request = request_of(row, providers::k_mode_execute);
  // Checked again between the provider's describe and its mutation: the call may have been
  // slow, or this process paused, long enough for another machine to take the run over or
  // capture the address anew.
  request.before_mutation = [this, &row]() -> std::optional<std::string> {
    if (auto held = m_store.check_lease_held(row.run_id); !held) return held.error().message;
    auto fenced = fence_reason(row);
    if (!fenced) return "the ownership epoch cannot be checked: " + fenced.error().message;
    return *fenced;
  };
  auto outcome = run(request, row.run_id, identity);
  if (!identity.empty()) outcome.result.observed["identity"] = "scoped:" + identity;
  if (auto recorded = journal::record_result(m_store, row.idempotency_key, outcome.result.status,
                                             outcome.result.message, outcome.result.observed,
                                             outcome.result.error);
      !recorded) {
    return std::unexpected(recorded.error());
  }
  if (!identity.empty()) {
    const bool closed = outcome.result.status == journal::k_failed;
    (void)m_store.add_event(row.run_id, "failover",
                            {{"fault", "executor-fail"},
                             {"result", closed ? "failed-closed" : "NOT-failed-closed"},
                             {"key", row.idempotency_key},
                             {"error", outcome.result.error}});
  }
  return outcome;
}

Expected<Outcome> Gate::execute(const std::string& key, bool approved) {
  auto found = journal::find(m_store, key);
  if (!found) return std::unexpected(found.error());
  if (!*found) {
    return fail(ExitCode::usage, "action execute: no action " + key + " in the journal (see "
                                 "labctl action list)");
  }
  const auto& row = **found;
  if (!approved) {
    return fail(ExitCode::refused, "action execute: a bare execute is refused; review it with "
                                   "`labctl action show " + key + "`, approve it with `labctl "
                                   "action approve " + key + " --by NAME`, then run `labctl "
                                   "action execute " + key + " --approved`");
  }
  if (row.status == journal::k_running) {
    // The caller holds the run's lease, so no live process is executing this row: the one that
    // claimed it died mid-call (or was silent past its lease time, and its mutation fence
    // stops it before it sends anything if it wakes up). Whether the mutation reached EC2 is unknown — an ambiguous
    // result, recorded as failed and never retried blindly.
    const std::string why = "hard stop: ambiguous result: the process executing " + key +
                            " died before recording its outcome; describe the ENI (labctl "
                            "preflight) and re-import the action to retry";
    if (auto journaled = journal_stop(m_store, key, why); !journaled) {
      return std::unexpected(journaled.error());
    }
    return Outcome{{journal::k_failed, why, row.observed, false, why}, ExitCode::refused};
  }
  if (row.status == journal::k_succeeded) {
    log::info("executor.noop", "action " + key + " is " + row.status + "; not run again");
    return Outcome{{row.status, "already " + row.status + "; not run again", row.observed,
                    !row.undo.empty(), ""},
                   ExitCode::ok};
  }
  if (row.status != journal::k_approved) {
    const std::string hint = row.status == journal::k_pending
                                 ? "not approved (approval required): labctl action approve " +
                                       key + " --by NAME"
                                 : row.status == journal::k_rolled_back
                                       ? "rolled back; plan and import a new action"
                                       : "re-import it to retry (labctl action import)";
    return fail(ExitCode::refused, "action execute: " + key + " is " + row.status + ": " + hint);
  }
  auto fenced = fence_reason(row);
  if (!fenced) return std::unexpected(fenced.error());
  if (*fenced) {
    if (auto recorded = journal::record_result(m_store, key, journal::k_skipped, **fenced,
                                               row.observed, "");
        !recorded) {
      return std::unexpected(recorded.error());
    }
    return Outcome{{journal::k_skipped, **fenced, row.observed, false, ""}, ExitCode::refused};
  }
  if (!m_live) {
    log::info("executor.dry", "[dry] CE_DRY_RUN is not 0: running " + key +
                                  " in dry-run mode (describe only); the journal is unchanged");
    return run(request_of(row, providers::k_mode_dry_run), row.run_id, "");
  }
  return run_row(row);
}

Expected<Outcome> Gate::undo(const std::string& key, const std::string& by) {
  auto found = journal::find(m_store, key);
  if (!found) return std::unexpected(found.error());
  if (!*found) return fail(ExitCode::usage, "action undo: no action " + key + " in the journal");
  const auto& row = **found;
  if (row.status != journal::k_succeeded) {
    return fail(ExitCode::refused, "action undo: " + key + " is " + row.status +
                                       "; only a succeeded action can be undone");
  }
  journal::ActionRow undo_row = row;
  undo_row.idempotency_key = key + ":undo";
  undo_row.source = "undo";
  undo_row.action = row.undo.value("action", "");
  undo_row.undo = nlohmann::json::object();
  undo_row.epoch.reset();
  // routerd's rule: the undo's parameters are its own over what the action observed.
  undo_row.parameters = row.observed;
  undo_row.parameters.update(row.undo.value("parameters", nlohmann::json::object()));
  undo_row.observed = nlohmann::json::object();
  std::string stop;
  if (undo_row.action.empty()) {
    stop = "hard stop: undo not describable: " + row.action + " has no undo";
  } else if (undo_row.action == providers::k_forwarding_off &&
             !undo_row.parameters.contains("priorSourceDestCheck")) {
    stop = "hard stop: undo not describable: " + key + " recorded no priorSourceDestCheck";
  }
  if (!m_live && stop.empty()) {
    log::info("executor.dry", "[dry] would undo " + key + " with " + undo_row.action);
    return run(request_of(undo_row, providers::k_mode_dry_run), row.run_id, "");
  }
  auto imported = journal::import_action(m_store, undo_row);
  if (!imported) return std::unexpected(imported.error());
  if (*imported == journal::ImportOutcome::duplicate) {
    auto existing = journal::find(m_store, undo_row.idempotency_key);
    if (!existing) return std::unexpected(existing.error());
    if (*existing && (*existing)->status != journal::k_pending) {
      return fail(ExitCode::refused, "action undo: " + undo_row.idempotency_key + " is already " +
                                         (*existing)->status);
    }
  }
  if (!stop.empty()) {
    if (auto journaled = journal_stop(m_store, undo_row.idempotency_key, stop); !journaled) {
      return std::unexpected(journaled.error());
    }
    return fail(ExitCode::refused, "action undo: " + stop);
  }
  // The undo command (or `down`) is itself the decision, so the undo row is approved by it.
  if (auto approved = journal::approve(m_store, undo_row.idempotency_key, by);
      !approved) {
    return std::unexpected(approved.error());
  }
  auto refreshed = journal::find(m_store, undo_row.idempotency_key);
  if (!refreshed) return std::unexpected(refreshed.error());
  auto outcome = run_row(**refreshed);
  if (!outcome) return outcome;
  if (outcome->result.status != journal::k_failed) {
    if (auto rolled = journal::transition(m_store, key, {journal::k_succeeded},
                                          journal::k_rolled_back);
        !rolled) {
      return std::unexpected(rolled.error());
    }
  }
  return outcome;
}

std::vector<std::string> Gate::undo_run(const std::string& run_id) {
  std::vector<std::string> problems;
  auto rows = journal::list(m_store, run_id);
  if (!rows) return {rows.error().message};
  // A capture whose address a newer epoch seized has nothing left to undo: the address moved.
  std::set<std::string> superseded;
  for (const auto& row : *rows) {
    auto fenced = fence_reason(row);
    if (fenced && *fenced) superseded.insert(row.idempotency_key);
  }
  for (auto it = rows->rbegin(); it != rows->rend(); ++it) {
    if (it->status != journal::k_succeeded || it->undo.empty()) continue;
    if (superseded.contains(it->idempotency_key)) {
      log::info("down.undo", "down: " + it->idempotency_key + " was superseded by a newer "
                             "ownership epoch; its address moved on, nothing to undo");
      continue;
    }
    log::info("down.undo", "down: undoing " + it->idempotency_key + " (" + it->action + ")");
    auto outcome = undo(it->idempotency_key, "labctl down");
    if (!outcome) {
      problems.push_back(outcome.error().message);
    } else if (outcome->code != ExitCode::ok) {
      problems.push_back(it->idempotency_key + ": " + outcome->result.message);
    }
  }
  return problems;
}

Expected<journal::ActionRow> Gate::replay_stale(const std::string& run_id) {
  auto rows = journal::list(m_store, run_id);
  if (!rows) return std::unexpected(rows.error());
  std::optional<journal::ActionRow> stale;
  for (const auto& row : *rows) {
    if (row.action != providers::k_assign || !row.epoch || row.source == "stale-replay") continue;
    if (row.status != journal::k_succeeded && row.status != journal::k_rolled_back) continue;
    auto current = journal::current_epoch(m_store, run_id, row.address);
    if (!current) return std::unexpected(current.error());
    if (*current && *row.epoch < **current) stale = row;
  }
  if (!stale) {
    return fail(ExitCode::usage,
                "failover --fault stale-replay: run " + run_id + " has no capture superseded by "
                "a newer ownership epoch; capture the address again first (labctl action plan "
                "--seize-from ..., import, approve, execute)");
  }
  ActionRequest replay = request_of(*stale, providers::k_mode_execute);
  replay.idempotency_key = stale->idempotency_key + ":replay:" +
                           format_rfc3339_ms(m_clock.now());
  replay.parameters["replayOf"] = stale->idempotency_key;
  auto imported = import(run_id, {replay}, "stale-replay");
  if (!imported) return std::unexpected(imported.error());
  auto row = journal::find(m_store, replay.idempotency_key);
  if (!row) return std::unexpected(row.error());
  if ((*row)->status == journal::k_pending) {
    // Not fenced: a safety failure. Never run it; record it so evidence fails the assertion.
    const std::string why = "stale replay was NOT fenced (epoch " +
                            std::to_string(*stale->epoch) + "); left unexecuted";
    if (auto journaled = journal_stop(m_store, replay.idempotency_key, why); !journaled) {
      return std::unexpected(journaled.error());
    }
    row = journal::find(m_store, replay.idempotency_key);
    if (!row) return std::unexpected(row.error());
  }
  return **row;
}

}  // namespace labctl::executor
