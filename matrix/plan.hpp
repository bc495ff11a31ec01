#pragma once

#include <memory>
#include <optional>
#include <string>

#include "core/state_store.hpp"
#include "matrix/smoke.hpp"

namespace labctl::matrix {

// The run a smoke is about, with its open store; nullopt when no run applies.
struct RunContext {
  std::unique_ptr<state::Store> store;
  state::RunRecord run;
};

// --run-id ID (an unknown id is a usage error), else — only when neither --sites nor
// CE_MATRIX_SITES is given — the newest active run of the store in CE_STATE_DIR, if any.
[[nodiscard]] Expected<std::optional<RunContext>> find_run(const SmokeOptions& options,
                                                           const EnvLookup& env);

// Resolves sites, parallelism, phase, gateway expectation, runner and SSH settings.
[[nodiscard]] Expected<MatrixPlan> resolve_plan(const SmokeOptions& options, const EnvLookup& env,
                                                RunContext* run);

// A positive integer from flag or env text, else usage error "bad <what>: X (want positive
// integer)".
[[nodiscard]] Expected<int> parse_positive(const std::string& text, const std::string& what);

}  // namespace labctl::matrix
