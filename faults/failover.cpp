#include "faults/failover.hpp"

#include <algorithm>
#include <iostream>

#include "faults/executor_faults.hpp"
#include "faults/failover_timing.hpp"
#include "core/json_io.hpp"
#include "core/atomic_file.hpp"
#include "core/env.hpp"
#include "core/log.hpp"
#include "core/provider_order.hpp"
#include "core/run_lookup.hpp"
#include "core/state_store.hpp"
#include "core/suggest.hpp"
#include "core/text.hpp"
#include "providers/node_faults.hpp"
#include "providers/provider.hpp"
#include "providers/registry/registry.hpp"

namespace labctl::faults {

const std::vector<std::string>& known_faults() {
  static const std::vector<std::string> faults{"stop-active",    "drain",
                                               "heartbeat-stop", "executor-fail",
                                               "stale-replay",   "routerd-bgp-stop"};
  return faults;
}

namespace {

// Records and publishes a measured failover; ok when it passed.
Expected<ExitCode> publish_timing(state::Store& store, const std::string& run_id,
                                  const nlohmann::ordered_json& timing, const std::string& out) {
  if (!out.empty()) {
    if (auto written = write_file_atomic(out, json_io::dump(timing, 2) + "\n"); !written) {
      return std::unexpected(written.error());
    }
    std::cout << out << '\n';
  } else {
    std::cout << json_io::dump(timing) << '\n';
  }
  (void)store.set_meta(run_id, "failover.timing", nlohmann::json(timing));
  return timing["status"] == "pass" ? ExitCode::ok : ExitCode::check_failed;
}

// Restores `fault` through `provider` and records the event; the error when it failed.
Expected<void> restore_one(providers::Provider& provider, const providers::RunContext& ctx,
                           const FailoverOptions& options, const Seams& seams) {
  const std::string name(provider.name());
  const std::string restored_at = format_rfc3339_ms(seams.clock->now());
  auto detail = provider.restore_fault(ctx, {options.fault, options.node});
  if (!detail) {
    (void)ctx.store.add_event(ctx.run.run_id, "failover",
                              {{"provider", name}, {"fault", options.fault},
                               {"result", "restore-failed"}, {"error", detail.error().message}});
    return std::unexpected(detail.error());
  }
  (void)ctx.store.add_event(ctx.run.run_id, "failover",
                            {{"provider", name}, {"fault", options.fault},
                             {"restoredAt", restored_at}, {"result", "restored"},
                             {"detail", *detail}});
  log::info("failover.restored", "failover: restored '" + options.fault + "' on " + name,
            {{"provider", name}, {"fault", options.fault}, {"restoredAt", restored_at}});
  return {};
}

// A fault for a provider the run was not brought up with has nothing to act on: exit 2, not a
// silent success (or an attempt against whatever that provider's credentials reach).
Expected<void> check_run_has(const state::RunRecord& run, const std::vector<std::string>& names) {
  for (const auto& name : names) {
    if (std::find(run.providers.begin(), run.providers.end(), name) != run.providers.end()) {
      continue;
    }
    return fail(ExitCode::usage, "failover: run " + run.run_id + " has no provider '" + name +
                                     "' (its providers: " + join(run.providers, ",") +
                                     "); give --provider with one of them, or --run-id of a run "
                                     "that has it");
  }
  return {};
}

// The one stdout result of a dry failover: what it would do, to which run.
nlohmann::ordered_json dry_result(const FailoverOptions& options, const state::RunRecord& run,
                                  const std::vector<std::string>& names) {
  nlohmann::ordered_json actions = nlohmann::ordered_json::array();
  for (const auto& name : names) {
    nlohmann::ordered_json action;
    action["provider"] = name;
    action["action"] = options.restore ? "restore" : "inject";
    action["fault"] = options.fault;
    action["node"] = options.node.empty() ? nlohmann::ordered_json(nullptr)
                                          : nlohmann::ordered_json(options.node);
    if (options.measure) action["measure"] = true;
    if (options.restore_after_seconds >= 0) {
      action["restoreAfterSeconds"] = options.restore_after_seconds;
    }
    actions.push_back(std::move(action));
  }
  nlohmann::ordered_json result;
  result["command"] = "failover";
  result["dryRun"] = true;
  result["runId"] = run.run_id;
  result["actions"] = std::move(actions);
  if (options.measure && !options.out.empty()) result["out"] = options.out;
  return result;
}

Expected<void> check_restore_options(const FailoverOptions& options) {
  const bool after = options.restore_after_seconds >= 0;
  if (!after && !options.restore) return {};
  if (after && options.restore) {
    return fail(ExitCode::usage, "failover: give --restore (restore now) or --restore-after "
                                 "SECONDS (inject, then restore), not both");
  }
  if (options.measure) {
    return fail(ExitCode::usage, "failover: --restore and --restore-after do not combine with "
                                 "--measure; run `labctl failover --restore` after measuring");
  }
  if (is_executor_fault(options.fault)) {
    return fail(ExitCode::usage, "failover: '" + options.fault +
                                     "' has nothing to restore (it is judged from the journal)");
  }
  return {};
}

}  // namespace

Expected<ExitCode> run_failover(const FailoverOptions& options, const Seams& seams) {
  if (options.providers.empty()) return fail(ExitCode::usage, "failover: --provider is required");
  if (options.fault.empty()) return fail(ExitCode::usage, "failover: --fault is required");
  const auto& faults = known_faults();
  if (std::find(faults.begin(), faults.end(), options.fault) == faults.end()) {
    return fail(ExitCode::usage, "failover: unknown fault: " + text::printable(options.fault, 64) +
                                     did_you_mean(options.fault, faults) + " (want " +
                                     join(faults, "|") + ")");
  }
  const auto names = split_provider_list(options.providers);
  if (options.measure && names.size() != 1) {
    return fail(ExitCode::usage, "failover --measure: give exactly one --provider");
  }
  if (options.measure && is_executor_fault(options.fault)) {
    return fail(ExitCode::usage, "failover --measure times router failovers; '" + options.fault +
                                     "' exercises the executor and is judged from the journal");
  }
  if (options.measure && (options.threshold_seconds <= 0 || options.timeout_seconds <= 0)) {
    return fail(ExitCode::usage,
                "failover: --threshold-seconds and --timeout-seconds must be positive");
  }
  if (auto checked = check_restore_options(options); !checked) {
    return std::unexpected(checked.error());
  }
  std::vector<std::unique_ptr<providers::Provider>> selected;
  const auto provider_seams = providers::provider_seams(seams);
  for (const auto& name : names) {
    auto provider = providers::make_provider(name, provider_seams);
    if (!provider) return std::unexpected(provider.error());
    selected.push_back(std::move(*provider));
  }
  log::info("failover.start",
            "failover: provider=" + join(names, ",") + " fault=" + options.fault + " node=" +
                (options.node.empty() ? "<active>" : options.node),
            {{"providers", names},
             {"fault", options.fault},
             {"node",
              options.node.empty() ? nlohmann::json(nullptr) : nlohmann::json(options.node)},
             {"measure", options.measure},
             {"dryRun", env::dry_run()}});

  // Dry or live, the fault is for a run: a dry run checks and names the same run a live one
  // would act on.
  auto store = state::Store::open_existing(env::process());
  if (!store) return std::unexpected(store.error());
  if (!*store) return fail(ExitCode::usage, "failover: no state in " + env::state_dir().string() +
                                                "; run `labctl up` first");
  auto run = state::resolve_run(**store, options.run_id, "failover");
  if (!run) return std::unexpected(run.error());
  if (auto has = check_run_has(*run, names); !has) return std::unexpected(has.error());
  if (env::dry_run()) {
    const auto result = dry_result(options, *run, names);
    for (const auto& action : result["actions"]) {
      const std::string name = action["provider"];
      const std::string what =
          options.restore
              ? "[dry] would restore '" + options.fault + "' on provider '" + name + "'"
              : "[dry] would inject '" + options.fault + "' on provider '" + name + "'" +
                    (options.measure ? " and time it" : "") +
                    (options.restore_after_seconds >= 0
                         ? " and restore it after " +
                               std::to_string(options.restore_after_seconds) + " s"
                         : "");
      log::info("failover.plan", what, nlohmann::json(action));
    }
    std::cout << json_io::dump(result) << '\n';
    return ExitCode::ok;
  }
  auto lease = (*store)->acquire_lease(run->run_id, "failover");
  if (!lease) return std::unexpected(lease.error());
  // Node faults take their commands from the profile: running a default in place of the
  // command a profile that no longer loads gives would be a silent substitution.
  profile::Profile profile;
  if (auto loaded = profile::load(run->profile_path)) {
    profile = *loaded;
  } else if (providers::is_node_fault(options.fault) || options.restore ||
             options.restore_after_seconds >= 0) {
    return fail(ExitCode::usage, "failover: cannot load the run's profile (node faults take "
                                 "their commands from it): " + loaded.error().message);
  }
  const auto context_of = [&](const providers::Provider& provider) {
    const std::string name(provider.name());
    return providers::RunContext{
        *run, profile, make_tags(run->run_id, run->owner, run->ttl_expires_at, name, run->purpose),
        **store, *seams.clock, false};
  };
  // What was done, per provider and step: the command's one stdout result.
  nlohmann::ordered_json done = nlohmann::ordered_json::array();
  const auto print_done = [&] {
    nlohmann::ordered_json result;
    result["command"] = "failover";
    result["dryRun"] = false;
    result["runId"] = run->run_id;
    result["fault"] = options.fault;
    result["results"] = done;
    std::cout << json_io::dump(result) << '\n';
  };
  // Restores through each of `providers`, all of them even when one fails (leaving as little
  // injected as possible); the first error, if any.
  const auto restore_all = [&](const std::vector<providers::Provider*>& providers) {
    Expected<void> first;
    for (auto* provider : providers) {
      auto restored = restore_one(*provider, context_of(*provider), options, seams);
      if (restored) done.push_back({{"provider", provider->name()}, {"result", "restored"}});
      if (!restored && first) first = std::unexpected(restored.error());
    }
    return first;
  };
  std::vector<providers::Provider*> injected;
  if (options.restore) {
    for (const auto& provider : selected) injected.push_back(provider.get());
    if (auto restored = restore_all(injected); !restored) {
      return std::unexpected(restored.error());
    }
    print_done();
    return ExitCode::ok;
  }
  for (const auto& provider : selected) {
    const std::string name(provider->name());
    const providers::RunContext ctx = context_of(*provider);
    const std::string injected_at = format_rfc3339_ms(seams.clock->now());
    if (options.measure) {
      const MeasureOptions measure{options.threshold_seconds, options.timeout_seconds, 250};
      auto timing =
          measure_failover(*provider, ctx, {options.fault, options.node}, measure, seams);
      if (!timing) return std::unexpected(timing.error());
      (void)(*store)->add_event(run->run_id, "failover",
                                {{"provider", name}, {"fault", options.fault},
                                 {"injectedAt", injected_at}, {"result", "injected"},
                                 {"timing", nlohmann::json::parse(timing->dump())}});
      return publish_timing(**store, run->run_id, *timing, options.out);
    }
    auto detail = is_executor_fault(options.fault) && provider->has_actions()
                      ? inject_executor_fault(**store, *run, options.fault, provider_seams)
                      : provider->inject_fault(ctx, {options.fault, options.node});
    if (!detail) {
      (void)(*store)->add_event(run->run_id, "failover",
                                {{"provider", name}, {"fault", options.fault},
                                 {"result", "failed"}, {"error", detail.error().message}});
      // --restore-after promised to take the fault out again: what is already in comes out.
      if (options.restore_after_seconds >= 0) (void)restore_all(injected);
      return std::unexpected(detail.error());
    }
    injected.push_back(provider.get());
    (void)(*store)->add_event(run->run_id, "failover",
                              {{"provider", name}, {"fault", options.fault},
                               {"injectedAt", injected_at}, {"result", "injected"},
                               {"detail", *detail}});
    done.push_back({{"provider", name}, {"result", "injected"}, {"injectedAt", injected_at}});
    log::info("failover.done", "failover: injected '" + options.fault + "' on " + name,
              {{"provider", name}, {"fault", options.fault}, {"injectedAt", injected_at}});
  }
  if (options.restore_after_seconds < 0) {
    print_done();
    return ExitCode::ok;
  }
  log::info("failover.wait",
            "failover: restoring '" + options.fault + "' in " +
                std::to_string(options.restore_after_seconds) + " s",
            {{"fault", options.fault}, {"restoreAfterSeconds", options.restore_after_seconds}});
  const bool waited =
      seams.clock->sleep_for(std::chrono::seconds(options.restore_after_seconds));
  if (!waited) {
    log::warn("failover.wait", "failover: interrupted; restoring now", {{"interrupted", true}});
  }
  if (auto restored = restore_all(injected); !restored) return std::unexpected(restored.error());
  print_done();
  return waited ? ExitCode::ok : ExitCode::interrupted;
}

}  // namespace labctl::faults
