#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "providers/action_contract.hpp"

namespace labctl::testing {

// A provider's actions at the edge the gate calls (providers::ActionRunner), without a cloud:
// every request is recorded, and each action is answered from a script — by default succeeded,
// with the prior state an undo needs in observed (ensure-forwarding-enabled records
// priorSourceDestCheck true, as the aws actions do).
class RecordingActionRunner {
 public:
  struct Call {
    providers::ActionRequest request;
    std::string run_id;
    std::string credentials_profile;
  };

  // From now on, `action` is answered with `outcome` (in both modes).
  void answer(const std::string& action, providers::Outcome outcome) {
    const std::lock_guard lock(m_state->mutex);
    m_state->answers[action] = std::move(outcome);
  }

  // The runner to hand to the gate; it records into this object's log.
  [[nodiscard]] providers::ActionRunner runner() const {
    return [state = m_state](const providers::ActionRequest& request, const std::string& run_id,
                             const std::string& credentials_profile) {
      const std::lock_guard lock(state->mutex);
      state->calls.push_back({request, run_id, credentials_profile});
      if (const auto scripted = state->answers.find(request.action);
          scripted != state->answers.end()) {
        return scripted->second;
      }
      nlohmann::json observed = nlohmann::json::object();
      if (request.action == providers::k_forwarding_on) observed["priorSourceDestCheck"] = true;
      return providers::Outcome{
          {"succeeded", request.action + " " + request.mode, observed,
           !providers::undo_action_of(request.action).empty(), ""},
          ExitCode::ok};
    };
  }

  [[nodiscard]] std::vector<Call> calls() const {
    const std::lock_guard lock(m_state->mutex);
    return m_state->calls;
  }

  // The calls that may mutate (mode execute).
  [[nodiscard]] std::vector<Call> executed() const {
    std::vector<Call> out;
    for (auto& call : calls()) {
      if (call.request.mode == providers::k_mode_execute) out.push_back(std::move(call));
    }
    return out;
  }

 private:
  struct State {
    std::mutex mutex;
    std::vector<Call> calls;
    std::map<std::string, providers::Outcome> answers;
  };
  std::shared_ptr<State> m_state = std::make_shared<State>();
};

}  // namespace labctl::testing
