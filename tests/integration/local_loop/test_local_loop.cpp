#include <csignal>
#include <thread>

#include "tests/support/labctl_fixture.hpp"

namespace labctl::testing {
namespace {

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

class LocalLoop : public LifecycleTest {
 protected:
  void SetUp() override {
    LifecycleTest::SetUp();
    if (::geteuid() != 0) GTEST_SKIP() << "the local lab needs root";
    meta_dir = tmp.path() / "meta";
  }

  std::map<std::string, std::string> live_env() const {
    return {{"CE_DRY_RUN", "0"}, {"LABCTL_LOCAL_META_DIR", meta_dir.string()}};
  }

  // A process that exists and is not a zombie waiting for init to reap it.
  static bool running(const std::string& pid) {
    const std::string stat = read_text("/proc/" + pid + "/stat");
    const auto paren = stat.rfind(')');
    return paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] != 'Z';
  }

  // Everything on the host that carries the lab's name: namespaces, processes, metadata files.
  std::string traces(const std::string& run_id) const {
    std::string text = run_command({"/usr/sbin/ip", "netns", "list"}, {}, tmp.path()).out;
    std::string found;
    const auto run = show(run_id);
    for (const auto& r : run["resources"]) {
      const std::string id = r.value("cloudId", "");
      if (r["kind"] == "netns" && text.find(id) != std::string::npos) found += "netns " + id + "\n";
      if (r["kind"] == "process" && !id.empty() && running(id)) found += "process " + id + "\n";
    }
    for (const auto& entry : std::filesystem::directory_iterator(meta_dir)) {
      found += "file " + entry.path().string() + "\n";
    }
    return found;
  }

  std::filesystem::path meta_dir;
};

// Given a fresh 4-site local lab, expect 12/12 flows, a measured stop-active recovery under the
// threshold, 12/12 again, passing evidence with failover_recovery_under_60s, and a down that
// leaves no namespace, process or file.
TEST_F(LocalLoop, WholeLoopPassesAndLeavesNothing) {
  const auto up = labctl({"up", "--profile", "local", "--ttl", "30m", "--scenario", "loop"},
                         live_env());
  ASSERT_EQ(up.code, 0) << up.err;
  const std::string run_id = first_line(up.out);
  const auto before = labctl({"smoke", "--run-id", run_id, "--phase", "before", "--out",
                              (tmp.path() / "m1.json").string()},
                             live_env());
  EXPECT_EQ(before.code, 0) << before.err;
  const auto parsed = nlohmann::json::parse(first_line(before.out), nullptr, false);
  EXPECT_EQ(parsed["summary"]["total"], 12);
  EXPECT_EQ(parsed["summary"]["passed"], 12);

  const auto timing_path = tmp.path() / "timing.json";
  const auto failover = labctl({"failover", "--run-id", run_id, "--provider", "local", "--fault",
                                "stop-active", "--measure", "--threshold-seconds", "60",
                                "--out", timing_path.string()},
                               live_env());
  EXPECT_EQ(failover.code, 0) << failover.err;
  const auto timing = nlohmann::json::parse(read_text(timing_path), nullptr, false);
  ASSERT_TRUE(timing.is_object()) << failover.err;
  EXPECT_EQ(timing["status"], "pass");
  const double recovery = timing["events"][0]["recoverySeconds"];
  EXPECT_GT(recovery, 0.0);
  EXPECT_LT(recovery, 60.0);
  RecordProperty("recoverySeconds", std::to_string(recovery));

  const auto after = labctl({"smoke", "--run-id", run_id, "--phase", "after", "--out",
                             (tmp.path() / "m2.json").string()},
                            live_env());
  EXPECT_EQ(after.code, 0) << after.err;

  const auto evidence = labctl({"evidence", "collect", "--run-id", run_id, "--out",
                                (tmp.path() / "ev").string(), "--matrix-json",
                                (tmp.path() / "m2.json").string(), "--timing-json",
                                timing_path.string()},
                               live_env());
  EXPECT_EQ(evidence.code, 0) << evidence.err;
  const auto result = nlohmann::json::parse(read_text(tmp.path() / "ev" / "result.json"));
  EXPECT_EQ(result["result"], "pass");
  for (const auto& a : result["assertions"]) {
    if (a["name"] == "failover_recovery_under_60s" || a["name"] == "directed_ping_ssh_matrix") {
      EXPECT_EQ(a["result"], "pass") << a.dump();
    }
  }

  const auto down = labctl({"down", "--run-id", run_id}, live_env());
  EXPECT_EQ(down.code, 0) << down.err;
  EXPECT_EQ(traces(run_id), "");
}

// Given an `up` killed with SIGKILL mid-way, expect `down --run-id` to remove everything.
TEST_F(LocalLoop, SigkilledUpIsCleanedByDown) {
  auto up = spawn({"up", "--profile", "local", "--ttl", "30m"}, live_env());
  ASSERT_TRUE(eventually(
      [&] {
        const auto runs = nlohmann::json::parse(labctl({"runs", "list", "--json"}).out, nullptr,
                                                false);
        if (!runs.is_array() || runs.empty()) return false;
        return show(runs[0]["runId"])["resources"].size() >= 20;
      },
      std::chrono::seconds(60)));
  up->signal(SIGKILL);
  (void)up->wait();
  const auto runs = nlohmann::json::parse(labctl({"runs", "list", "--json"}).out);
  const std::string run_id = runs[0]["runId"];
  const auto down = labctl({"down", "--run-id", run_id}, live_env());
  EXPECT_EQ(down.code, 0) << down.err;
  EXPECT_EQ(traces(run_id), "");
}

// Given an expired local lab and an EMPTY state directory, expect `down --expired` to find it
// by its metadata file and remove it.
TEST_F(LocalLoop, ExpiredLabIsRemovedWithoutState) {
  const auto up = labctl({"up", "--profile", "local", "--ttl", "1s"}, live_env());
  ASSERT_EQ(up.code, 0) << up.err;
  const std::string run_id = first_line(up.out);
  std::vector<std::string> namespaces;
  const auto run = show(run_id);
  for (const auto& r : run["resources"]) {
    if (r["kind"] == "netns") namespaces.push_back(r["cloudId"]);
  }
  ASSERT_FALSE(namespaces.empty());
  std::filesystem::remove_all(state_dir);
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  const auto janitor = labctl({"down", "--expired"}, live_env());
  EXPECT_EQ(janitor.code, 0) << janitor.err;
  EXPECT_TRUE(std::filesystem::is_empty(meta_dir));
  const std::string after = run_command({"/usr/sbin/ip", "netns", "list"}, {}, tmp.path()).out;
  for (const auto& name : namespaces) {
    EXPECT_EQ(after.find(name + " "), std::string::npos) << name << " is left:\n" << after;
    EXPECT_EQ(after.find(name + "\n"), std::string::npos) << name << " is left:\n" << after;
  }
}

}  // namespace
}  // namespace labctl::testing
