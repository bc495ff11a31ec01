#include "providers/aws/token_bucket.hpp"

#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tests/unit/providers/aws/manual_clock.hpp"

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

// Given 4 threads taking 132 tags tokens together on the real clock, expect the shared bucket
// (burst 100, 10/s) to hold them to 32 / 10 = 3.2 s at least.
TEST(RateLimiter, IsSharedAcrossThreads) {
  const auto clock = system_clock();
  RateLimiter limiter;
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 33; ++i) EXPECT_TRUE(limiter.acquire(ApiCategory::tags, *clock));
    });
  }
  for (auto& thread : threads) thread.join();
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_GE(elapsed, milliseconds(3100));  // 132 tokens: 32 beyond the burst at 10/s
  EXPECT_LT(elapsed, milliseconds(6000));
}

TEST(RateLimiter, RegistryIsPerRegion) {
  EXPECT_EQ(region_rate_limiter("us-east-1"), region_rate_limiter("us-east-1"));
  EXPECT_NE(region_rate_limiter("us-east-1"), region_rate_limiter("eu-west-1"));
}

}  // namespace
}  // namespace labctl::providers::aws
