#include "labctl/lifecycle/up.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>

#include "core/clock.hpp"
#include "core/duration.hpp"
#include "core/env.hpp"
#include "core/interrupt.hpp"
#include "labctl/lifecycle/guard.hpp"
#include "core/log.hpp"
#include "core/progress.hpp"
#include "core/shield.hpp"
#include "core/profile.hpp"
#include "core/provider_order.hpp"
#include "core/run_id.hpp"
#include "core/suggest.hpp"
#include "providers/plan_printer.hpp"
#include "providers/provider.hpp"
#include "providers/registry/registry.hpp"

namespace labctl::lifecycle {
namespace {

constexpr const char* k_default_ttl_max = "24h";

struct ProviderPlan {
  std::unique_ptr<providers::Provider> provider;
  providers::Plan plan;
};

// The budget ceiling: no `up` may ask for a TTL above CE_TTL_MAX (default 24h). Raising the
// ceiling is a human decision, so exceeding it is a refusal (exit 4), not a usage error.
Expected<void> check_ttl_ceiling(std::chrono::seconds ttl, const std::string& ttl_text) {
  const std::string max_text = env::get_or("CE_TTL_MAX", k_default_ttl_max);
  auto max = parse_duration(max_text);
  if (!max) return fail(ExitCode::usage, "CE_TTL_MAX: " + max.error().message);
  if (ttl > *max) {
    return fail(ExitCode::refused,
                "up: --ttl " + ttl_text + " exceeds the budget ceiling CE_TTL_MAX=" + max_text +
                    "; pick a shorter TTL (raising the ceiling is a human decision)");
  }
  return {};
}

// A live `up`'s plan on stderr: a line of counts per provider ("plan local: 204 operations: 14
// netns, 23 link, ...; 153 other steps"), plus the plan's notes. The full plan is printed by a
// dry run (showing it is that run's job) and with -v.
void print_plan_summary(const providers::Plan& plan) {
  std::vector<std::pair<std::string, std::size_t>> kinds;  // in the plan's order
  std::size_t other = 0;
  for (const auto& op : plan.operations) {
    if (op.resource_kind.empty()) {
      ++other;
      continue;
    }
    auto it = std::ranges::find(kinds, op.resource_kind, &std::pair<std::string, std::size_t>::first);
    if (it == kinds.end()) {
      kinds.emplace_back(op.resource_kind, 1);
    } else {
      ++it->second;
    }
  }
  std::string counts;
  nlohmann::json fields = {{"provider", plan.provider},
                           {"operations", plan.operations.size()},
                           {"resources", nlohmann::json::object()},
                           {"other_steps", other}};
  for (const auto& [kind, count] : kinds) {
    counts += (counts.empty() ? "" : ", ") + std::to_string(count) + " " + kind;
    fields["resources"][kind] = count;
  }
  if (other > 0) counts += (counts.empty() ? "" : "; ") + std::to_string(other) + " other steps";
  log::info("plan.summary",
            "plan " + plan.provider + ": " + std::to_string(plan.operations.size()) +
                " operations" + (counts.empty() ? "" : ": " + counts) + " (the full plan: -v)",
            fields);
  for (const auto& note : plan.notes) {
    log::info("plan.note", plan.provider + ": " + note, {{"provider", plan.provider}});
  }
}

// The live status of `up`: "resources 12/51 ready" from the run's rows in state (the providers
// record each resource there as it is created). `planned`: the plans' resource operations.
std::function<std::string()> up_status(state::Store& store, const std::string& run_id,
                                       std::size_t planned) {
  return [&store, run_id, planned] {
    std::size_t rows = 0, ready = 0;
    if (auto resources = store.resources(run_id)) {
      rows = resources->size();
      ready = static_cast<std::size_t>(std::ranges::count(
          *resources, std::string(state::k_res_created), &state::ResourceRecord::state));
    }
    return "resources " + std::to_string(ready) + "/" + std::to_string(std::max(rows, planned)) +
           " ready";
  };
}

// Runs every provider's plan in order; stops at the first failure or signal.
Expected<void> apply_all(std::vector<ProviderPlan>& plans, const state::RunRecord& run,
                         const profile::Profile& profile, state::Store& store, Clock& clock) {
  for (auto& [provider, plan] : plans) {
    if (interrupt::requested()) {
      return fail(ExitCode::interrupted, "up: interrupted");
    }
    const std::string name(provider->name());
    providers::RunContext ctx{run, profile,
                              make_tags(run.run_id, run.owner, run.ttl_expires_at, name,
                                        run.purpose),
                              store, clock, false};
    log::info("up.provider", "up: bringing up " + name, {{"provider", name}});
    if (auto applied = shielded("up: provider " + name, [&] { return provider->apply_up(ctx, plan); });
        !applied) {
      return std::unexpected(applied.error());
    }
  }
  if (interrupt::requested()) return fail(ExitCode::interrupted, "up: interrupted");
  return {};
}

// What validation of the options settles before anything is written.
struct Validated {
  profile::Profile profile;
  std::vector<std::string> providers;  // in bring-up order
  std::string order_mode;
  std::string ttl_text;
  std::chrono::seconds ttl{};
};

Expected<Validated> validate(const UpOptions& options, const providers::ProviderSeams& seams) {
  // CE_OWNER/$USER and CE_PURPOSE become tags on every resource: refused before anything is
  // recorded or sent.
  if (auto tags = env::check_tag_variables(); !tags) return std::unexpected(tags.error());
  auto profile = providers::load_profile(options.profile);
  if (!profile) return std::unexpected(profile.error());

  const std::vector<std::string> requested =
      options.providers ? split_provider_list(*options.providers) : profile->providers;
  if (requested.empty()) {
    return fail(ExitCode::usage, "up: no providers (give --provider, or list providers in " +
                                     profile->path.string() + ")");
  }
  for (const auto& name : requested) {
    if (auto provider = providers::make_provider(name, seams); !provider) {
      return std::unexpected(provider.error());
    }
  }
  const std::string order_mode =
      options.provider_order.value_or(env::get_or("CE_PROVIDER_ORDER", "declared"));
  auto ordered = providers::order_providers(requested, order_mode);
  if (!ordered) return std::unexpected(ordered.error());

  const std::string ttl_text = options.ttl.value_or(profile->ttl);
  auto ttl = parse_duration(ttl_text);
  if (!ttl) {
    return fail(ExitCode::usage, "up: invalid --ttl: " + ttl.error().message);
  }
  if (auto ceiling = check_ttl_ceiling(*ttl, ttl_text); !ceiling) {
    return std::unexpected(ceiling.error());
  }
  return Validated{std::move(*profile), std::move(*ordered), order_mode, ttl_text, *ttl};
}

// The run record for a validated `up` (not yet inserted).
state::RunRecord new_run(const UpOptions& options, const Validated& v, const Clock& clock) {
  const SystemTime now = clock.now();
  state::RunRecord run;
  run.scenario = sanitize_scenario(options.scenario.value_or(v.profile.name));
  run.run_id = make_run_id(now, run.scenario);
  run.profile = options.profile;
  run.profile_path = v.profile.path.string();
  run.providers = v.providers;
  run.provider_order = v.order_mode.empty() ? "declared" : v.order_mode;
  run.owner = env::owner();
  run.purpose = env::purpose();
  run.ttl_text = v.ttl_text;
  run.ttl_seconds = v.ttl.count();
  run.ttl_expires_at = format_rfc3339(now + v.ttl);
  run.created_at = format_rfc3339(now);
  run.dry_run = env::dry_run();
  run.keep = options.keep;
  return run;
}

}  // namespace

Expected<PermissionReport> check_up_permissions(const UpOptions& options,
                                                const providers::ProviderSeams& seams) {
  Clock& clock = *seams.seams.clock;
  auto validated = validate(options, seams);
  if (!validated) return std::unexpected(validated.error());
  if (std::ranges::find(validated->providers, "aws") == validated->providers.end()) {
    return fail(ExitCode::usage, "up --check-permissions: the run has no aws part (give "
                                 "--provider aws or a profile listing aws)");
  }
  auto store = state::Store::open(env::process());
  if (!store) return std::unexpected(store.error());
  const state::RunRecord run = new_run(options, *validated, clock);  // a check: never inserted
  auto provider = providers::make_provider("aws", seams);
  if (!provider) return std::unexpected(provider.error());
  providers::RunContext ctx{run, validated->profile,
                            make_tags(run.run_id, run.owner, run.ttl_expires_at, "aws",
                                      run.purpose),
                            **store, clock, true};
  auto plan = (*provider)->plan_up(ctx);
  if (!plan) return std::unexpected(plan.error());
  return (*provider)->check_permissions(*plan);
}

Expected<std::string> run_up(const UpOptions& options, const providers::ProviderSeams& seams) {
  Clock& clock = *seams.seams.clock;
  // 1. Validate everything before anything is written: profile, providers, order, TTL.
  auto validated = validate(options, seams);
  if (!validated) return std::unexpected(validated.error());
  const profile::Profile* profile = &validated->profile;
  const std::string& ttl_text = validated->ttl_text;

  // 2. Record the run.
  auto store = state::Store::open(env::process());
  if (!store) return std::unexpected(store.error());
  state::RunRecord run = new_run(options, *validated, clock);
  auto id = (*store)->insert_run(run);
  if (!id) return std::unexpected(id.error());
  run.run_id = *id;
  log::set_run_id(run.run_id);
  // Who ran `up`, for `runs list`'s OWNER column.
  if (auto noted = (*store)->set_meta(run.run_id, "startedBy", env::started_by()); !noted) {
    return std::unexpected(noted.error());
  }
  auto lease = (*store)->acquire_lease(run.run_id, "up");
  if (!lease) return std::unexpected(lease.error());
  log::info("up.start",
            "up: run_id=" + run.run_id + " profile=" + profile->name +
                " providers=" + join(run.providers, ",") + " provider_order=" +
                run.provider_order + " ttl=" + ttl_text + " (expires " + run.ttl_expires_at + ")" +
                (run.dry_run ? " [dry]" : ""),
            {{"profile", profile->name},
             {"providers", run.providers},
             {"provider_order", run.provider_order},
             {"ttl", ttl_text},
             {"ttl_expires_at", run.ttl_expires_at},
             {"dry_run", run.dry_run}});

  // 3. Plans: pure, so a bad profile setting fails here with nothing created.
  std::vector<ProviderPlan> plans;
  for (const auto& name : run.providers) {
    auto provider = providers::make_provider(name, seams);
    if (!provider) return std::unexpected(provider.error());
    providers::RunContext ctx{run, *profile,
                              make_tags(run.run_id, run.owner, run.ttl_expires_at, name,
                                        run.purpose),
                              **store, clock, run.dry_run};
    auto plan = (*provider)->plan_up(ctx);
    if (!plan) {
      (void)(*store)->set_run_status(run.run_id, state::k_run_down);
      (void)(*store)->add_event(run.run_id, "up",
                                {{"result", "failed"}, {"error", plan.error().message}});
      return std::unexpected(plan.error());
    }
    if (run.dry_run || log::verbose()) {
      providers::print_plan(*plan, run.dry_run);
    } else {
      print_plan_summary(*plan);
    }
    plans.push_back({std::move(*provider), std::move(*plan)});
  }

  if (run.dry_run) {
    (void)(*store)->set_run_status(run.run_id, state::k_run_up);
    (void)(*store)->add_event(run.run_id, "up", {{"result", "planned"}, {"dry_run", true}});
    log::info("up.dry", "up: dry run: nothing was sent (set CE_DRY_RUN=0 to act for real)");
    return run.run_id;
  }

  // 4. Live: apply under the guard.
  TeardownGuard guard(seams, **store, run, options.keep);
  const auto started = clock.steady_now();
  std::size_t planned = 0;
  for (const auto& [provider, plan] : plans) {
    planned += static_cast<std::size_t>(std::ranges::count_if(
        plan.operations, [](const auto& op) { return !op.resource_kind.empty(); }));
  }
  auto applied = [&] {
    progress::Status status("up", up_status(**store, run.run_id, planned));
    return apply_all(plans, run, *profile, **store, clock);
  }();
  if (!applied) return std::unexpected(guard.finish(applied.error()));
  guard.disarm();
  const double seconds =
      std::chrono::duration<double>(clock.steady_now() - started).count();
  if (auto marked = (*store)->set_run_status(run.run_id, state::k_run_up); !marked) {
    return std::unexpected(marked.error());
  }
  (void)(*store)->add_event(run.run_id, "up",
                            {{"result", "completed"}, {"infraProvisionSeconds", seconds}});
  progress::result(true, "up.done",
                   "up: run " + run.run_id + " is up (" + std::to_string(std::lround(seconds)) +
                       " s)",
                   {{"seconds", seconds}});
  return run.run_id;
}

}  // namespace labctl::lifecycle
