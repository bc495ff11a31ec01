#include "providers/aws/token_bucket.hpp"

#include <algorithm>
#include <map>

namespace labctl::providers::aws {

namespace {

template <std::size_t... I>
std::array<TokenBucket, sizeof...(I)> seeded_buckets(std::index_sequence<I...>) {
  return {TokenBucket(documented_rate(static_cast<ApiCategory>(I)))...};
}

}  // namespace

TokenBucket::TokenBucket(BucketRate rate) : m_rate(rate), m_tokens(rate.capacity) {}

std::chrono::nanoseconds TokenBucket::reserve(std::chrono::steady_clock::time_point now) {
  if (m_last && now > *m_last) {
    const std::chrono::duration<double> elapsed = now - *m_last;
    m_tokens = std::min(m_rate.capacity, m_tokens + elapsed.count() * m_rate.refill_per_second);
  }
  if (!m_last || now > *m_last) m_last = now;
  m_tokens -= 1.0;
  if (m_tokens >= 0.0) return std::chrono::nanoseconds(0);
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
      std::chrono::duration<double>(-m_tokens / m_rate.refill_per_second));
}

RateLimiter::RateLimiter()
    : m_buckets(seeded_buckets(std::make_index_sequence<k_api_category_count>())) {}

bool RateLimiter::acquire(ApiCategory category, Clock& clock) {
  std::chrono::nanoseconds wait{};
  {
    const std::lock_guard lock(m_mutex);
    wait = m_buckets.at(static_cast<std::size_t>(category)).reserve(clock.steady_now());
  }
  if (wait <= std::chrono::nanoseconds(0)) return true;
  // Round up: sleeping a little long keeps the rate under the limit, a little short does not.
  return clock.sleep_for(std::chrono::ceil<std::chrono::milliseconds>(wait));
}

std::shared_ptr<RateLimiter> region_rate_limiter(const std::string& region) {
  static std::mutex mutex;
  static std::map<std::string, std::shared_ptr<RateLimiter>> limiters;
  const std::lock_guard lock(mutex);
  auto& limiter = limiters[region];
  if (!limiter) limiter = std::make_shared<RateLimiter>();
  return limiter;
}

}  // namespace labctl::providers::aws
