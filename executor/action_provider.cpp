#include "executor/action_provider.hpp"

#include "core/suggest.hpp"

namespace labctl::executor {

ActionRunners registry_runners(bool live, providers::ProviderSeams seams) {
  return [live, seams = std::move(seams)](const std::string& name) -> Expected<ActionRunner> {
    auto provider = providers::make_provider(name, seams);
    if (!provider) return std::unexpected(provider.error());
    if (!(*provider)->has_actions()) {
      return fail(ExitCode::refused, "provider " + name + " has no actions");
    }
    return (*provider)->action_runner(live);
  };
}

Expected<std::unique_ptr<providers::Provider>> action_provider(
    const state::RunRecord& run, const std::string& command,
    const providers::ProviderSeams& seams) {
  for (const auto& name : run.providers) {
    auto provider = providers::make_provider(name, seams);
    if (provider && (*provider)->has_actions()) return provider;
  }
  return fail(ExitCode::usage, command + ": run " + run.run_id +
                                   " has no provider with actions (its providers: " +
                                   join(run.providers, ",") + ")");
}

}  // namespace labctl::executor
