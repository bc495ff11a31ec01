#include <sstream>
#include <thread>

#include "tests/support/labctl_fixture.hpp"

namespace labctl::testing {
namespace {

const std::map<std::string, std::string> k_live{{"CE_DRY_RUN", "0"}};

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

// How many times the run was torn down: its "down" events.
int down_events(const nlohmann::json& run) {
  int downs = 0;
  for (const auto& event : run["events"]) downs += event["kind"] == "down" ? 1 : 0;
  return downs;
}

// The lifecycle, leases and the janitor on each state store: SQLite in the state directory, and
// a PostgreSQL database (CE_STATE_URL).
using DownTest = StoreLifecycleTest;

TEST_P(DownTest, DownIsIdempotent) {
  const auto unknown = labctl({"down", "--run-id", "20260101T000000Z-cloudedge-nothing"}, k_live);
  EXPECT_EQ(unknown.code, 0) << unknown.err;
  EXPECT_NE(unknown.err.find("nothing to do"), std::string::npos);
  const auto up = labctl({"up", "--profile", profile_path.string()}, k_live);
  ASSERT_EQ(up.code, 0) << up.err;
  const std::string run_id = first_line(up.out);
  EXPECT_EQ(testfs_files(run_id), 3u);
  const auto down = labctl({"down", "--run-id", run_id}, k_live);
  EXPECT_EQ(down.code, 0) << down.err;
  EXPECT_EQ(testfs_files(), 0u);
  const auto result = nlohmann::json::parse(down.out);
  EXPECT_EQ(result["dryRun"], false);
  ASSERT_EQ(result["runs"].size(), 1u) << down.out;
  EXPECT_EQ(result["runs"][0]["runId"], run_id);
  EXPECT_EQ(result["runs"][0]["result"], "down");
  EXPECT_EQ(result["runs"][0]["resources"], 3);
  const auto again = labctl({"down", "--run-id", run_id}, k_live);
  EXPECT_EQ(again.code, 0);
  EXPECT_NE(again.err.find("already down"), std::string::npos) << again.err;
  EXPECT_EQ(nlohmann::json::parse(again.out)["runs"][0]["result"], "already-down") << again.out;
}

TEST_P(DownTest, DryDownChangesNothing) {
  const auto up = labctl({"up", "--profile", profile_path.string()}, k_live);
  const std::string run_id = first_line(up.out);
  const auto dry = labctl({"down", "--run-id", run_id});
  EXPECT_EQ(dry.code, 0) << dry.err;
  EXPECT_NE(dry.err.find("[dry] would delete testfs file node3"), std::string::npos) << dry.err;
  const auto result = nlohmann::json::parse(dry.out);
  EXPECT_EQ(result["dryRun"], true);
  EXPECT_EQ(result["runs"][0]["result"], "planned") << dry.out;
  EXPECT_EQ(result["runs"][0]["resources"], 3) << dry.out;
  EXPECT_EQ(testfs_files(run_id), 3u);
  EXPECT_EQ(show(run_id)["status"], "up");
}

// Given a resource whose delete fails, expect exit 3 (stdout's result says failed), the run
// down_failed with the failure kept in state, and the next `down` to retry and finish.
TEST_P(DownTest, FailedDeletesStayInStateAndAreRetried) {
  const auto up = labctl({"up", "--profile", profile_path.string()}, k_live);
  const std::string run_id = first_line(up.out);
  const auto failed = labctl({"down", "--run-id", run_id},
                             {{"CE_DRY_RUN", "0"}, {"LABCTL_TESTFS_FAIL_DELETE", "node2"}});
  EXPECT_EQ(failed.code, 3) << failed.err;
  EXPECT_NE(failed.err.find("node2"), std::string::npos) << failed.err;
  EXPECT_EQ(nlohmann::json::parse(failed.out)["runs"][0]["result"], "failed") << failed.out;
  EXPECT_EQ(testfs_files(run_id), 1u);
  const auto run = show(run_id);
  EXPECT_EQ(run["status"], "down_failed");
  const auto retried = labctl({"down", "--run-id", run_id}, k_live);
  EXPECT_EQ(retried.code, 0) << retried.err;
  EXPECT_EQ(testfs_files(), 0u);
  EXPECT_EQ(show(run_id)["status"], "down");
}

TEST_P(DownTest, ForceTakesTheLatestActiveRun) {
  const auto none = labctl({"down", "--force"}, k_live);
  EXPECT_EQ(none.code, 0);
  EXPECT_NE(none.err.find("no active run"), std::string::npos) << none.err;
  const auto up = labctl({"up", "--profile", profile_path.string()}, k_live);
  EXPECT_EQ(labctl({"down", "--force"}, k_live).code, 0);
  EXPECT_EQ(show(first_line(up.out))["status"], "down");
}

// Given no state yet (no state.db; an empty PostgreSQL database), expect the janitor to do
// nothing and create no SQLite file.
TEST_P(DownTest, ExpiredWithNoStateIsANoOp) {
  const auto out = labctl({"down", "--expired"}, k_live);
  EXPECT_EQ(out.code, 0) << out.err;
  EXPECT_FALSE(std::filesystem::exists(state_dir / "state.db"));
}

// Given no AWS credentials anywhere, expect the janitor to say so in one line and finish; -v
// adds the sources the credential chain tried.
TEST_F(LifecycleTest, JanitorWithoutAwsCredentialsSaysSoInOneLine) {
  const auto up = labctl({"up", "--profile", profile_path.string()}, k_live);
  ASSERT_EQ(up.code, 0) << up.err;
  auto env = k_live;
  for (const char* name : {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                           "AWS_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN"}) {
    env[name] = "\x01unset";
  }
  env["AWS_SHARED_CREDENTIALS_FILE"] = (tmp.path() / "no-credentials").string();
  env["AWS_CONFIG_FILE"] = (tmp.path() / "no-config").string();
  const auto janitor = labctl({"down", "--expired"}, env);
  EXPECT_EQ(janitor.code, 0) << janitor.err;
  std::istringstream lines(janitor.err);
  int about_aws = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.find("AWS") != std::string::npos || line.find("aws") != std::string::npos) {
      ++about_aws;
      EXPECT_NE(line.find("aws: no credentials, so no discovery by tag"), std::string::npos)
          << line;
    }
  }
  EXPECT_EQ(about_aws, 1) << janitor.err;
  const auto verbose = labctl({"-v", "down", "--expired"}, env);
  EXPECT_EQ(verbose.code, 0) << verbose.err;
  EXPECT_NE(verbose.err.find("tried, in order"), std::string::npos) << verbose.err;
}

