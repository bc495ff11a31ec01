#include "core/duration.hpp"

#include <gtest/gtest.h>

namespace labctl {
namespace {

using std::chrono::seconds;

struct Accepted {
  const char* text;
  long long seconds;
};

class DurationAccepts : public ::testing::TestWithParam<Accepted> {};

TEST_P(DurationAccepts, ParsesToSeconds) {
  const auto parsed = parse_duration(GetParam().text);
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->count(), GetParam().seconds);
}

INSTANTIATE_TEST_SUITE_P(Table, DurationAccepts,
                         ::testing::Values(Accepted{"90", 90}, Accepted{"45s", 45},
                                           Accepted{"90m", 5400}, Accepted{"4h", 14400},
                                           Accepted{"2d", 172800}, Accepted{"1h30m", 5400},
                                           Accepted{"2d12h", 216000}, Accepted{"30m1h", 5400},
                                           Accepted{"1d2h3m4s", 93784}, Accepted{" 4h ", 14400}));

class DurationRejects : public ::testing::TestWithParam<const char*> {};

TEST_P(DurationRejects, IsUsageErrorQuotingInput) {
  const auto parsed = parse_duration(GetParam());
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().code, ExitCode::usage);
  EXPECT_NE(parsed.error().message.find(GetParam()), std::string::npos) << parsed.error().message;
}

INSTANTIATE_TEST_SUITE_P(Table, DurationRejects,
                         ::testing::Values("", "0", "0h", "0h0m", "-1h", "-5", "4x", "h", "1.5h",
                                           "1h30", "1h1h", "4 h", "99999999999999999999",
                                           "876001h", "abc", "1hh"));

TEST(FormatDuration, ShortestCompound) {
  EXPECT_EQ(format_duration(seconds(5400)), "1h30m");
  EXPECT_EQ(format_duration(seconds(172800)), "2d");
  EXPECT_EQ(format_duration(seconds(61)), "1m1s");
  EXPECT_EQ(format_duration(seconds(0)), "0s");
}

}  // namespace
}  // namespace labctl
