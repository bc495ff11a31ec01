#pragma once

#include <string>

#include "core/error.hpp"
#include "providers/registry/registry.hpp"

namespace labctl::executor {

struct PreflightOptions {
  std::string run_id;   // default: the latest active run
  std::string eni;
  std::string address;
  std::string region;   // default: the region the run recorded for the ENI, else AWS_REGION
  std::string out;      // default: $CE_STATE_DIR/runs/<run>/preflight.json
};

// The runbook's §4 read-only preflight (describes only; allowed in dry-run), as the run's action
// provider (built with `seams`) performs it (Provider::preflight: the NIC, its instance, subnet and route tables;
// the NIC is the run's, the address lies in the subnet and is not already assigned). Stamps
// the document with seams' clock, writes preflight.json atomically, stores it as the run's
// "preflight" metadata (evidence includes it) and prints its path. check_failed when a check
// fails.
[[nodiscard]] Expected<ExitCode> run_preflight(const PreflightOptions& options,
                                               const providers::ProviderSeams& seams);

}  // namespace labctl::executor