// Given one run past its TTL and one within it, expect the janitor to remove only the first.
TEST_P(DownTest, ExpiredRemovesOnlyExpiredRuns) {
  const auto short_run = labctl({"up", "--profile", profile_path.string(), "--ttl", "1s"}, k_live);
  const auto long_run = labctl({"up", "--profile", profile_path.string(), "--ttl", "1h"}, k_live);
  ASSERT_EQ(short_run.code, 0);
  ASSERT_EQ(long_run.code, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  const auto janitor = labctl({"down", "--expired"}, k_live);
  EXPECT_EQ(janitor.code, 0) << janitor.err;
  EXPECT_EQ(testfs_files(first_line(short_run.out)), 0u);
  EXPECT_EQ(testfs_files(first_line(long_run.out)), 3u);
  EXPECT_EQ(show(first_line(short_run.out))["status"], "down");
  EXPECT_EQ(show(first_line(long_run.out))["status"], "up");
}

// Given resources of an expired run and an EMPTY state directory (another machine's leak),
// expect the janitor to find them by their tags and remove them. SQLite only: there the state
// directory is the state (the shared database's case is tests/integration/state_pg).
TEST_F(LifecycleTest, ExpiredFindsLeaksByTagWithoutState) {
  const auto up = labctl({"up", "--profile", profile_path.string(), "--ttl", "1s"}, k_live);
  ASSERT_EQ(up.code, 0);
  std::filesystem::remove_all(state_dir);
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  const auto janitor = labctl({"down", "--expired"}, k_live);
  EXPECT_EQ(janitor.code, 0) << janitor.err;
  EXPECT_EQ(testfs_files(), 0u);
  EXPECT_NE(janitor.err.find("found by tag"), std::string::npos) << janitor.err;
}

// Given a run recorded as down whose resource reappears (a leak teardown could not see), expect
// the janitor to find it by tag and tear the run down again, once; and a janitor whose tag scan
// finds nothing to leave a down run alone.
TEST_P(DownTest, JanitorTearsDownALeakOfADownRunOnlyWhileItExists) {
  const auto up = labctl({"up", "--profile", profile_path.string(), "--ttl", "1s"}, k_live);
  ASSERT_EQ(up.code, 0) << up.err;
  const std::string run_id = first_line(up.out);
  std::filesystem::path leaked;
  for (const auto& file : std::filesystem::recursive_directory_iterator(testfs_dir)) {
    if (file.is_regular_file()) leaked = file.path();
  }
  ASSERT_FALSE(leaked.empty());
  const std::string tags = read_text(leaked);
  ASSERT_EQ(labctl({"down", "--run-id", run_id}, k_live).code, 0);
  ASSERT_EQ(testfs_files(run_id), 0u);
  write_text(leaked, tags);
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  const auto janitor = labctl({"down", "--expired"}, k_live);
  EXPECT_EQ(janitor.code, 0) << janitor.err;
  EXPECT_NE(janitor.err.find("is recorded as down but testfs still holds"), std::string::npos)
      << janitor.err;
  EXPECT_FALSE(std::filesystem::exists(leaked));
  EXPECT_EQ(down_events(show(run_id)), 2);
  EXPECT_EQ(show(run_id)["status"], "down");
  EXPECT_EQ(labctl({"down", "--expired"}, k_live).code, 0);
  EXPECT_EQ(down_events(show(run_id)), 2);
}

// Given two janitors and an `up` racing, expect every process to succeed, every expired run
// torn down exactly once, and the new run untouched.
TEST_P(DownTest, ConcurrentJanitorsAndUpNeverCorruptOrDoubleTeardown) {
  std::vector<std::string> expired;
  for (int i = 0; i < 4; ++i) {
    const auto up = labctl({"up", "--profile", profile_path.string(), "--ttl", "1s"}, k_live);
    ASSERT_EQ(up.code, 0) << up.err;
    expired.push_back(first_line(up.out));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  auto janitor_a = spawn({"down", "--expired"}, k_live);
  auto janitor_b = spawn({"down", "--expired"}, k_live);
  auto fresh = spawn({"up", "--profile", profile_path.string(), "--ttl", "1h"}, k_live);
  EXPECT_EQ(janitor_a->wait(), 0) << janitor_a->err();
  EXPECT_EQ(janitor_b->wait(), 0) << janitor_b->err();
  ASSERT_EQ(fresh->wait(), 0) << fresh->err();
  for (const auto& run_id : expired) {
    const auto run = show(run_id);
    EXPECT_EQ(run["status"], "down") << run_id;
    EXPECT_EQ(down_events(run), 1) << run_id << " was torn down more or less than once";
  }
  EXPECT_EQ(testfs_files(first_line(fresh->out())), 3u);
  EXPECT_EQ(show(first_line(fresh->out()))["status"], "up");
}

INSTANTIATE_TEST_SUITE_P(Stores, DownTest, k_both_stores, store_kind_name);

}  // namespace
}  // namespace labctl::testing
