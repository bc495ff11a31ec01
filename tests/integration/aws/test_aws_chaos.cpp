// Chaos, end to end (issue 17): the EC2 fake's seeded chaos mode injects throttles, 5xx, lost
// answers, short stalls, non-UTF-8 errors and answers without ids into whole
// up -> failover -> down -> down --expired loops. After each loop, with the endpoint healed and
// one more `down --run-id`: nothing tagged remains, the state passes PRAGMA integrity_check, and
// every command ended with a documented exit code (0-4), never a crash signal.

#include <set>
#include <thread>

#include "tests/integration/aws/ec2_fake_fixture.hpp"

namespace labctl::testing {
namespace {

constexpr int k_loops = 5;

class AwsChaos : public Ec2FakeTest {
 protected:
  [[nodiscard]] std::string sql(const std::string& query) const {
    const auto out =
        run_command({"/usr/bin/python3", "-c",
                     "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); "
                     "print('\\n'.join(str(r[0]) for r in c.execute(sys.argv[2]).fetchall()))",
                     (state_dir / "state.db").string(), query},
                    {}, tmp.path());
    EXPECT_EQ(out.code, 0) << out.err;
    return out.out;
  }
  [[nodiscard]] std::vector<std::string> run_ids() const {
    std::vector<std::string> ids;
    std::string text = sql("SELECT run_id FROM runs");
    for (std::size_t start = 0, end; start < text.size(); start = end + 1) {
      end = text.find('\n', start);
      if (end == std::string::npos) end = text.size();
      if (end > start) ids.push_back(text.substr(start, end - start));
    }
    return ids;
  }
  [[nodiscard]] std::size_t anything_tagged() const {
    std::size_t n = 0;
    for (const auto& run_id : run_ids()) n += tagged(run_id).size();
    return n;
  }
};

void expect_documented(const CommandOutput& out, const std::string& what) {
  EXPECT_GE(out.code, 0) << what << ": " << out.err;
  EXPECT_LE(out.code, 4) << what << ": " << out.err;
  EXPECT_EQ(out.err.find("terminate called"), std::string::npos) << what << ": " << out.err;
}

// Given k_loops seeded chaos loops, expect after each: nothing tagged left, an intact state,
// documented exit codes only.
TEST_F(AwsChaos, SeededLoopsLeaveNothingBehind) {
  const std::map<std::string, std::string> bounds{{"CE_AWS_STALL_TIMEOUT", "1"},
                                                  {"CE_AWS_DEPENDENCY_RETRIES", "4"},
                                                  {"CE_AWS_COMMAND_TIMEOUT", "60"},
                                                  {"CE_JANITOR_TIMEOUT", "60"}};
  for (int seed = 1; seed <= k_loops; ++seed) {
    SCOPED_TRACE("chaos seed " + std::to_string(seed));
    (void)fake_post("/_fake/chaos", {{"seed", seed}, {"rate", 0.15}, {"stall_seconds", 2}});
    const auto up =
        live({"up", "--profile", "provider", "--provider", "aws", "--ttl", "2s"}, bounds);
    expect_documented(up, "up");
    const std::string run_id = up.code == 0 ? up.out.substr(0, up.out.find('\n')) : "";
    if (!run_id.empty()) {
      expect_documented(
          live({"failover", "--provider", "aws", "--fault", "stop-active", "--run-id", run_id},
               bounds),
          "failover");
      expect_documented(live({"down", "--run-id", run_id}, bounds), "down");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2100));
    expect_documented(live({"down", "--expired"}, bounds), "down --expired");

    // Healed: whatever chaos left is recorded (or tagged), so one more down removes it.
    (void)fake_post("/_fake/chaos", {{"rate", 0}});
    for (const auto& id : run_ids()) {
      const auto heal = live({"down", "--run-id", id});
      EXPECT_EQ(heal.code, 0) << id << ": " << heal.err;
    }
    EXPECT_EQ(anything_tagged(), 0U);
    EXPECT_EQ(sql("PRAGMA integrity_check"), "ok\n");
  }
  // The loops were chaotic: the fake injected errors of several kinds.
  std::set<std::string> injected;
  for (const auto& call : call_log()) {
    const auto code = call.value("error_code", nlohmann::json()).is_string()
                          ? call["error_code"].get<std::string>()
                          : std::string();
    if (code == "RequestLimitExceeded" || code == "InternalError" || code == "InjectedRawAnswer") {
      injected.insert(code);
    }
  }
  EXPECT_GE(injected.size(), 2U) << "chaos injected too little to test anything";
}

}  // namespace
}  // namespace labctl::testing
