#include "faults/failover.hpp"

#include <algorithm>

#include "labctl/clock.hpp"
#include "labctl/env.hpp"
#include "labctl/log.hpp"
#include "labctl/provider_order.hpp"
#include "labctl/state_store.hpp"
#include "labctl/suggest.hpp"
#include "providers/provider.hpp"

namespace labctl::faults {

const std::vector<std::string>& known_faults() {
  static const std::vector<std::string> faults{"stop-active",    "drain",
                                               "heartbeat-stop", "executor-fail",
                                               "stale-replay",   "routerd-bgp-stop"};
  return faults;
}

Expected<void> run_failover(const FailoverOptions& options) {
  if (options.providers.empty()) return fail(ExitCode::usage, "failover: --provider is required");
  if (options.fault.empty()) return fail(ExitCode::usage, "failover: --fault is required");
  const auto& faults = known_faults();
  if (std::find(faults.begin(), faults.end(), options.fault) == faults.end()) {
    return fail(ExitCode::usage, "failover: unknown fault: " + options.fault +
                                     did_you_mean(options.fault, faults) + " (want " +
                                     join(faults, "|") + ")");
  }
  const auto names = split_provider_list(options.providers);
  std::vector<std::unique_ptr<providers::Provider>> selected;
  for (const auto& name : names) {
    auto provider = providers::make_provider(name);
    if (!provider) return std::unexpected(provider.error());
    selected.push_back(std::move(*provider));
  }
  log::info("failover.start", "failover: provider=" + join(names, ",") + " fault=" +
                                  options.fault + " node=" +
                                  (options.node.empty() ? "<active>" : options.node));
  if (env::dry_run()) {
    for (const auto& name : names) {
      log::info("failover.plan", "[dry] would inject '" + options.fault + "' on provider '" +
                                     name + "'");
    }
    return {};
  }

  auto store = state::Store::open_existing(env::state_dir());
  if (!store) return std::unexpected(store.error());
  if (!*store) return fail(ExitCode::usage, "failover: no state in " + env::state_dir().string() +
                                                "; run `labctl up` first");
  std::optional<state::RunRecord> run;
  if (!options.run_id.empty()) {
    auto found = (*store)->find_run(options.run_id);
    if (!found) return std::unexpected(found.error());
    run = *found;
  } else {
    auto latest = (*store)->latest_active_run();
    if (!latest) return std::unexpected(latest.error());
    run = *latest;
  }
  if (!run) return fail(ExitCode::usage, "failover: no such run (give --run-id; see labctl runs list)");
  log::set_run_id(run->run_id);
  auto lease = (*store)->acquire_lease(run->run_id, "failover");
  if (!lease) return std::unexpected(lease.error());
  profile::Profile profile;
  if (auto loaded = profile::load(run->profile_path)) profile = *loaded;
  for (const auto& provider : selected) {
    const std::string name(provider->name());
    providers::RunContext ctx{*run, profile,
                              make_tags(run->run_id, run->owner, run->ttl_expires_at, name,
                                        run->purpose),
                              **store, *system_clock(), false};
    const std::string injected_at = format_rfc3339_ms(system_clock()->now());
    auto detail = provider->inject_fault(ctx, {options.fault, options.node});
    if (!detail) {
      (void)(*store)->add_event(run->run_id, "failover",
                                {{"provider", name}, {"fault", options.fault},
                                 {"result", "failed"}, {"error", detail.error().message}});
      return std::unexpected(detail.error());
    }
    (void)(*store)->add_event(run->run_id, "failover",
                              {{"provider", name}, {"fault", options.fault},
                               {"injectedAt", injected_at}, {"result", "injected"},
                               {"detail", *detail}});
    log::info("failover.done", "failover: injected '" + options.fault + "' on " + name);
  }
  return {};
}

}  // namespace labctl::faults
