#include "core/run_lookup.hpp"

#include "core/log.hpp"

namespace labctl::state {

Expected<std::optional<RunRecord>> find_run_or_latest(Store& store, const std::string& run_id,
                                                      const std::string& command,
                                                      MissingRun missing) {
  auto found = run_id.empty() ? store.latest_active_run() : store.find_run(run_id);
  if (!found) return std::unexpected(found.error());
  if (*found) {
    log::set_run_id((*found)->run_id);
    return found;
  }
  const bool tolerated = missing == MissingRun::none ||
                         (missing == MissingRun::none_if_no_id && run_id.empty());
  if (tolerated) return std::optional<RunRecord>();
  if (run_id.empty()) {
    return fail(ExitCode::usage, command + ": no active run in " + store.dir().string() +
                                     "; bring one up with `labctl up`, or pass --run-id (see "
                                     "`labctl runs list`)");
  }
  return fail(ExitCode::usage, command + ": unknown run: no run " + run_id + " in " +
                                   store.dir().string() +
                                   " (see `labctl runs list`; set CE_STATE_DIR to where "
                                   "`labctl up` ran)");
}

Expected<RunRecord> resolve_run(Store& store, const std::string& run_id,
                                const std::string& command) {
  std::optional<RunRecord> run;
  TRY_ASSIGN(run, find_run_or_latest(store, run_id, command, MissingRun::fail));
  return std::move(*run);  // MissingRun::fail: found, or an error returned above
}

}  // namespace labctl::state
