#pragma once

namespace labctl {

// The process exit codes labctl promises to scripts and agents (DESIGN.md, "Output").
enum class ExitCode : int {
  ok = 0,
  check_failed = 1,  // a check ran and failed (matrix flow, evidence validation, result fail)
  usage = 2,         // bad flags, bad input files, bad profile
  provider = 3,      // a provider/API/SSH error, or a feature that is not available
  refused = 4,       // a safety rule refused the operation (tag fence, TTL ceiling, lease, root)
  interrupted = 130, // SIGINT; SIGTERM gives 143 and SIGHUP 129 (128 + signal number)
};

[[nodiscard]] constexpr int to_int(ExitCode code) { return static_cast<int>(code); }

}  // namespace labctl
