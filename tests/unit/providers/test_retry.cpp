#include "providers/retry.hpp"

#include <gtest/gtest.h>

#include "tests/fakes/env_map.hpp"

namespace labctl::providers {
namespace {

using std::chrono::milliseconds;
using testing::env_map;

TEST(Retry, CeilingDoublesUpToTheCap) {
  const RetryPolicy policy{5, milliseconds(100), milliseconds(1000)};
  EXPECT_EQ(backoff_ceiling(policy, 1), milliseconds(100));
  EXPECT_EQ(backoff_ceiling(policy, 2), milliseconds(200));
  EXPECT_EQ(backoff_ceiling(policy, 4), milliseconds(800));
  EXPECT_EQ(backoff_ceiling(policy, 5), milliseconds(1000));
  EXPECT_EQ(backoff_ceiling(policy, 1000), milliseconds(1000));
}

// Given random draws across [0, 1), expect full jitter: every delay within [0, ceiling].
TEST(Retry, FullJitterStaysWithinBounds) {
  const RetryPolicy policy{5, milliseconds(100), milliseconds(1000)};
  for (int retry = 1; retry <= 8; ++retry) {
    EXPECT_EQ(backoff_delay(policy, retry, 0.0), milliseconds(0));
    for (const double r : {0.1, 0.5, 0.999}) {
      const auto delay = backoff_delay(policy, retry, r);
      EXPECT_GE(delay, milliseconds(0));
      EXPECT_LE(delay, backoff_ceiling(policy, retry));
    }
  }
  EXPECT_EQ(backoff_delay(policy, 3, 0.5), milliseconds(200));
}

TEST(Retry, MaxAttemptsFromEnvironment) {
  EXPECT_EQ(retry_policy_from_env(env_map({}), "CE_AWS_MAX_ATTEMPTS")->max_attempts, 5);
  EXPECT_EQ(retry_policy_from_env(env_map({{"CE_AWS_MAX_ATTEMPTS", "3"}}), "CE_AWS_MAX_ATTEMPTS")->max_attempts, 3);
  for (const char* bad : {"0", "x", "3x", "21", "-1"}) {
    const auto policy = retry_policy_from_env(env_map({{"CE_AWS_MAX_ATTEMPTS", bad}}), "CE_AWS_MAX_ATTEMPTS");
    ASSERT_FALSE(policy.has_value()) << bad;
    EXPECT_NE(policy.error().message.find("CE_AWS_MAX_ATTEMPTS"), std::string::npos);
    EXPECT_EQ(policy.error().code, ExitCode::usage);
  }
}

}  // namespace
}  // namespace labctl::providers
