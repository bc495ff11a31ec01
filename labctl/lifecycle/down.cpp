#include "labctl/lifecycle/down.hpp"

#include <algorithm>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "core/clock.hpp"
#include "core/env.hpp"
#include "labctl/lifecycle/teardown.hpp"
#include "core/log.hpp"
#include "core/shield.hpp"
#include "core/run_id.hpp"
#include "core/run_lookup.hpp"
#include "core/db.hpp"
#include "core/state_store.hpp"
#include "core/suggest.hpp"
#include "providers/provider.hpp"
#include "providers/registry/registry.hpp"

namespace labctl::lifecycle {

void DownOutcome::add(DownRun run) {
  const std::lock_guard lock(m_mutex);
  m_runs.push_back(std::move(run));
}

bool DownOutcome::empty() const {
  const std::lock_guard lock(m_mutex);
  return m_runs.empty();
}

nlohmann::json DownOutcome::to_json(bool dry) const {
  const std::lock_guard lock(m_mutex);
  auto runs = nlohmann::json::array();
  for (const auto& run : m_runs) {
    runs.push_back({{"runId", run.run_id},
                    {"result", run.result},
                    {"resources", run.resources},
                    {"discovered", run.discovered}});
  }
  return {{"command", "down"}, {"dryRun", dry}, {"runs", std::move(runs)}};
}

namespace {

// The providers that, asked now, still find resources tagged with `run_id`.
std::vector<std::string> providers_holding(const providers::ProviderSeams& seams,
                                           const std::string& run_id) {
  std::vector<std::string> found_in;
  for (const auto& name : providers::discoverable_names()) {
    auto provider = providers::make_provider(name, seams);
    if (!provider) continue;
    auto found = (*provider)->discover({run_id, false, seams.seams.clock->now(), nullptr, {}});
    // Every discoverable provider is asked: only those with hits say so.
    if (found && found->confirmed_gone + found->found.size() > 0) {
      log_confirmed("down", name, "discovery", *found);
    }
    if (found && !found->found.empty()) found_in.push_back(name);
  }
  return found_in;
}

// Why `run` cannot be torn down from `machine`: some of its providers keep their resources on
// the machine that recorded the run (a shared state lists other machines' runs); nullopt when
// it can.
std::optional<std::string> held_on_another_machine(const state::RunRecord& run,
                                                   const std::string& machine) {
  if (run.machine.empty() || run.machine == machine || run.status == state::k_run_down) {
    return std::nullopt;
  }
  for (const auto& name : run.providers) {
    if (providers::machine_local(name)) {
      return "run " + run.run_id + "'s " + name + " resources live on machine " + run.machine +
             ", not on " + machine + "; run `labctl down --run-id " + run.run_id + "` there";
    }
  }
  return std::nullopt;
}

// Leases, re-reads and tears down one run. A run another process holds is skipped (nullopt
// error-free) when `skip_if_held`, so two janitors never tear down the same run twice.
// A run the state records as down is torn down again only when `recheck_leak` and a fresh
// discovery, made under the lease, still finds its resources: a janitor's earlier scan may
// predate another janitor's completed teardown, so that scan alone proves nothing.
// `adopted`: this janitor just recorded the run from its discovery (see teardown_run).
Expected<void> down_one(const providers::ProviderSeams& seams, state::Store& store,
                        const std::string& run_id, bool dry, bool skip_if_held, bool recheck_leak,
                        DownOutcome& outcome, bool adopted = false) {
  auto lease = store.acquire_lease(run_id, "down");
  if (!lease) {
    if (skip_if_held && lease.error().code == ExitCode::refused) {
      log::info("down.skip", "down: skipping " + run_id + ": " + lease.error().message);
      outcome.add({.run_id = run_id, .result = "skipped"});
      return {};
    }
    outcome.add({.run_id = run_id, .result = "failed"});
    return std::unexpected(lease.error());
  }
  auto run = store.find_run(run_id);
  if (!run) return std::unexpected(run.error());
  if (!*run) return fail(ExitCode::provider, "down: run " + run_id + " vanished from state");
  if (auto elsewhere = held_on_another_machine(**run, store.location().machine)) {
    if (skip_if_held) {
      log::info("down.skip", "down: skipping " + run_id + ": " + *elsewhere);
      outcome.add({.run_id = run_id, .result = "skipped"});
      return {};
    }
    outcome.add({.run_id = run_id, .result = "failed"});
    return fail(ExitCode::refused, "down: " + *elsewhere);
  }
  if ((*run)->status == state::k_run_down) {
    const auto leaked_in = recheck_leak ? providers_holding(seams, run_id) : std::vector<std::string>{};
    if (leaked_in.empty()) {
      log::info("down.noop", "down: run " + run_id + " is already down; nothing to do");
      outcome.add({.run_id = run_id, .result = "already-down"});
      return {};
    }
    log::warn("down.leak", "down: run " + run_id + " is recorded as down but " +
                               join(leaked_in, ",") + " still holds resources tagged with it; " +
                               "tearing down again");
    if (!dry) {
      if (auto marked = store.set_run_status(run_id, state::k_run_down_failed); !marked) {
        return std::unexpected(marked.error());
      }
    }
  }
  auto report = teardown_run(seams, store, **run, dry, adopted);
  if (!report) {
    outcome.add({.run_id = run_id, .result = "failed"});
    return std::unexpected(report.error());
  }
  outcome.add({.run_id = run_id,
               .result = dry ? "planned" : "down",
               .resources = dry ? report->planned : report->deleted,
               .discovered = report->discovered});
  return {};
}

// What discovery found of one run: the providers holding it, its TTL tag, the resources.
struct FoundRun {
  std::vector<std::string> providers;
  std::string ttl_expires_at;
  std::vector<std::pair<std::string, providers::Discovered>> resources;  // (provider, found)
};

// A run the state does not know but a provider found by tag: record it, and what was found of
// it, so its teardown is tracked like any other (profile "discovered", providers = where it was
// found) and looks only where its resources are. True if recorded now, false if already known.
Expected<bool> adopt_run(const providers::ProviderSeams& seams, state::Store& store,
                         const std::string& run_id,
                         const FoundRun& found) {
  // One transaction: a run with hundreds of found resources is recorded in one write.
  state::Transaction tx(store.db());
  if (auto begun = tx.begin(); !begun) return std::unexpected(begun.error());
  auto existing = store.find_run(run_id);
  if (!existing) return std::unexpected(existing.error());
  if (*existing) return false;  // known; down_one re-checks a "down" run under its lease
  state::RunRecord run;
  run.run_id = run_id;
  run.profile = "discovered";
  const auto marker = run_id.find("-cloudedge-");
  run.scenario = marker == std::string::npos ? "adhoc" : run_id.substr(marker + 11);
  run.providers = found.providers;
  run.provider_order = "declared";
  run.owner = "unknown";
  run.purpose = "unknown";
  run.ttl_text = "unknown";
  run.ttl_expires_at = found.ttl_expires_at;
  run.created_at = format_rfc3339(seams.seams.clock->now());
  run.status = state::k_run_up;
  run.dry_run = false;
  auto id = store.insert_run(run);
  if (!id) return std::unexpected(id.error());
  if (*id != run_id) {
    return fail(ExitCode::provider, "down: could not record discovered run " + run_id);
  }
  std::map<std::string, std::vector<providers::Discovered>> by_provider;
  for (const auto& [provider, d] : found.resources) by_provider[provider].push_back(d);
  for (const auto& [provider, resources] : by_provider) {
    if (auto rows = record_discovered(store, run_id, provider, resources); !rows) {
      return std::unexpected(rows.error());
    }
  }
  if (auto committed = tx.commit(); !committed) return std::unexpected(committed.error());
  return true;
}

// Every provider's discovery of expired resources, grouped by run-id.
std::map<std::string, FoundRun> discover_expired(const providers::ProviderSeams& seams,
                                                 std::vector<Error>& errors) {
  std::map<std::string, FoundRun> runs;
  for (const auto& name : providers::discoverable_names()) {
    auto provider = providers::make_provider(name, seams);
    if (!provider) continue;
    providers::DiscoverQuery query{"", true, seams.seams.clock->now(), nullptr, {}};
    auto found = shielded("down --expired: discovery of " + name,
                          [&] { return (*provider)->discover(query); });
    if (!found) {
      errors.push_back(found.error());
      continue;
    }
    // Every discoverable provider is asked: only those with hits say so.
    if (found->confirmed_gone + found->found.size() > 0) {
      log_confirmed("down --expired", name, "discovery of expired resources", *found);
    }
    for (const auto& d : found->found) {
      if (!is_valid_run_id(d.run_id)) continue;  // not ours: never touch it
      auto& run = runs[d.run_id];
      if (std::find(run.providers.begin(), run.providers.end(), name) == run.providers.end()) {
        run.providers.push_back(name);
      }
      if (run.ttl_expires_at.empty()) run.ttl_expires_at = d.ttl_expires_at;
      run.resources.emplace_back(name, d);
    }
  }
  return runs;
}

// Tears the runs down at the same time (CE_JANITOR_PARALLELISM, default 16), each worker on its
// own database connection, so one slow run (instances terminating) does not hold up the rest.
// Returns the errors.
// `found_by_tag` are the runs discovery found, which down_one re-checks if already down;
// `adopted` the ones this janitor recorded from that discovery.
std::vector<Error> teardown_concurrently(const providers::ProviderSeams& seams,
                                         const std::vector<std::string>& run_ids,
                                         const std::set<std::string>& found_by_tag,
                                         const std::set<std::string>& adopted, bool dry,
                                         long long parallelism, DownOutcome& outcome) {
  std::mutex mutex;
  std::vector<Error> errors;
  std::size_t next = 0;
  const auto worker = [&] {
    while (true) {
      std::string run_id;
      {
        const std::lock_guard lock(mutex);
        if (next >= run_ids.size()) return;
        run_id = run_ids[next++];
      }
      auto done = shielded("down --expired: run " + run_id, [&]() -> Expected<void> {
        auto store = state::Store::open(env::process());
        if (!store) return std::unexpected(store.error());
        return down_one(seams, **store, run_id, dry, true, found_by_tag.contains(run_id),
                        outcome, adopted.contains(run_id));
      });
      if (!done) {
        const std::lock_guard lock(mutex);
        errors.push_back(done.error());
      }
    }
  };
  std::vector<std::jthread> threads;
  const auto count = std::min<std::size_t>(static_cast<std::size_t>(parallelism), run_ids.size());
  for (std::size_t i = 0; i < count; ++i) threads.emplace_back(worker);
  threads.clear();  // joins
  return errors;
}

Expected<void> down_expired(const providers::ProviderSeams& seams, bool dry,
                            DownOutcome& outcome) {
  const auto parallelism = env::whole_number("CE_JANITOR_PARALLELISM", 16, 1, 256);
  if (!parallelism) return std::unexpected(parallelism.error());
  std::vector<Error> errors;
  auto discovered = discover_expired(seams, errors);
  auto store = state::Store::open_existing(env::process());
  if (!store) return std::unexpected(store.error());
  if (!*store && discovered.empty()) {
    log::info("down.expired", "down --expired: no state and no expired lab found; nothing to do");
    return errors.empty() ? Expected<void>{} : std::unexpected(errors.front());
  }
  if (!*store) {
    store = state::Store::open(env::process());
    if (!store) return std::unexpected(store.error());
  }
  std::set<std::string> targets;
  std::set<std::string> adopted;  // recorded from this discovery just now
  const SystemTime now = seams.seams.clock->now();
  auto runs = (*store)->list_runs();
  if (!runs) return std::unexpected(runs.error());
  for (const auto& run : *runs) {
    if (run.status == state::k_run_down) continue;
    const auto expires = parse_rfc3339(run.ttl_expires_at);
    if (!expires) {
      log::warn("down.expired", "down --expired: run " + run.run_id +
                                    " has an unparsable ttl_expires_at '" + run.ttl_expires_at +
                                    "'; skipped");
      continue;
    }
    if (*expires <= now) {
      log::info("down.expired",
                "down --expired: " + run.run_id + " expired at " + run.ttl_expires_at);
      targets.insert(run.run_id);
    }
  }
  for (const auto& [run_id, found] : discovered) {
    log::info("down.expired", "down --expired: " + run_id + " found by tag in " +
                                  join(found.providers, ",") + ", expired at " +
                                  found.ttl_expires_at);
    if (dry) {
      targets.insert(run_id);
      continue;
    }
    auto recorded = adopt_run(seams, **store, run_id, found);
    if (!recorded) {
      errors.push_back(recorded.error());
      continue;
    }
    if (*recorded) adopted.insert(run_id);
    targets.insert(run_id);
  }
  if (targets.empty()) {
    log::info("down.expired", "down --expired: no expired runs");
  }
  std::vector<std::string> work;
  for (const auto& run_id : targets) {
    auto known = (*store)->find_run(run_id);
    if (known && !*known) {
      log::info("down.plan", "[dry] would tear down discovered run " + run_id);
      continue;
    }
    work.push_back(run_id);
  }
  std::set<std::string> found_by_tag;
  for (const auto& [run_id, found] : discovered) found_by_tag.insert(run_id);
  for (auto& error :
       teardown_concurrently(seams, work, found_by_tag, adopted, dry, *parallelism, outcome)) {
    errors.push_back(std::move(error));
  }
  if (!errors.empty()) {
    std::string message = "down --expired: " + std::to_string(errors.size()) + " problem(s):";
    ExitCode code = ExitCode::provider;
    for (const auto& e : errors) {
      message += "\n  - " + e.message;
      code = most_severe(code, e.code);
    }
    return fail(code, message);
  }
  return {};
}

}  // namespace

Expected<void> run_down(const DownOptions& options, const providers::ProviderSeams& seams,
                        DownOutcome& outcome) {
  const bool dry = env::dry_run();
  if (options.expired) return down_expired(seams, dry, outcome);
  if (!options.run_id && !options.force) {
    return fail(ExitCode::usage, "down: provide --run-id <id>, or --expired, or --force");
  }
  auto store = state::Store::open_existing(env::process());
  if (!store) return std::unexpected(store.error());
  std::string run_id;
  if (options.run_id) {
    run_id = *options.run_id;
  } else {
    // --force without an id: the latest active run, and none (or no state at all) is a no-op.
    Expected<std::optional<state::RunRecord>> latest = std::optional<state::RunRecord>();
    if (*store) latest = state::find_run_or_latest(**store, "", "down", state::MissingRun::none);
    if (!latest) return std::unexpected(latest.error());
    if (!*latest) {
      log::info("down.noop", "down --force: no active run; nothing to do");
      return {};
    }
    run_id = (*latest)->run_id;
  }
  log::set_run_id(run_id);
  if (*store) {
    auto known = (*store)->find_run(run_id);
    if (!known) return std::unexpected(known.error());
    if (*known) return down_one(seams, **store, run_id, dry, false, false, outcome);
  }
  // Unknown to this machine's state: look for it by tag (another machine's run).
  const auto providers_found = providers_holding(seams, run_id);
  if (providers_found.empty()) {
    log::info("down.noop", "down: run " + run_id + " is unknown to the state in " +
                               env::state_dir().string() +
                               " and no provider finds resources tagged with it; nothing to do");
    return {};
  }
  if (dry) {
    log::info("down.plan", "[dry] would tear down " + run_id + " (found by tag in " +
                               join(providers_found, ",") + ")");
    outcome.add({.run_id = run_id, .result = "planned"});
    return {};
  }
  store = state::Store::open(env::process());
  if (!store) return std::unexpected(store.error());
  if (auto recorded = adopt_run(seams, **store, run_id, FoundRun{providers_found, "", {}}); !recorded) {
    return std::unexpected(recorded.error());
  }
  return down_one(seams, **store, run_id, dry, false, false, outcome);
}

}  // namespace labctl::lifecycle
