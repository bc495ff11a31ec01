#pragma once

#include <string>

#include "core/error.hpp"

namespace labctl::executor {

struct PreflightOptions {
  std::string run_id;   // default: the latest active run
  std::string eni;
  std::string address;
  std::string region;   // default: the region the run recorded for the ENI, else AWS_REGION
  std::string out;      // default: $CE_STATE_DIR/runs/<run>/preflight.json
};

// The runbook's §4 read-only preflight (describes only; allowed in dry-run): the ENI with its
// secondary IPs and SourceDestCheck, the instance it is attached to, its subnet and the subnet's
// route tables; checks the ENI is the run's, the address lies in the subnet and is not already
// assigned. Writes preflight.json atomically, stores it as the run's "preflight" metadata
// (evidence includes it) and prints its path. check_failed when a check fails.
[[nodiscard]] Expected<ExitCode> run_preflight(const PreflightOptions& options);

}  // namespace labctl::executor
