#include "faults/executor_faults.hpp"

#include "executor/action_provider.hpp"
#include "executor/gate.hpp"
#include "core/log.hpp"

namespace labctl::faults {

bool is_executor_fault(const std::string& fault) {
  return fault == "executor-fail" || fault == "stale-replay";
}

Expected<nlohmann::json> inject_executor_fault(state::Store& store, const state::RunRecord& run,
                                               const std::string& fault,
                                               const providers::ProviderSeams& seams) {
  if (fault == "executor-fail") {
    const std::string profile = seams.seams.env("CE_AWS_EXECUTOR_FAIL_PROFILE").value_or("");
    if (profile.empty()) {
      return fail(ExitCode::usage,
                  "failover --fault executor-fail: set CE_AWS_EXECUTOR_FAIL_PROFILE to a shared "
                  "credentials profile WITHOUT mutate permissions (a human provisions it; labctl "
                  "never widens or creates identities)");
    }
    if (auto stored = store.set_meta(run.run_id, "executor.fail_profile", profile); !stored) {
      return std::unexpected(stored.error());
    }
    log::info("failover.executor", "failover: the next provider action of " + run.run_id +
                                       " runs as credentials profile '" + profile + "'");
    return nlohmann::json{{"scopedProfile", profile}, {"appliesTo", "the next provider action"}};
  }
  // Import only (describes, never mutates): a live runner is not needed.
  executor::Gate gate(store, executor::registry_runners(false, seams), false,
                      *seams.seams.clock);
  auto replay = gate.replay_stale(run.run_id);
  if (!replay) return std::unexpected(replay.error());
  const bool fenced = replay->status == journal::k_skipped &&
                      replay->result_message.starts_with("stale action fenced");
  log::info("failover.replay", "failover: stale replay " + replay->idempotency_key + ": " +
                                   replay->result_message);
  return nlohmann::json{{"replayKey", replay->idempotency_key},
                        {"replayOf", replay->parameters.value("replayOf", "")},
                        {"epoch", replay->epoch ? *replay->epoch : 0},
                        {"status", replay->status},
                        {"fenced", fenced},
                        {"message", replay->result_message}};
}

}  // namespace labctl::faults
