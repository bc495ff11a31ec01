#pragma once

#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/seams.hpp"

namespace labctl::faults {

// The fault primitives labctl knows, in the original's order plus routerd-bgp-stop.
[[nodiscard]] const std::vector<std::string>& known_faults();

struct FailoverOptions {
  std::string providers;  // --provider, CSV
  std::string fault;      // --fault
  std::string node;       // --node (default: the run's active router)
  std::string run_id;     // --run-id (default: the latest active run)
  bool measure = false;   // --measure: time detection, switchover and recovery
  double threshold_seconds = 60;
  int timeout_seconds = 120;
  std::string out;        // --out: the failover-timing JSON, written atomically
  // --restore-after SECONDS: inject, wait this long on the clock, then restore (-1: no restore)
  int restore_after_seconds = -1;
  bool restore = false;   // --restore: only restore a fault injected earlier
};

// Validates the fault and providers, then (live) asks each provider to inject the fault into
// the run and records a "failover" event with what was done (result "injected", injectedAt);
// dry-run prints what it would do. With --restore-after, once every provider has injected, it
// waits that long on the clock (an interrupt cuts the wait short: the fault is restored at once
// and the exit is ExitCode::interrupted) and asks each provider to restore the fault, recording
// a second event (result "restored", restoredAt); an inject that fails there first restores
// the providers already injected. --restore only restores. A provider that cannot do (or
// restore) the fault fails with ExitCode::usage.
// With --measure (one provider), also times the failover (failover_timing.hpp), prints the
// timing JSON on stdout (or writes --out and prints its path), stores it as the run's
// "failover.timing" and returns check_failed unless it passed. `seams`: the clock stamps the
// injection and paces the timing polls; the process runner starts an external probe runner.
[[nodiscard]] Expected<ExitCode> run_failover(const FailoverOptions& options, const Seams& seams);

}  // namespace labctl::faults
