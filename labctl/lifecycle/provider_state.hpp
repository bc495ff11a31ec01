#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/seams.hpp"

namespace labctl::lifecycle {

// The judgements of the run's providers from their clouds' own view at this moment
// (Provider::provider_state), for `evidence collect`: {"<provider>": {"providerState",
// "detail"}, ...} over the providers the run brought up. `run_id` empty: the latest active run.
// std::nullopt when there is nothing to ask: dry-run mode (CE_DRY_RUN unset or not "0"; no
// cloud call leaves the process), no state, no such run, a dry run, or a run that is down (its
// resources are gone by design). A provider that cannot be asked (an API error) is judged
// "fail" with the error in its detail, so the evidence says why instead of claiming a pass.
[[nodiscard]] Expected<std::optional<nlohmann::json>> judge_provider_states(
    const std::string& run_id, const Seams& seams);

}  // namespace labctl::lifecycle
