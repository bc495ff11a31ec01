#include "faults/failover_timing.hpp"

#include <gtest/gtest.h>

#include "tests/fakes/manual_clock.hpp"

namespace labctl::faults {
namespace {

using namespace std::chrono_literals;

// Given a condition that holds on the third check, expect two sleeps of the poll interval and
// the time it held read from the clock (no real waiting).
TEST(PollUntil, ReturnsTheClockTimeTheConditionHeld) {
  testing::ManualClock clock;
  const auto start = clock.steady_now();
  int checks = 0;
  const auto held = poll_until([&] { return ++checks == 3; }, start + 10s, 250ms, clock);
  ASSERT_TRUE(held);
  EXPECT_EQ(*held, start + 500ms);
  EXPECT_EQ(checks, 3);
  EXPECT_EQ(clock.sleeps(), (std::vector<std::chrono::milliseconds>{250ms, 250ms}));
}

// Given a condition that never holds, expect polling to stop once the clock passes the
// deadline: a 1 s deadline polled every 250 ms sleeps four times.
TEST(PollUntil, GivesUpAtTheDeadline) {
  testing::ManualClock clock;
  const auto start = clock.steady_now();
  int checks = 0;
  const auto held = poll_until([&] { return ++checks < 0; }, start + 1s, 250ms, clock);
  EXPECT_FALSE(held);
  EXPECT_EQ(checks, 5);
  EXPECT_EQ(clock.sleeps().size(), 4u);
  EXPECT_EQ(clock.steady_now(), start + 1s);
}

// Given a condition that already holds, expect no sleep at all.
TEST(PollUntil, NoSleepWhenAlreadyReached) {
  testing::ManualClock clock;
  const auto held = poll_until([] { return true; }, clock.steady_now() + 1s, 250ms, clock);
  ASSERT_TRUE(held);
  EXPECT_TRUE(clock.sleeps().empty());
}

}  // namespace
}  // namespace labctl::faults
