// SIGKILL at each point of an aws `up`, then `down --run-id`. Its own executable: the kill-point
// tests run once, in the optimized build (label release-only, scripts/test.sh).
#include <csignal>

#include "tests/integration/aws/ec2_fake_fixture.hpp"

namespace labctl::testing {
namespace {

// The call the fake has carried out but not yet answered when labctl is killed; empty: kill
// right after `up` finished.
struct KillPoint {
  const char* action;
};

// The call's name, not the parameter's bytes, in test listings (ctest shows GetParam()).
void PrintTo(const KillPoint& point, std::ostream* out) {
  *out << (*point.action != '\0' ? point.action : "AfterUp");
}

class AwsSigkill : public Ec2FakeTest, public ::testing::WithParamInterface<KillPoint> {};

// Given `up` killed with SIGKILL while the fake holds a call, expect `down --run-id` to leave
// zero resources in the fake.
TEST_P(AwsSigkill, DownRunIdCleansEverything) {
  const std::string action = GetParam().action;
  if (!action.empty()) {
    fake_post("/_fake/faults", {{"action", action}, {"kind", "hang"}, {"count", 1},
                                {"hang_seconds", 20}, {"when", "after"}});
  }
  auto up = spawn_live({"up", "--profile", "provider", "--provider", "aws"});
  if (action.empty()) {
    ASSERT_EQ(up->wait(), 0) << up->err();
  } else {
    ASSERT_TRUE(eventually([&] { return calls(action) >= 1; }, std::chrono::seconds(60)))
        << up->err();
  }
  up->signal(SIGKILL);
  (void)up->wait();
  fake_post("/_fake/faults/clear", nlohmann::json::object());
  const auto runs = nlohmann::json::parse(labctl({"runs", "list", "--json"}).out);
  ASSERT_EQ(runs.size(), 1u);
  const std::string run_id = runs[0]["runId"];
  const auto down = live({"down", "--run-id", run_id});
  EXPECT_EQ(down.code, 0) << down.err;
  EXPECT_EQ(tagged(run_id), std::vector<std::string>{});
}

INSTANTIATE_TEST_SUITE_P(
    Points, AwsSigkill,
    ::testing::Values(KillPoint{"CreateKeyPair"},        // after the key pair
                      KillPoint{"CreateSecurityGroup"},  // after the SG
                      KillPoint{"RunInstances"},         // during RunInstances
                      KillPoint{"DescribeInstances"},    // during the wait
                      KillPoint{""}));                   // just after up

}  // namespace
}  // namespace labctl::testing
