#pragma once

#include <string>
#include <string_view>

#include "core/error.hpp"
#include "core/state_store.hpp"
#include "providers/provider.hpp"
#include "providers/registry/registry.hpp"

namespace labctl::lifecycle {

struct TeardownReport {
  std::size_t deleted = 0;      // resources confirmed gone by this teardown
  std::size_t failed = 0;       // resources that could not be deleted (kept in state)
  std::size_t discovered = 0;   // tagged resources the state did not know, added and deleted
  std::size_t planned = 0;      // dry: resources a live teardown would delete
  bool dry = false;             // nothing was sent: the report lists what would be deleted
};

// Tears down one run: its state rows that are not deleted (newest first, per provider in reverse
// bring-up order), plus whatever each provider discovers by the run's tag. The run is marked
// "down" only when every resource is confirmed gone and discovery finds nothing left; otherwise
// "down_failed" (ExitCode::provider), and the failures stay in state for the next `down`.
// `dry` lists what would be deleted and changes nothing. `rows_from_discovery`: the rows were
// recorded from a discovery made moments ago (the janitor adopting a run it found by tag), so
// the discovery before deleting is skipped; the one verifying afterwards still runs. The caller
// holds the run's lease. `seams` build the providers (and give the clock).
[[nodiscard]] Expected<TeardownReport> teardown_run(const providers::ProviderSeams& seams,
                                                    state::Store& store,
                                                    const state::RunRecord& run, bool dry,
                                                    bool rows_from_discovery = false);

// Records resources `provider` found by tag as state rows of `run_id` (created, attrs
// {"discovered": true}) in one write, so teardown deletes and tracks them like any other;
// returns the rows.
// Logs what one discovery of `provider` confirmed: "<command>: <provider>: <stage>: N tag-index
// hit(s) confirmed gone by describe, M still exist" (event down.confirm, the counts as fields).
void log_confirmed(std::string_view command, const std::string& provider, std::string_view stage,
                   const providers::Discovery& discovery);

[[nodiscard]] Expected<std::vector<state::ResourceRecord>> record_discovered(
    state::Store& store, const std::string& run_id, const std::string& provider,
    const std::vector<providers::Discovered>& found);

}  // namespace labctl::lifecycle
