#pragma once

#include <optional>
#include <string>

#include "core/error.hpp"
#include "core/state_store.hpp"

// "The given run id, else the latest active run": the one lookup every command that works on a
// run uses, so they all find the same run and say the same thing when there is none.
namespace labctl::state {

// What the caller wants when no run matches.
enum class MissingRun {
  fail,           // a usage error (exit 2) whether an id was given or not
  none_if_no_id,  // std::nullopt when no id was given and no run is active; an unknown id fails
  none,           // std::nullopt either way: the caller can work without a run
};

// The run `run_id` names, or the newest active run when `run_id` is empty. A run found tags the
// log with its id. When none matches, `missing` decides: a usage error that names `command`,
// the state directory and the fix, or std::nullopt. Errors from the database pass through.
[[nodiscard]] Expected<std::optional<RunRecord>> find_run_or_latest(Store& store,
                                                                    const std::string& run_id,
                                                                    const std::string& command,
                                                                    MissingRun missing);

// find_run_or_latest with MissingRun::fail: the run, or a usage error naming `command`.
[[nodiscard]] Expected<RunRecord> resolve_run(Store& store, const std::string& run_id,
                                              const std::string& command);

}  // namespace labctl::state
