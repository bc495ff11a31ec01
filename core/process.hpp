#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace labctl {

struct ProcessRequest {
  std::vector<std::string> argv;              // argv[0] is looked up in PATH
  std::optional<std::string> stdin_data;      // nullopt: stdin is /dev/null
  std::chrono::milliseconds timeout{0};       // 0: no timeout
  std::vector<std::string> extra_env;         // "NAME=value" entries added to the environment
  std::filesystem::path cwd;                  // empty: inherit
  bool inherit_stderr = false;                // true: the child's stderr goes to ours
};

struct ProcessResult {
  int exit_code = -1;       // the child's exit status; -1 when killed by a signal
  int term_signal = 0;      // the signal that ended it, 0 if it exited
  bool timed_out = false;   // we killed it because the timeout passed
  std::string out;
  std::string err;
};

// The process seam: every external program labctl starts goes through a ProcessRunner, so tests
// can record the commands instead (tests/fakes/recording_process_runner.hpp).
class ProcessRunner {
 public:
  virtual ~ProcessRunner() = default;
  // Runs the program to completion. Errors only when it could not be started at all.
  [[nodiscard]] virtual Expected<ProcessResult> run(const ProcessRequest& request) = 0;
};

// fork/exec with pipes; a timed-out child's whole process group is killed.
[[nodiscard]] std::shared_ptr<ProcessRunner> system_process_runner();

}  // namespace labctl
