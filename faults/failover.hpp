#pragma once

#include <string>
#include <vector>

#include "labctl/error.hpp"

namespace labctl::faults {

// The fault primitives labctl knows, in the original's order plus routerd-bgp-stop.
[[nodiscard]] const std::vector<std::string>& known_faults();

struct FailoverOptions {
  std::string providers;  // --provider, CSV
  std::string fault;      // --fault
  std::string node;       // --node (default: the run's active router)
  std::string run_id;     // --run-id (default: the latest active run)
};

// Validates the fault and providers, then (live) asks each provider to inject the fault into
// the run and records a "failover" event with what was done; dry-run prints what it would do.
[[nodiscard]] Expected<void> run_failover(const FailoverOptions& options);

}  // namespace labctl::faults
