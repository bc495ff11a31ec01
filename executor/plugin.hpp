#pragma once

#include <iosfwd>
#include <string>

#include "core/exit_code.hpp"
#include "providers/registry/registry.hpp"

namespace labctl::executor {

// `labctl executor PROVIDER` (today: aws): routerd's provider-executor plugin for a provider with
// actions. Reads one ExecuteActionRequest
// from `in`, writes exactly one ExecuteActionResult to `out` (also for a malformed request:
// status failed, exit 2), and returns the outcome's exit code. Stateless, like the contract:
// routerd keeps the journal. The ENI must carry context.runId's tags (or, without a runId, some
// lab run's). execute mode mutates only with CE_DRY_RUN=0; otherwise it is refused (exit 4).
// The provider is built with `seams`.
[[nodiscard]] ExitCode run_plugin(const std::string& provider, std::istream& in, std::ostream& out,
                                  const providers::ProviderSeams& seams);

}  // namespace labctl::executor
