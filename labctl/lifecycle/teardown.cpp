#include "labctl/lifecycle/teardown.hpp"

#include <algorithm>
#include <functional>
#include <map>
#include <optional>

#include "executor/action_provider.hpp"
#include "executor/gate.hpp"
#include "core/clock.hpp"
#include "core/log.hpp"
#include "core/progress.hpp"
#include "core/profile.hpp"
#include "core/shield.hpp"
#include "core/tags.hpp"
#include "providers/provider.hpp"
#include "providers/registry/registry.hpp"

namespace labctl::lifecycle {
namespace {

// Teardown must work without the profile (it may have been edited or deleted since `up`), so
// a profile that no longer loads is replaced by an empty one: providers tear down from state.
profile::Profile load_profile_for(const state::RunRecord& run) {
  if (!run.profile_path.empty()) {
    if (auto loaded = profile::load(run.profile_path)) return *loaded;
    log::warn("down.profile", "down: profile " + run.profile_path +
                                  " no longer loads; tearing down from state alone");
  }
  profile::Profile empty;
  empty.name = run.profile;
  return empty;
}

// The distinct regions/locations of the rows of `provider`.
std::vector<std::string> locations_of(const std::vector<state::ResourceRecord>& rows,
                                      const std::string& provider) {
  std::vector<std::string> out;
  for (const auto& row : rows) {
    if (row.provider != provider || row.region.empty()) continue;
    if (std::find(out.begin(), out.end(), row.region) == out.end()) out.push_back(row.region);
  }
  return out;
}

// Providers in teardown order: reverse bring-up order, then any other provider with rows.
std::vector<std::string> teardown_order(const state::RunRecord& run,
                                        const std::vector<state::ResourceRecord>& rows) {
  std::vector<std::string> order(run.providers.rbegin(), run.providers.rend());
  for (const auto& row : rows) {
    if (std::find(order.begin(), order.end(), row.provider) == order.end()) {
      order.push_back(row.provider);
    }
  }
  return order;
}

// The live status of a teardown: "resources 7/51 gone" over the run's rows in state (each
// provider marks a row deleted once a describe confirms it), counting only the rows this
// teardown found not yet deleted, plus any it adopts from discovery.
std::function<std::string()> down_status(state::Store& store, const std::string& run_id,
                                         std::size_t deleted_before) {
  return [&store, run_id, deleted_before] {
    std::size_t rows = 0, gone = 0;
    if (auto resources = store.resources(run_id)) {
      rows = resources->size();
      gone = static_cast<std::size_t>(std::ranges::count(
          *resources, std::string(state::k_res_deleted), &state::ResourceRecord::state));
    }
    const std::size_t total = rows - std::min(rows, deleted_before);
    const std::size_t done = gone - std::min(gone, deleted_before);
    return "resources " + std::to_string(done) + "/" + std::to_string(total) + " gone";
  };
}

}  // namespace

void log_confirmed(std::string_view command, const std::string& provider, std::string_view stage,
                   const providers::Discovery& discovery) {
  log::info("down.confirm",
            std::string(command) + ": " + provider + ": " + std::string(stage) + ": " +
                std::to_string(discovery.confirmed_gone) +
                " tag-index hit(s) confirmed gone by describe, " +
                std::to_string(discovery.found.size()) + " still exist",
            {{"provider", provider},
             {"stage", stage},
             {"confirmed_gone", discovery.confirmed_gone},
             {"still_exist", discovery.found.size()}});
}

Expected<std::vector<state::ResourceRecord>> record_discovered(
    state::Store& store, const std::string& run_id, const std::string& provider,
    const std::vector<providers::Discovered>& found) {
  std::vector<state::ResourceRecord> rows;
  for (const auto& d : found) {
    state::ResourceRecord& row = rows.emplace_back();
    row.run_id = run_id;
    row.provider = provider;
    row.kind = d.kind;
    row.name = d.kind + ":" + d.cloud_id;
    row.region = d.region;
    row.cloud_id = d.cloud_id;
    row.state = state::k_res_created;
    row.attrs = {{"discovered", true}};
  }
  if (auto recorded = store.record_intents(rows); !recorded) {
    return std::unexpected(recorded.error());
  }
  return rows;
}

namespace {

Expected<TeardownReport> teardown_unshielded(const providers::ProviderSeams& seams,
                                             state::Store& store, const state::RunRecord& run,
                                             bool dry, bool rows_from_discovery) {
  TeardownReport report;
  report.dry = dry;
  const auto started = seams.seams.clock->steady_now();
  const profile::Profile profile = load_profile_for(run);
  auto all_rows = store.resources(run.run_id);
  if (!all_rows) return std::unexpected(all_rows.error());

  if (!dry) {
    if (auto marked = store.set_run_status(run.run_id, state::k_run_tearing_down); !marked) {
      return std::unexpected(marked.error());
    }
  }
  log::info("down.start", "down: tearing down run_id=" + run.run_id + (dry ? " [dry]" : ""));

  // Restore-prior first (runbook §6): the run's succeeded provider actions are undone in reverse
  // order before anything is deleted. A problem (drift, a failed call) is reported, not fatal:
  // the cost-bearing resources must go either way, and the ENI goes with its instance.
  const auto undone = shielded("down: undo of the run's provider actions", [&]() -> Expected<void> {
    executor::Gate gate(store, executor::registry_runners(!dry, seams), !dry,
                        *seams.seams.clock);
    for (const auto& problem : gate.undo_run(run.run_id)) {
      log::warn("down.undo", "down: undo of a provider action: " + problem);
    }
    return {};
  });
  if (!undone) log::warn("down.undo", undone.error().message);

  const auto order = teardown_order(run, *all_rows);
  std::vector<std::string> errors;
  std::optional<progress::Status> status;
  if (!dry) {
    status.emplace("down", down_status(store, run.run_id,
                                       static_cast<std::size_t>(std::ranges::count(
                                           *all_rows, std::string(state::k_res_deleted),
                                           &state::ResourceRecord::state))));
  }
  ExitCode code = ExitCode::provider;  // raised by most_severe: a refusal is a safety stop
  for (const auto& name : order) {
    auto provider = providers::make_provider(name, seams);
    if (!provider) {
      errors.push_back(provider.error().message);
      continue;
    }
    providers::RunContext ctx{run, profile,
                              make_tags(run.run_id, run.owner, run.ttl_expires_at, name,
                                        run.purpose),
                              store, *seams.seams.clock, dry};
    std::vector<state::ResourceRecord> rows;
    for (auto it = all_rows->rbegin(); it != all_rows->rend(); ++it) {
      if (it->provider == name && it->state != state::k_res_deleted) rows.push_back(*it);
    }
    if (!run.dry_run && !rows_from_discovery) {
      // Tagged resources this machine never recorded (another machine's run, or a crash
      // between the send and the intent row) are adopted into state, then deleted.
      providers::DiscoverQuery query{run.run_id, false, seams.seams.clock->now(), &profile,
                                     locations_of(*all_rows, name)};
      auto found =
          shielded("down: discovery of " + name, [&] { return (*provider)->discover(query); });
      if (!found) {
        errors.push_back(found.error().message);
        code = most_severe(code, found.error().code);
      } else {
        log_confirmed("down", name, "discovery", *found);
        std::vector<providers::Discovered> unknown;
        for (const auto& d : found->found) {
          const bool known = std::any_of(rows.begin(), rows.end(), [&](const auto& row) {
            return row.cloud_id == d.cloud_id;
          });
          if (!known && !dry) unknown.push_back(d);
        }
        auto adopted = record_discovered(store, run.run_id, name, unknown);
        if (!adopted) return std::unexpected(adopted.error());
        rows.insert(rows.begin(), adopted->rbegin(), adopted->rend());
        report.discovered += adopted->size();
      }
    }
    if (rows.empty()) continue;
    if (dry) {
      report.planned += rows.size();
      for (const auto& row : rows) {
        log::info("down.plan", "[dry] would delete " + name + " " + row.kind + " " + row.name +
                                   (row.cloud_id.empty() ? "" : " (" + row.cloud_id + ")"),
                  {{"provider", name}, {"kind", row.kind}, {"cloud_id", row.cloud_id}});
      }
      continue;
    }
    ctx.rows_found_by_tag = rows_from_discovery;
    if (auto done = shielded("down: " + name + " teardown",
                             [&] { return (*provider)->teardown(ctx, rows); });
        !done) {
      errors.push_back(done.error().message);
      code = most_severe(code, done.error().code);
    }
  }
  if (dry) return report;

  // Verify: every row deleted, and no provider still finds anything tagged with the run.
  auto after = store.resources(run.run_id);
  if (!after) return std::unexpected(after.error());
  for (const auto& row : *after) {
    if (row.state == state::k_res_deleted) {
      ++report.deleted;
    } else {
      ++report.failed;
      errors.push_back(row.provider + " " + row.kind + " " + row.name +
                       (row.cloud_id.empty() ? "" : " (" + row.cloud_id + ")") + ": " +
                       (row.error.empty() ? row.state : row.error));
    }
  }
  if (errors.empty()) {
    for (const auto& name : order) {
      auto provider = providers::make_provider(name, seams);
      if (!provider) continue;
      providers::DiscoverQuery query{run.run_id, false, seams.seams.clock->now(), &profile,
                                     locations_of(*after, name)};
      auto left =
          shielded("down: verification of " + name, [&] { return (*provider)->discover(query); });
      if (!left) {
        errors.push_back(left.error().message);
        continue;
      }
      log_confirmed("down", name, "verification", *left);
      if (!left->found.empty()) {
        std::string still = name + ": " + std::to_string(left->found.size()) +
                            " resource(s) tagged with the run still exist (confirmed by their "
                            "describe):";
        for (const auto& d : left->found) {
          still += " " + d.kind + " " + d.cloud_id + (d.region.empty() ? "" : " in " + d.region) +
                   ";";
        }
        still.pop_back();
        errors.push_back(still);
      }
    }
  }
  status.reset();
  if (!errors.empty()) {
    (void)store.set_run_status(run.run_id, state::k_run_down_failed);
    (void)store.add_event(run.run_id, "down", {{"result", "failed"}, {"errors", errors}});
    std::string message = "down: run " + run.run_id + " is not fully torn down:";
    for (const auto& e : errors) message += "\n  - " + e;
    message += "\n  the failures stay in state; run `labctl down --run-id " + run.run_id +
               "` again to retry";
    return fail(code, message);
  }
  if (auto marked = store.set_run_status(run.run_id, state::k_run_down); !marked) {
    return std::unexpected(marked.error());
  }
  // `seconds`: how long this teardown took, for the evidence's lifecycle steps.
  const std::chrono::duration<double> took = seams.seams.clock->steady_now() - started;
  (void)store.add_event(run.run_id, "down",
                        {{"result", "completed"},
                         {"deleted", report.deleted},
                         {"discovered", report.discovered},
                         {"seconds", took.count()}});
  progress::result(true, "down.done",
                   "down: run " + run.run_id + " is down (" + std::to_string(report.deleted) +
                       " resource(s) confirmed gone)");
  return report;
}

}  // namespace

Expected<TeardownReport> teardown_run(const providers::ProviderSeams& seams, state::Store& store,
                                      const state::RunRecord& run, bool dry,
                                      bool rows_from_discovery) {
  auto report = shielded("down: run " + run.run_id, [&] {
    return teardown_unshielded(seams, store, run, dry, rows_from_discovery);
  });
  if (!report && !dry) {
    // Whatever failed, the run stays visible as not torn down so the next `down` retries it.
    (void)shielded("down: recording the failure", [&] {
      return store.set_run_status(run.run_id, state::k_run_down_failed);
    });
  }
  return report;
}

}  // namespace labctl::lifecycle
