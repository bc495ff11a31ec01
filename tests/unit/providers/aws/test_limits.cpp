#include "providers/aws/limits.hpp"

#include <gtest/gtest.h>

#include "tests/fakes/env_map.hpp"

namespace labctl::providers::aws {
namespace {

using std::chrono::seconds;
using testing::env_map;

TEST(AwsLimits, DefaultsWhenUnset) {
  const auto limits = aws_limits_from_env(env_map({}));
  ASSERT_TRUE(limits.has_value());
  EXPECT_EQ(limits->request_timeout, seconds(30));
  EXPECT_EQ(limits->stall_timeout, seconds(15));
  EXPECT_EQ(limits->wait_timeout, seconds(600));
  EXPECT_EQ(limits->command_timeout, seconds(1800));
  EXPECT_EQ(limits->janitor_timeout, seconds(3600));
  EXPECT_EQ(limits->dependency_retries, 8);
}

TEST(AwsLimits, OverridesInWholeSeconds) {
  const auto limits = aws_limits_from_env(env_map({{"CE_AWS_STALL_TIMEOUT", "2"},
                                                   {"CE_AWS_COMMAND_TIMEOUT", "90"},
                                                   {"CE_JANITOR_TIMEOUT", "86400"},
                                                   {"CE_AWS_DEPENDENCY_RETRIES", "1"}}));
  ASSERT_TRUE(limits.has_value());
  EXPECT_EQ(limits->stall_timeout, seconds(2));
  EXPECT_EQ(limits->command_timeout, seconds(90));
  EXPECT_EQ(limits->janitor_timeout, seconds(86400));
  EXPECT_EQ(limits->dependency_retries, 1);
}

// Given values that are not whole numbers in range (text, zero, negative, fractions, overflow,
// spaces, beyond a day, control bytes), expect a usage error naming the variable.
TEST(AwsLimits, BadValuesAreUsageErrorsNamingTheVariable) {
  for (const char* name : {"CE_AWS_REQUEST_TIMEOUT", "CE_AWS_STALL_TIMEOUT", "CE_AWS_WAIT_TIMEOUT",
                           "CE_AWS_COMMAND_TIMEOUT", "CE_JANITOR_TIMEOUT"}) {
    for (const char* value : {"banana", "0", "-1", "1.5", "1e3", "99999999999999999999", " 5", "5s",
                              "86401", "\x1b[2J"}) {
      const auto limits = aws_limits_from_env(env_map({{name, value}}));
      ASSERT_FALSE(limits.has_value()) << name << "=" << value;
      EXPECT_EQ(limits.error().code, ExitCode::usage);
      EXPECT_NE(limits.error().message.find(name), std::string::npos);
      EXPECT_EQ(limits.error().message.find('\x1b'), std::string::npos);
    }
  }
  EXPECT_FALSE(aws_limits_from_env(env_map({{"CE_AWS_DEPENDENCY_RETRIES", "0"}})).has_value());
}

TEST(CloudDeadline, EarliestBoundDecides) {
  CloudDeadline deadline("AWS", "CE_AWS_COMMAND_TIMEOUT");
  EXPECT_FALSE(deadline.at().has_value());
  const auto t0 = std::chrono::steady_clock::time_point(seconds(1000));
  deadline.arm_phase(t0 + seconds(30), seconds(30));
  EXPECT_EQ(deadline.at(), t0 + seconds(30));
  EXPECT_NE(deadline.describe().find("CE_AWS_COMMAND_TIMEOUT=30 s"), std::string::npos);
  deadline.arm_hard(t0 + seconds(10), seconds(10));
  EXPECT_EQ(deadline.at(), t0 + seconds(10));
  EXPECT_NE(deadline.describe().find("CE_JANITOR_TIMEOUT=10 s"), std::string::npos);
  deadline.arm_hard(t0 + seconds(500), seconds(500));  // never extends
  EXPECT_EQ(deadline.at(), t0 + seconds(10));
  deadline.arm_phase(t0 + seconds(5), seconds(5));  // a phase may end first
  EXPECT_EQ(deadline.at(), t0 + seconds(5));
}

}  // namespace
}  // namespace labctl::providers::aws
