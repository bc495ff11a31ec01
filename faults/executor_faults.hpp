#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/state_store.hpp"
#include "providers/registry/registry.hpp"

namespace labctl::faults {

// True for the faults that exercise the provider-action executor rather than a router.
[[nodiscard]] bool is_executor_fault(const std::string& fault);

// executor-fail: the run's next provider action runs with the credentials profile named by
// CE_AWS_EXECUTOR_FAIL_PROFILE (a human provisions it without mutate permissions); the gate
// records whether it failed closed. stale-replay: replays the run's newest superseded capture
// with its old epoch (its key stamped by seams' clock); the journal records whether it was fenced.
// Returns the failover detail.
[[nodiscard]] Expected<nlohmann::json> inject_executor_fault(state::Store& store,
                                                             const state::RunRecord& run,
                                                             const std::string& fault,
                                                             const providers::ProviderSeams& seams);

}  // namespace labctl::faults
