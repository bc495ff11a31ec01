#include "executor/preflight.hpp"

#include <iostream>

#include "core/atomic_file.hpp"
#include "core/env.hpp"
#include "core/json_io.hpp"
#include "core/log.hpp"
#include "core/state_store.hpp"
#include "core/time.hpp"
#include "executor/action_provider.hpp"
#include "executor/run_lookup.hpp"

namespace labctl::executor {

Expected<ExitCode> run_preflight(const PreflightOptions& options,
                                 const providers::ProviderSeams& seams) {
  if (options.eni.empty() || options.address.empty()) {
    return fail(ExitCode::usage, "preflight: --eni and --address are required");
  }
  auto opened = open_state("preflight");
  if (!opened) return std::unexpected(opened.error());
  auto& store = **opened;
  auto run = resolve_run(store, options.run_id, "preflight");
  if (!run) return std::unexpected(run.error());
  const std::string run_id = run->run_id;
  auto region_found = eni_region(store, run_id, options.eni, options.region, "preflight");
  if (!region_found) return std::unexpected(region_found.error());
  const std::string region = *region_found;

  auto provider = action_provider(*run, "preflight", seams);
  if (!provider) return std::unexpected(provider.error());
  auto document = (*provider)->preflight(run_id, {options.eni, options.address, region});
  if (!document) return std::unexpected(document.error());
  (*document)["collectedAt"] = format_rfc3339_ms(seams.seams.clock->now());
  const auto& checks = (*document)["checks"];
  const bool pass = (*document)["result"] == "pass";
  const std::filesystem::path out =
      options.out.empty() ? env::state_dir() / "runs" / run_id / "preflight.json"
                          : std::filesystem::path(options.out);
  if (auto written = write_file_atomic(out, json_io::dump(*document, 2) + "\n"); !written) {
    return std::unexpected(written.error());
  }
  if (auto stored = store.set_meta(run_id, "preflight", nlohmann::json(*document));
      !stored) {
    return std::unexpected(stored.error());
  }
  for (const auto& c : checks) {
    log::info("preflight.check", c["name"].get<std::string>() + ": " +
                                     c["status"].get<std::string>() + " (" +
                                     c["detail"].get<std::string>() + ")");
  }
  std::cout << out.string() << '\n';
  return pass ? ExitCode::ok : ExitCode::check_failed;
}

}  // namespace labctl::executor
