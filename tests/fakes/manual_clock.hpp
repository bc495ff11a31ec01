#pragma once

#include <chrono>
#include <mutex>
#include <vector>

#include "core/clock.hpp"

namespace labctl::testing {

// The fake beside core/clock.hpp's system clock: time moves only when the test calls advance()
// or when the code under test sleeps (sleep_for returns at once, having moved time by the
// duration); every sleep is recorded so tests can assert on the waits the code chose.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(SystemTime start = SystemTime(std::chrono::seconds(1'790'000'000)))
      : m_now(start) {}

  [[nodiscard]] SystemTime now() const override {
    const std::lock_guard lock(m_mutex);
    return m_now;
  }
  [[nodiscard]] std::chrono::steady_clock::time_point steady_now() const override {
    const std::lock_guard lock(m_mutex);
    return std::chrono::steady_clock::time_point(m_now.time_since_epoch());
  }
  bool sleep_for(std::chrono::milliseconds duration) override {
    const std::lock_guard lock(m_mutex);
    m_sleeps.push_back(duration);
    m_now += duration;
    return true;
  }
  void advance(std::chrono::milliseconds duration) {
    const std::lock_guard lock(m_mutex);
    m_now += duration;
  }
  [[nodiscard]] std::vector<std::chrono::milliseconds> sleeps() const {
    const std::lock_guard lock(m_mutex);
    return m_sleeps;
  }

 private:
  mutable std::mutex m_mutex;
  SystemTime m_now;
  std::vector<std::chrono::milliseconds> m_sleeps;
};

}  // namespace labctl::testing
