#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace labctl::testing {

// A child process started by a test: its stdout/stderr go to files, its environment is ours
// plus `env` (a value of "\x01unset" removes the variable). Tests may signal it; the destructor
// kills it (by its pid) if it is still running.
class Spawned {
 public:
  Spawned(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
          const std::filesystem::path& output_dir);
  ~Spawned();
  Spawned(const Spawned&) = delete;
  Spawned& operator=(const Spawned&) = delete;

  [[nodiscard]] pid_t pid() const { return m_pid; }
  void signal(int signo) const;
  // Waits for exit; returns the exit code (128+signal if killed), or -1 on timeout.
  int wait(std::chrono::milliseconds timeout = std::chrono::seconds(60));
  [[nodiscard]] std::string out() const;
  [[nodiscard]] std::string err() const;

 private:
  pid_t m_pid = -1;
  bool m_reaped = false;
  std::filesystem::path m_out;
  std::filesystem::path m_err;
};

struct CommandOutput {
  int code = -1;
  std::string out;
  std::string err;
};

// Runs to completion (60 s limit) and returns code/stdout/stderr.
[[nodiscard]] CommandOutput run_command(const std::vector<std::string>& argv,
                                        const std::map<std::string, std::string>& env,
                                        const std::filesystem::path& output_dir);

// Polls `condition` every 20 ms until it holds or `timeout` passes.
template <class Condition>
bool eventually(Condition condition, std::chrono::milliseconds timeout = std::chrono::seconds(20));

}  // namespace labctl::testing

#include <thread>

template <class Condition>
bool labctl::testing::eventually(Condition condition, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return condition();
}
