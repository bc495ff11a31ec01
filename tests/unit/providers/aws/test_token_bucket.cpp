#include "providers/aws/token_bucket.hpp"

#include <algorithm>
#include <mutex>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tests/fakes/manual_clock.hpp"

namespace labctl::providers::aws {
namespace {

using std::chrono::milliseconds;

TEST(TokenBucket, BurstThenRefillRate) {
  TokenBucket bucket({5, 2});
  const auto start = std::chrono::steady_clock::time_point(std::chrono::seconds(100));
  for (int i = 0; i < 5; ++i) EXPECT_EQ(bucket.reserve(start).count(), 0) << i;
  // The sixth and seventh callers queue: 0.5 s and 1 s at 2 tokens/s.
  EXPECT_EQ(bucket.reserve(start), milliseconds(500));
  EXPECT_EQ(bucket.reserve(start), milliseconds(1000));
  // Two seconds later the debt (2) is repaid and 2 more tokens earned, never above capacity.
  const auto later = start + std::chrono::seconds(2);
  EXPECT_EQ(bucket.reserve(later).count(), 0);
  EXPECT_EQ(bucket.reserve(later).count(), 0);
  EXPECT_EQ(bucket.reserve(later), milliseconds(500));
}

TEST(TokenBucket, RefillIsCappedAtCapacity) {
  TokenBucket bucket({5, 2});
  const auto start = std::chrono::steady_clock::time_point(std::chrono::seconds(100));
  (void)bucket.reserve(start);
  const auto much_later = start + std::chrono::hours(1);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(bucket.reserve(much_later).count(), 0);
  EXPECT_GT(bucket.reserve(much_later).count(), 0);
}

// Given 25 RunInstances through a limiter on a manual clock, expect the clock to advance by
// exactly (25 - 5 burst) / 2 per second = 10 s: the documented rate, observed via sleeps.
TEST(RateLimiter, WaitsOnTheClockAtTheDocumentedRate) {
  testing::ManualClock clock;
  RateLimiter limiter;
  const auto start = clock.steady_now();
  for (int i = 0; i < 25; ++i) ASSERT_TRUE(limiter.acquire(ApiCategory::run_instances, clock));
  EXPECT_EQ(clock.steady_now() - start, std::chrono::seconds(10));
  EXPECT_EQ(clock.sleeps().size(), 20U);
  // Other categories have their own buckets: a describe does not wait.
  const auto before = clock.steady_now();
  ASSERT_TRUE(limiter.acquire(ApiCategory::non_mutating, clock));
  EXPECT_EQ(clock.steady_now(), before);
}

// A clock frozen at one instant that records the waits asked of it: concurrent callers all
// reserve "at the same time", so the waits they are handed show how the bucket was shared,
// whatever the threads' interleaving and however slow the machine.
class FrozenClock final : public Clock {
 public:
  [[nodiscard]] SystemTime now() const override { return SystemTime(std::chrono::seconds(0)); }
  [[nodiscard]] std::chrono::steady_clock::time_point steady_now() const override {
    return std::chrono::steady_clock::time_point(std::chrono::seconds(100));
  }
  bool sleep_for(milliseconds duration) override {
    const std::lock_guard lock(m_mutex);
    m_sleeps.push_back(duration);
    return true;
  }
  [[nodiscard]] std::vector<milliseconds> sleeps() const {
    const std::lock_guard lock(m_mutex);
    return m_sleeps;
  }

 private:
  mutable std::mutex m_mutex;
  std::vector<milliseconds> m_sleeps;
};

// Given 4 threads taking 132 tags tokens together from one limiter (burst 100, 10/s), expect
// one shared queue: exactly the 32 tokens beyond the burst wait, for 100, 200, ... 3200 ms.
// Separate buckets per thread (33 each, under the burst) would make nobody wait.
TEST(RateLimiter, IsSharedAcrossThreads) {
  FrozenClock clock;
  RateLimiter limiter;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 33; ++i) EXPECT_TRUE(limiter.acquire(ApiCategory::tags, clock));
    });
  }
  for (auto& thread : threads) thread.join();
  auto sleeps = clock.sleeps();
  std::ranges::sort(sleeps);
  ASSERT_EQ(sleeps.size(), 32U);
  for (std::size_t k = 0; k < sleeps.size(); ++k) {
    EXPECT_EQ(sleeps[k], milliseconds(100 * static_cast<long>(k + 1))) << k;
  }
}

TEST(RateLimiter, RegistryIsPerRegion) {
  EXPECT_EQ(region_rate_limiter("us-east-1"), region_rate_limiter("us-east-1"));
  EXPECT_NE(region_rate_limiter("us-east-1"), region_rate_limiter("eu-west-1"));
}

}  // namespace
}  // namespace labctl::providers::aws
