#include "evidence/lifecycle.hpp"

#include <gtest/gtest.h>

namespace labctl::evidence {
namespace {

using nlohmann::json;

json event(const std::string& ts, const std::string& kind, json detail) {
  return {{"ts", ts}, {"kind", kind}, {"detail", std::move(detail)}};
}

// The events a live run leaves from up to down (as up, deploy, smoke, failover and down record
// them), in order.
json live_run_events() {
  const json timing = {
      {"status", "pass"},
      {"thresholdSeconds", 60},
      {"events",
       {{{"provider", "local"},
         {"fault", "stop-active"},
         {"detectionSeconds", 1.25},
         {"switchoverSeconds", 0.5},
         {"recoverySeconds", 2.75},
         {"recoveryUnderThreshold", "pass"}}}}};
  return json::array(
      {event("2026-06-01T00:00:06.000Z", "up", {{"result", "completed"}, {"infraProvisionSeconds", 6.5}}),
       event("2026-06-01T00:00:10.000Z", "deploy",
             {{"node", "router-a"}, {"site", "onprem"}, {"result", "pass"}, {"seconds", 3.0}}),
       event("2026-06-01T00:00:10.100Z", "deploy",
             {{"node", "router-b"}, {"site", "aws"}, {"result", "pass"}, {"seconds", 4.5}}),
       event("2026-06-01T00:00:10.200Z", "deploy",
             {{"kind", "summary"}, {"result", "pass"}, {"summary", {{"total", 2}, {"passed", 2}}},
              {"artifact", "routerd"}}),
       event("2026-06-01T00:00:12.000Z", "smoke",
             {{"phase", "before"}, {"total", 12}, {"passed", 12}, {"result", "pass"},
              {"elapsedSeconds", 1.1}}),
       event("2026-06-01T00:00:15.000Z", "failover",
             {{"provider", "local"}, {"fault", "stop-active"}, {"result", "injected"},
              {"timing", timing}}),
       event("2026-06-01T00:00:20.000Z", "down",
             {{"result", "completed"}, {"deleted", 14}, {"discovered", 0}, {"seconds", 3.25}})});
}

// Given a live run's events, expect one step per up, deploy, smoke, failover and down, each
// with the duration its event recorded (a deploy's slowest node).
TEST(Lifecycle, StepsOfALiveRun) {
  const auto steps = lifecycle_steps(live_run_events());
  ASSERT_EQ(steps.size(), 5u);
  EXPECT_EQ(steps[0].step, "up");
  EXPECT_DOUBLE_EQ(steps[0].seconds.value_or(-1), 6.5);
  EXPECT_EQ(steps[1].step, "deploy");
  EXPECT_DOUBLE_EQ(steps[1].seconds.value_or(-1), 4.5);
  EXPECT_EQ(steps[1].summary, "deploy pass: 2/2 nodes, artifact routerd");
  EXPECT_EQ(steps[2].summary, "smoke before: 12/12 flows passed in 1.10 s (pass)");
  EXPECT_EQ(steps[3].result, "pass");
  EXPECT_EQ(steps[3].summary,
            "failover stop-active on local measured: detection 1.25 s, switchover 0.50 s, "
            "recovery 2.75 s (pass)");
  EXPECT_EQ(steps[4].step, "down");
  EXPECT_EQ(steps[4].ts, "2026-06-01T00:00:20.000Z");
  EXPECT_DOUBLE_EQ(steps[4].seconds.value_or(-1), 3.25);
  EXPECT_EQ(steps[4].summary, "teardown completed: 14 resource(s) confirmed deleted");
  EXPECT_DOUBLE_EQ(last_passing_seconds(steps, "up").value_or(-1), 6.5);
  EXPECT_DOUBLE_EQ(last_passing_seconds(steps, "deploy").value_or(-1), 4.5);
}

// Given failed steps, expect them marked fail with their error, and no qualification time taken
// from them.
TEST(Lifecycle, FailuresAreShownAndNotTimed) {
  const json events = json::array(
      {event("t1", "up", {{"result", "planned"}, {"dry_run", true}}),
       event("t2", "deploy",
             {{"node", "r"}, {"site", "s"}, {"result", "fail"}, {"step", "install"},
              {"error", "exit 3"}, {"seconds", 2.0}}),
       event("t3", "deploy", {{"kind", "summary"}, {"result", "fail"}}),
       event("t4", "down", {{"result", "failed"}, {"errors", {"aws: 2 left", "x"}}})});
  const auto steps = lifecycle_steps(events);
  ASSERT_EQ(steps.size(), 3u);
  EXPECT_EQ(steps[0].result, "skip");
  EXPECT_EQ(steps[0].summary, "dry run: planned, nothing created");
  EXPECT_EQ(steps[1].result, "fail");
  EXPECT_EQ(steps[2].summary, "teardown failed: aws: 2 left (and 1 more)");
  EXPECT_FALSE(last_passing_seconds(steps, "deploy").has_value());
  EXPECT_FALSE(last_passing_seconds(steps, "up").has_value());
  EXPECT_EQ(event_summary("deploy", events[1]["detail"]),
            "node r (s): fail in 2.00 s at step install: exit 3");
}

// Given events of odd shape or hostile text, expect no crash and one printable line.
TEST(Lifecycle, OddEventsStayOneLine) {
  EXPECT_EQ(event_summary("smoke", json("not an object")), "smoke matrix: ?/? flows passed (?)");
  EXPECT_EQ(event_summary("custom", {{"a", 1}, {"b", "x\ny"}, {"nested", {{"c", 2}}}}),
            "a=1, b=x\\ny");
  EXPECT_LE(event_summary("custom", {{"a", std::string(5000, 'x')}}).size(), 300u + 3u);
  EXPECT_TRUE(lifecycle_steps(json::object()).empty());
  EXPECT_TRUE(lifecycle_steps(json::array({json(1), event("t", "smoke", json())})).size() == 1);
}

TEST(Lifecycle, SecondsText) {
  EXPECT_EQ(seconds_text(0.25), "0.25 s");
  EXPECT_EQ(seconds_text(12.54), "12.5 s");
  EXPECT_EQ(fixed(4, 1), "4.0");
}

}  // namespace
}  // namespace labctl::evidence
