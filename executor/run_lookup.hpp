#pragma once

#include <memory>
#include <string>

#include "core/error.hpp"
#include "core/run_lookup.hpp"
#include "core/state_store.hpp"

// How the executor's commands find their state, run and region; shared by action, preflight
// and iam-policy --executor so they answer the same way (the run itself: core/run_lookup.hpp).
namespace labctl::executor {

// The state database, which must exist (the journal belongs to runs labctl brought up); a
// usage error naming `command` otherwise.
[[nodiscard]] Expected<std::unique_ptr<state::Store>> open_state(const std::string& command);

// `run_id`, or the latest active run when empty: the core lookup every command shares.
using state::resolve_run;

// `given`, else the region (location) the run recorded for the NIC `eni` (the row whose cloud
// id it is, or the node row naming it as eniId/nicId), else AWS_REGION / AWS_DEFAULT_REGION; a
// usage error naming `command` when none is known.
[[nodiscard]] Expected<std::string> eni_region(state::Store& store, const std::string& run_id,
                                               const std::string& eni, const std::string& given,
                                               const std::string& command);

}  // namespace labctl::executor
