#include "executor/run_lookup.hpp"

#include "core/env.hpp"

namespace labctl::executor {

Expected<std::unique_ptr<state::Store>> open_state(const std::string& command) {
  auto store = state::Store::open_existing(env::process());
  if (!store) return std::unexpected(store.error());
  if (!*store) {
    return fail(ExitCode::usage, command + ": no state in " + env::state_dir().string() +
                                     "; run `labctl up` first (or set CE_STATE_DIR)");
  }
  return std::move(*store);
}

Expected<std::string> eni_region(state::Store& store, const std::string& run_id,
                                 const std::string& eni, const std::string& given,
                                 const std::string& command) {
  if (!given.empty()) return given;
  auto rows = store.resources(run_id);
  if (!rows) return std::unexpected(rows.error());
  for (const auto& row : *rows) {
    // The NIC's own row (its cloud id), or the node row that records it (attrs eniId/nicId/
    // vnicId).
    if (row.cloud_id == eni || row.attrs.value("eniId", "") == eni ||
        row.attrs.value("nicId", "") == eni || row.attrs.value("vnicId", "") == eni) {
      return row.region;
    }
  }
  std::string region = env::get_or("AWS_REGION", env::get_or("AWS_DEFAULT_REGION", ""));
  if (region.empty()) {
    return fail(ExitCode::usage, command + ": the run has no record of " + eni +
                                     "; give --region (or set AWS_REGION)");
  }
  return region;
}

}  // namespace labctl::executor
