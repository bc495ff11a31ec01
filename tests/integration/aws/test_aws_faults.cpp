#include "tests/integration/aws/ec2_fake_fixture.hpp"

namespace labctl::testing {
namespace {

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

// Given a run whose state points at an instance that does not carry the run's tag, expect
// down to refuse it (exit 4) and leave it running.
TEST_F(Ec2FakeTest, TagFenceRefusesAnUntaggedInstance) {
  const auto up = live({"up", "--profile", "provider", "--provider", "aws"});
  ASSERT_EQ(up.code, 0) << up.err;
  const std::string run_id = first_line(up.out);
  const auto seeded = fake_post("/_fake/seed", {{"region", "us-east-1"},
                                                {"instances", {{{"count", 1}}}}});
  const std::string foreign = seeded["created"]["us-east-1"]["instances"][0];
  // Point the run's router-a row at the foreign instance, as a corrupted state would.
  const auto script = "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); "
                      "c.execute(\"UPDATE resources SET cloud_id=? WHERE kind='instance' AND "
                      "name='aws-router-a'\", (sys.argv[2],)); c.commit()";
  ASSERT_EQ(run_command({"/usr/bin/python3", "-c", script, (state_dir / "state.db").string(),
                         foreign},
                        {}, tmp.path())
                .code,
            0);
  const auto down = live({"down", "--run-id", run_id});
  EXPECT_EQ(down.code, 4) << down.err;
  EXPECT_NE(down.err.find("refused: " + foreign), std::string::npos) << down.err;
  bool still_running = false;
  for (const auto& i : instances()) {
    if (i.value("InstanceId", "") == foreign) still_running = i["State"]["Name"] == "running";
  }
  EXPECT_TRUE(still_running) << "labctl touched an instance that is not the run's";
}

TEST_F(Ec2FakeTest, FailoverStopActiveStopsRouterA) {
  const auto up = live({"up", "--profile", "provider", "--provider", "aws"});
  ASSERT_EQ(up.code, 0) << up.err;
  const std::string run_id = first_line(up.out);
  const auto failover =
      live({"failover", "--provider", "aws", "--fault", "stop-active", "--run-id", run_id});
  ASSERT_EQ(failover.code, 0) << failover.err;
  for (const auto& i : instances()) {
    if (i["tags"].value("routerd.cloudedge.run_id", "") != run_id) continue;
    const std::string role = i["tags"].value("role", "");
    EXPECT_EQ(i["State"]["Name"], role == "router-a" ? "stopped" : "running") << role;
  }
  bool recorded = false;
  const auto run = show(run_id);
  for (const auto& e : run["events"]) {
    recorded = recorded || (e["kind"] == "failover" && e["detail"]["result"] == "injected");
  }
  EXPECT_TRUE(recorded) << run["events"].dump();
  EXPECT_EQ(live({"down", "--run-id", run_id}).code, 0);
  EXPECT_EQ(tagged(run_id), std::vector<std::string>{});
}

}  // namespace
}  // namespace labctl::testing
