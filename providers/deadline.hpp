#pragma once

#include <atomic>
#include <chrono>
#include <optional>
#include <string>

namespace labctl::providers {

// The steady-clock instant after which a cloud client factory's clients send nothing more. Two
// bounds: the current phase's (re-armed at each phase) and a hard one for the whole process
// (the janitor's, CE_JANITOR_TIMEOUT); the earlier wins. Thread-safe: many threads' clients
// read it while one arms it.
class CloudDeadline {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  // `cloud` and `phase_variable` name the phase bound in describe(): "AWS",
  // "CE_AWS_COMMAND_TIMEOUT".
  CloudDeadline(std::string cloud, std::string phase_variable)
      : m_cloud(std::move(cloud)), m_phase_variable(std::move(phase_variable)) {}

  void arm_phase(TimePoint at, std::chrono::seconds budget);
  // Only ever moves the hard bound earlier.
  void arm_hard(TimePoint at, std::chrono::seconds budget);

  // The earliest armed bound; nullopt when none is armed.
  [[nodiscard]] std::optional<TimePoint> at() const;
  // Names the bound that decides at(), for the error when it passes:
  // "the AWS deadline of this command phase (CE_AWS_COMMAND_TIMEOUT=1800 s) passed".
  [[nodiscard]] std::string describe() const;

 private:
  static constexpr long long k_unarmed = 0;
  const std::string m_cloud;
  const std::string m_phase_variable;
  std::atomic<long long> m_phase_ns{k_unarmed};
  std::atomic<long long> m_phase_budget_s{0};
  std::atomic<long long> m_hard_ns{k_unarmed};
  std::atomic<long long> m_hard_budget_s{0};
};

}  // namespace labctl::providers
