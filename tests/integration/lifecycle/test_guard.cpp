#include <csignal>
#include <sstream>

#include "tests/support/labctl_fixture.hpp"

namespace labctl::testing {
namespace {

const std::map<std::string, std::string> k_live_blocking{{"CE_DRY_RUN", "0"},
                                                        {"LABCTL_TESTFS_BLOCK_AFTER", "2"}};

std::string only_run_dir(const std::filesystem::path& testfs_dir) {
  for (const auto& entry : std::filesystem::directory_iterator(testfs_dir)) {
    return entry.path().filename().string();
  }
  return "";
}

// The guard, the lease and recovery after SIGKILL on each state store: SQLite in the state
// directory, and a PostgreSQL database (CE_STATE_URL), where the signals also land in the
// client's socket calls.
using GuardTest = StoreLifecycleTest;

// Given an `up` blocked after creating 2 of 3 resources, expect each of SIGINT/SIGTERM/SIGHUP to
// tear down both, mark the run down, and exit 128+signal.
TEST_P(GuardTest, EachSignalTearsDownAndExitsWithItsCode) {
  for (const int signo : {SIGINT, SIGTERM, SIGHUP}) {
    SCOPED_TRACE("signal " + std::to_string(signo));
    auto up = spawn({"up", "--profile", profile_path.string()}, k_live_blocking);
    ASSERT_TRUE(eventually([&] { return testfs_files() == 2; })) << up->err();
    const std::string run_id = only_run_dir(testfs_dir);
    up->signal(signo);
    EXPECT_EQ(up->wait(), 128 + signo) << up->err();
    ASSERT_EQ(testfs_files(), 0u);
    EXPECT_EQ(up->out(), "") << "no run-id for a failed up";
    EXPECT_NE(up->err().find("tearing down " + run_id), std::string::npos) << up->err();
    const auto run = show(run_id);
    EXPECT_EQ(run["status"], "down");
    for (const auto& r : run["resources"]) EXPECT_EQ(r["state"], "deleted");
  }
}

TEST_P(GuardTest, SecondSignalDuringTeardownDoesNotAbortIt) {
  auto up = spawn({"up", "--profile", profile_path.string()}, k_live_blocking);
  ASSERT_TRUE(eventually([&] { return testfs_files() == 2; }));
  up->signal(SIGINT);
  up->signal(SIGINT);
  up->signal(SIGTERM);
  // Whichever signal the kernel delivers first is "the" interruption; the rest must not cut
  // the teardown short.
  const int code = up->wait();
  EXPECT_TRUE(code == 130 || code == 143) << code << "\n" << up->err();
  EXPECT_EQ(testfs_files(), 0u);
  EXPECT_NE(up->err().find("is down"), std::string::npos) << up->err();
}

TEST_P(GuardTest, KeepLeavesThePartialLabAndSaysHowToRemoveIt) {
  auto up = spawn({"up", "--profile", profile_path.string(), "--keep"}, k_live_blocking);
  ASSERT_TRUE(eventually([&] { return testfs_files() == 2; }));
  const std::string run_id = only_run_dir(testfs_dir);
  up->signal(SIGINT);
  EXPECT_EQ(up->wait(), 130);
  EXPECT_EQ(testfs_files(), 2u);
  EXPECT_NE(up->err().find("labctl down --run-id " + run_id), std::string::npos) << up->err();
  EXPECT_EQ(show(run_id)["status"], "failed");
  const auto down = labctl({"down", "--run-id", run_id}, {{"CE_DRY_RUN", "0"}});
  EXPECT_EQ(down.code, 0) << down.err;
  EXPECT_EQ(testfs_files(), 0u);
}

TEST_P(GuardTest, ProviderFailureTearsDownWithTheFailureCode) {
  const auto up = labctl({"up", "--profile", profile_path.string()},
                         {{"CE_DRY_RUN", "0"}, {"LABCTL_TESTFS_FAIL_AFTER", "2"}});
  EXPECT_EQ(up.code, 3) << up.err;
  EXPECT_NE(up.err.find("injected failure"), std::string::npos);
  EXPECT_EQ(testfs_files(), 0u);
}

// Given an `up` killed with SIGKILL (no guard can run), expect `down --run-id` to remove
// everything the state recorded.
TEST_P(GuardTest, AfterSigkillDownRunIdRemovesEverything) {
  auto up = spawn({"up", "--profile", profile_path.string()}, k_live_blocking);
  ASSERT_TRUE(eventually([&] { return testfs_files() == 2; }));
  const std::string run_id = only_run_dir(testfs_dir);
  up->signal(SIGKILL);
  EXPECT_EQ(up->wait(), 128 + SIGKILL);
  EXPECT_EQ(testfs_files(), 2u);
  EXPECT_EQ(show(run_id)["status"], "creating");
  const auto down = labctl({"down", "--run-id", run_id}, {{"CE_DRY_RUN", "0"}});
  EXPECT_EQ(down.code, 0) << down.err;
  EXPECT_EQ(testfs_files(), 0u);
  EXPECT_EQ(show(run_id)["status"], "down");
}

// Given a run being operated by a live `up`, expect `down` of that run to be refused (exit 4)
// with the holder's pid.
TEST_P(GuardTest, LeaseStopsASecondProcessOnTheSameRun) {
  auto up = spawn({"up", "--profile", profile_path.string()}, k_live_blocking);
  ASSERT_TRUE(eventually([&] { return testfs_files() == 2; }));
  const std::string run_id = only_run_dir(testfs_dir);
  const auto down = labctl({"down", "--run-id", run_id}, {{"CE_DRY_RUN", "0"}});
  EXPECT_EQ(down.code, 4) << down.err;
  EXPECT_NE(down.err.find("pid " + std::to_string(up->pid())), std::string::npos) << down.err;
  up->signal(SIGTERM);
  EXPECT_EQ(up->wait(), 143);
}

INSTANTIATE_TEST_SUITE_P(Stores, GuardTest, k_both_stores, store_kind_name);

}  // namespace
}  // namespace labctl::testing
