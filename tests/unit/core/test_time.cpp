#include "core/time.hpp"

#include <gtest/gtest.h>

namespace labctl {
namespace {

TEST(Rfc3339, RoundTripsUtc) {
  const auto t = parse_rfc3339("2026-11-24T09:15:07Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(format_rfc3339(*t), "2026-11-24T09:15:07Z");
  EXPECT_EQ(format_compact_utc(*t), "20261124T091507Z");
  EXPECT_EQ(format_clock_utc(*t), "09:15:07Z");
}

TEST(Rfc3339, AppliesOffsetsAndFractions) {
  const auto offset = parse_rfc3339("2026-11-24T10:15:07+01:00");
  ASSERT_TRUE(offset);
  EXPECT_EQ(format_rfc3339(*offset), "2026-11-24T09:15:07Z");
  const auto fraction = parse_rfc3339("2026-11-24T09:15:07.250Z");
  ASSERT_TRUE(fraction);
  EXPECT_EQ(format_rfc3339_ms(*fraction), "2026-11-24T09:15:07.250Z");
}

TEST(Rfc3339, RejectsGarbage) {
  for (const char* bad : {"", "2026-11-24", "2026-13-01T00:00:00Z", "2026-11-24T09:15:07",
                          "tomorrow", "2026-11-24T09:15:07Zjunk", "2026-11-24T25:00:00Z"}) {
    EXPECT_FALSE(parse_rfc3339(bad)) << bad;
  }
}

// Given years a 64-bit nanosecond clock cannot hold (found by fuzz_duration: UB in from_time_t),
// expect no time rather than an overflow.
TEST(Rfc3339, RejectsYearsTheClockCannotHold) {
  for (const char* far : {"0226-11-24T09:15:00.123+02:00", "2881-01-01T00:00:00Z",
                          "9999-12-31T23:59:59Z", "0000-01-01T00:00:00Z", "1677-09-21T00:12:43Z"}) {
    EXPECT_FALSE(parse_rfc3339(far)) << far;
  }
  EXPECT_TRUE(parse_rfc3339("2200-12-31T23:59:59Z"));
  EXPECT_TRUE(parse_rfc3339("1970-01-01T00:00:00Z"));
}

}  // namespace
}  // namespace labctl
