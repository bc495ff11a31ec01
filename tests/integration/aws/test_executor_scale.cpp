// The executor's import at scale against the EC2 fake: a 20,000-row plan imported whole, and
// killed mid-import leaving all or nothing. Its own executable: the scale and kill-point tests
// run once, in the optimized build (label release-only, scripts/test.sh).
#include <chrono>
#include <csignal>
#include <thread>

#include "tests/integration/aws/executor_fixture.hpp"

namespace labctl::testing {
namespace {

// Given a 20,000-row plan, expect it imported whole with one probe per ENI (one transaction,
// prepared statements: ~1.5 s in a release build); given another plan whose last row is bad, expect none of its rows stored.
TEST_F(ExecutorTest, LargePlanImportsFastAndWhole) {
  const auto lab = up_lab();
  const auto file = tmp.path() / "big.json";
  write_text(file, big_plan(lab.run_id, lab.eni_a, 20000, "big").dump(2));
  const auto describes = calls("DescribeNetworkInterfaces");
  // Speed is asserted by what makes it (one probe per ENI and action, one transaction), not by a
  // wall-clock bound that would flake under ASan on two cores.
  const auto imported = run({"action", "import", file.string(), "--json"});
  ASSERT_EQ(imported.code, 0) << imported.err.substr(0, 2000);
  EXPECT_LE(calls("DescribeNetworkInterfaces") - describes, 2U) << "one probe per ENI and action";
  EXPECT_EQ(nlohmann::json::parse(imported.out).size(), 20000U);
  EXPECT_EQ(journal_rows(lab.run_id).size(), 20000U);

  auto bad = big_plan(lab.run_id, lab.eni_a, 5000, "bad");
  bad["actions"].back()["spec"]["parameters"]["ownershipEpoch"] = "1";
  write_text(file, bad.dump());
  const auto refused = run({"action", "import", file.string()});
  EXPECT_EQ(refused.code, 2) << refused.err;
  EXPECT_TRUE(contains(refused.err, "actions[4999]")) << refused.err;
  EXPECT_EQ(journal_rows(lab.run_id).size(), 20000U);
}

// Given a 20,000-row import killed (SIGKILL) at moments spread over its run (parse, probe, the
// write, after it), expect the journal to hold all of its rows or none — never part of the plan.
TEST_F(ExecutorTest, AKilledImportLeavesAllOrNothing) {
  const auto lab = up_lab();
  const auto file = tmp.path() / "big.json";
  int killed = 0;
  for (int delay_ms = 300; delay_ms <= 1800; delay_ms += 250) {
    write_text(file, big_plan(lab.run_id, lab.eni_a, 20000, "kill" + std::to_string(delay_ms))
                         .dump());
    const auto before = journal_count(lab.run_id);
    auto import = spawn_live({"action", "import", file.string()});
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    import->signal(SIGKILL);
    const int code = import->wait();
    if (code == 128 + SIGKILL) ++killed;
    const auto stored = journal_count(lab.run_id) - before;
    EXPECT_TRUE(stored == 0 || stored == 20000U)
        << "killed after " << delay_ms << " ms (exit " << code << "): " << stored
        << " of 20000 rows stored";
  }
  EXPECT_GT(killed, 0) << "no import was killed mid-way; the test checked nothing";
}

}  // namespace
}  // namespace labctl::testing
