#pragma once

#include <array>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "core/clock.hpp"
#include "providers/aws/api_category.hpp"

namespace labctl::providers::aws {

// A token bucket that starts full. reserve() always takes a token, letting the level go
// negative, and returns how long the caller must wait before its token is "earned"; callers
// therefore queue in arrival order without holding a lock while they sleep. Not thread-safe on
// its own (RateLimiter locks).
class TokenBucket {
 public:
  explicit TokenBucket(BucketRate rate);
  [[nodiscard]] std::chrono::nanoseconds reserve(std::chrono::steady_clock::time_point now);
  [[nodiscard]] BucketRate rate() const { return m_rate; }

 private:
  BucketRate m_rate;
  double m_tokens;
  std::optional<std::chrono::steady_clock::time_point> m_last;
};

// One bucket per ApiCategory for one Region, seeded with documented_rate(). Thread-safe.
class RateLimiter {
 public:
  RateLimiter();
  // Takes a token from the category's bucket, sleeping on `clock` until it is available.
  // Returns false when the sleep was interrupted (a signal is pending).
  [[nodiscard]] bool acquire(ApiCategory category, Clock& clock);

 private:
  std::mutex m_mutex;
  std::array<TokenBucket, k_api_category_count> m_buckets;
};

// The process-wide limiter for `region`, shared by every client and thread, so labctl stays
// under the account's per-Region budget as a whole.
[[nodiscard]] std::shared_ptr<RateLimiter> region_rate_limiter(const std::string& region);

}  // namespace labctl::providers::aws
