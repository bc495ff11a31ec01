#include "labctl/lifecycle/provider_state.hpp"

#include "core/env.hpp"
#include "core/log.hpp"
#include "core/profile.hpp"
#include "core/run_lookup.hpp"
#include "core/state_store.hpp"
#include "core/tags.hpp"
#include "providers/registry/registry.hpp"

namespace labctl::lifecycle {
namespace {

// Provider `name`'s judgement of its part of `run` (describes only; no lease is needed).
Expected<nlohmann::json> judge_one(const std::string& name, const state::RunRecord& run,
                                   const profile::Profile& profile, state::Store& store,
                                   const providers::ProviderSeams& seams) {
  auto provider = providers::make_provider(name, seams);
  if (!provider) return std::unexpected(provider.error());
  const providers::RunContext ctx{
      run,
      profile,
      make_tags(run.run_id, run.owner, run.ttl_expires_at, name, run.purpose),
      store,
      *seams.seams.clock,
      false};
  return (*provider)->provider_state(ctx);
}

}  // namespace

Expected<std::optional<nlohmann::json>> judge_provider_states(const std::string& run_id,
                                                              const Seams& seams) {
  if (env::dry_run()) return std::optional<nlohmann::json>();
  auto store = state::Store::open_existing(env::process());
  if (!store) return std::unexpected(store.error());
  if (!*store) return std::optional<nlohmann::json>();
  auto run = state::find_run_or_latest(**store, run_id, "evidence", state::MissingRun::none);
  if (!run) return std::unexpected(run.error());
  if (!*run || (*run)->dry_run || (*run)->status == state::k_run_down) {
    return std::optional<nlohmann::json>();
  }
  profile::Profile profile;
  if (auto loaded = profile::load((*run)->profile_path)) profile = *loaded;
  const auto provider_seams = providers::provider_seams(seams);
  nlohmann::json judgements = nlohmann::json::object();
  for (const auto& name : (*run)->providers) {
    auto judged = judge_one(name, **run, profile, **store, provider_seams);
    if (!judged) {
      log::warn(
          "evidence.provider_state",
          "evidence: provider " + name + " could not judge its state: " + judged.error().message);
      judged = nlohmann::json{{"providerState", "fail"},
                              {"detail", {{"error", judged.error().message}}}};
    }
    log::info("evidence.provider_state", "evidence: provider " + name +
                                             " judges its state from the cloud: " +
                                             judged->value("providerState", std::string("?")));
    judgements[name] = std::move(*judged);
  }
  return std::optional<nlohmann::json>(std::move(judgements));
}

}  // namespace labctl::lifecycle
