#include "executor/iam.hpp"

#include "executor/action_provider.hpp"
#include "executor/run_lookup.hpp"

namespace labctl::executor {

Expected<nlohmann::ordered_json> executor_policy(const std::string& run_id,
                                                 const providers::ProviderSeams& seams) {
  auto opened = open_state("iam-policy");
  if (!opened) return std::unexpected(opened.error());
  auto& store = **opened;
  auto run = resolve_run(store, run_id, "iam-policy");
  if (!run) return std::unexpected(run.error());
  auto provider = action_provider(*run, "iam-policy --executor", seams);
  if (!provider) return std::unexpected(provider.error());
  return (*provider)->executor_policy(store, run_id);
}

}  // namespace labctl::executor
