#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/action_journal.hpp"
#include "core/clock.hpp"
#include "core/state_store.hpp"
#include "providers/action_contract.hpp"

// The gated, journaled path every provider action takes (runbook §5–§8, DESIGN.md "Provider
// actions"): import (pending) -> approve -> execute --approved -> succeeded, undo -> rolledBack.
// The journal decides: a succeeded key never runs again, a stale epoch is fenced, nothing
// mutates without approval, and every hard stop is a journal entry plus exit 4.
namespace labctl::executor {

using providers::ActionRequest;
using providers::ActionResult;
using providers::ActionRunner;
using providers::Outcome;

// The runner of one provider's actions, or an error when that provider has none (the gate
// journals it as a hard stop). executor/action_provider.hpp builds it from the registry.
using ActionRunners = std::function<Expected<ActionRunner>(const std::string& provider)>;

// What `action plan` builds for capturing `address` on `eni`.
struct CaptureTarget {
  std::string run_id;
  std::string eni;
  std::string address;
  std::string region;
  std::string previous_holder;  // non-empty: a seize from that ENI (AllowReassignment)
  std::string provider;         // whose actions capture it (the run's action provider)
};

// ensure-forwarding-enabled then assign-secondary-ip (dry-run mode), the capture carrying the
// next ownership epoch for the address: one above the newest succeeded (or since rolled back)
// capture in the journal — epochs never go back.
[[nodiscard]] Expected<std::vector<ActionRequest>> plan_capture(state::Store& store,
                                                                const CaptureTarget& target);

// An ActionPlan document: {apiVersion, kind: ActionPlan, runId, actions: [requests]}.
[[nodiscard]] nlohmann::ordered_json plan_document(const std::string& run_id,
                                                   const std::vector<ActionRequest>& actions);

struct ImportReport {
  std::string key;
  std::string outcome;  // inserted, reset, duplicate, fenced, refused
  std::string message;
};

class Gate {
 public:
  // `clock` stamps the stale replay's key.
  Gate(state::Store& store, ActionRunners runners, bool live, const Clock& clock)
      : m_store(store), m_runners(std::move(runners)), m_live(live), m_clock(clock) {}

  // Imports `requests` for `run_id` as pending, all in one transaction (a killed import leaves
  // none of them). Hard stops (more than one provider, a provider
  // without actions, an ENI without the run's tags, an unassign of an address labctl did not
  // assign) journal every row as failed and return refused; a stale capture epoch journals the
  // row as skipped ("stale action fenced: epoch E < current C").
  [[nodiscard]] Expected<std::vector<ImportReport>> import(const std::string& run_id,
                                                           const std::vector<ActionRequest>& requests,
                                                           const std::string& source);

  // Runs an approved action (live) and records the result. Refused: a bare execute
  // (`approved` false), a pending/failed/skipped/rolledBack row, a stale epoch (fenced: the row
  // becomes skipped). A succeeded row is not run again (ok, no call sent). A row left running
  // by a process that died (the caller holds the run's lease) is failed as ambiguous. In dry-run
  // the action runs in dry-run mode and the journal is unchanged.
  [[nodiscard]] Expected<Outcome> execute(const std::string& key, bool approved);

  // Undoes a succeeded action with its recorded prior state (key "<key>:undo", journaled, and
  // approved by `by`: the command that decided it); on success or a restore-prior skip the
  // original row becomes rolledBack.
  [[nodiscard]] Expected<Outcome> undo(const std::string& key,
                                       const std::string& by = "labctl action undo");

  // `down`: undoes the run's succeeded actions in reverse order. Returns the problems (drift,
  // failures) as messages; never stops at the first.
  [[nodiscard]] std::vector<std::string> undo_run(const std::string& run_id);

  // The stale-replay fault: replays the newest capture superseded by a newer epoch, with its
  // old epoch, under a new key; returns the replay's journal row (fenced or not).
  [[nodiscard]] Expected<journal::ActionRow> replay_stale(const std::string& run_id);

 private:
  [[nodiscard]] Expected<Outcome> run_row(const journal::ActionRow& row);
  [[nodiscard]] Expected<std::optional<std::string>> fence_reason(const journal::ActionRow& row);
  // The runner of `provider`'s actions (asked once per provider), or why there is none.
  [[nodiscard]] Expected<ActionRunner> runner_of(const std::string& provider);
  // Runs `request` with its provider's runner; a provider without one is a hard stop (refused).
  [[nodiscard]] Outcome run(const ActionRequest& request, const std::string& run_id,
                            const std::string& credentials_profile);

  state::Store& m_store;
  ActionRunners m_runners;
  std::map<std::string, Expected<ActionRunner>> m_runner_of;  // by provider
  bool m_live;
  const Clock& m_clock;
};

// The request a journal row describes, in `mode`.
[[nodiscard]] ActionRequest request_of(const journal::ActionRow& row, const std::string& mode);

}  // namespace labctl::executor
