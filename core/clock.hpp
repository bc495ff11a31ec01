#pragma once

#include <chrono>
#include <memory>

#include "core/time.hpp"

namespace labctl {

// The time seam: core logic asks a Clock instead of calling the system clock, so tests can
// move time (tests/fakes/manual_clock.hpp). labctl/ builds the real one once (Seams::system())
// and passes it down; code below labctl/ uses the Clock it is handed, not system_clock().
class Clock {
 public:
  virtual ~Clock() = default;
  [[nodiscard]] virtual SystemTime now() const = 0;
  // Monotonic time for measuring durations and deadlines.
  [[nodiscard]] virtual std::chrono::steady_clock::time_point steady_now() const = 0;
  // Sleeps up to `duration`; returns early (false) if the teardown guard saw a signal.
  virtual bool sleep_for(std::chrono::milliseconds duration) = 0;
};

// The real clock. sleep_for wakes early when an interrupt is pending (see guard.hpp).
[[nodiscard]] std::shared_ptr<Clock> system_clock();

}  // namespace labctl
