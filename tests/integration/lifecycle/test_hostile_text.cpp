// Outside text that is not UTF-8, and providers that throw, on the paths that must never stop
// half-way: the teardown guard of `up`, `down`, and the janitor's worker threads.
#include <array>
#include <chrono>
#include <thread>
#include <utility>

#include "core/text.hpp"
#include "tests/support/labctl_fixture.hpp"

namespace labctl::testing {
namespace {

const std::map<std::string, std::string> k_live{{"CE_DRY_RUN", "0"}};

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

// The teardown paths on each state store: SQLite, and PostgreSQL, whose text columns take only
// valid UTF-8.
using HostileText = StoreLifecycleTest;

// Provider failure messages that are not clean text, by byte class.
const std::array<std::pair<const char*, std::string>, 5> k_hostile_messages{{
    {"never_utf8", ": \xff\xfe denied"},
    {"overlong", ": \xc0\xaf overlong"},
    {"surrogate", ": \xed\xa0\x80 surrogate"},
    {"terminal_escapes", ": \x1b[2J\x1b[31mred\r\nforged line"},
    {"truncated", ": cut \xe2\x82"},
}};

// Given provider failures whose messages hold ill-formed UTF-8 or control bytes, expect the
// guard to tear everything down (no leak), exit 3, and state/stderr to stay readable.
TEST_P(HostileText, GuardStillTearsDown) {
  auto env = k_live;
  env["LABCTL_TESTFS_FAIL_AFTER"] = "2";
  for (const auto& [byte_class, message] : k_hostile_messages) {
    SCOPED_TRACE(byte_class);
    env["LABCTL_TESTFS_FAIL_MESSAGE"] = message;
    for (const char* format : {"human", "json"}) {
      env["CE_LOG_FORMAT"] = format;
      const auto up = labctl({"up", "--profile", profile_path.string()}, env);
      EXPECT_EQ(up.code, 3) << format << ": " << up.err;
      EXPECT_NE(up.err.find("injected failure"), std::string::npos) << up.err;
      EXPECT_EQ(up.err.find("unexpected failure"), std::string::npos) << up.err;
      EXPECT_EQ(up.err.find("terminate called"), std::string::npos) << up.err;
      EXPECT_EQ(testfs_files(), 0u) << format;
    }
  }
  const auto runs = labctl({"runs", "list", "--json"});
  ASSERT_EQ(runs.code, 0) << runs.err;
  EXPECT_TRUE(text::is_valid_utf8(runs.out));
  const auto list = nlohmann::json::parse(runs.out);
  ASSERT_EQ(list.size(), 2 * k_hostile_messages.size());
  for (const auto& run : list) {
    EXPECT_EQ(run["status"], "down") << run.dump();
    const auto shown = labctl({"runs", "show", run["runId"].get<std::string>(), "--json"});
    EXPECT_EQ(shown.code, 0) << shown.err;
    EXPECT_TRUE(text::is_valid_utf8(shown.out));
  }
}

// Given a provider whose delete throws (bytes that are not UTF-8 in the exception), expect
// `down` to exit 3 without aborting, keep the run down_failed, and a later `down` to finish.
TEST_P(HostileText, ThrowingTeardownIsAFailureNotACrash) {
  const auto up = labctl({"up", "--profile", profile_path.string()}, k_live);
  ASSERT_EQ(up.code, 0) << up.err;
  const std::string run_id = first_line(up.out);
  auto env = k_live;
  env["LABCTL_TESTFS_THROW_DELETE"] = show(run_id)["resources"][0]["name"].get<std::string>();
  const auto down = labctl({"down", "--run-id", run_id}, env);
  EXPECT_EQ(down.code, 3) << down.err;
  EXPECT_NE(down.err.find("unexpected failure: testfs: injected exception"), std::string::npos)
      << down.err;
  EXPECT_TRUE(text::is_valid_utf8(down.err));
  EXPECT_EQ(show(run_id)["status"], "down_failed");
  const auto again = labctl({"down", "--run-id", run_id}, k_live);
  EXPECT_EQ(again.code, 0) << again.err;
  EXPECT_EQ(testfs_files(), 0u);
  EXPECT_EQ(show(run_id)["status"], "down");
}

// Given expired runs whose teardown throws inside the janitor's worker threads, expect no
// abort (an exception escaping a std::jthread is std::terminate), exit 3 naming the runs, and a
// later janitor to remove them.
TEST_P(HostileText, ThrowingTeardownDoesNotAbortTheJanitor) {
  std::vector<std::string> run_ids;
  for (int i = 0; i < 3; ++i) {
    const auto up = labctl({"up", "--profile", profile_path.string(), "--ttl", "1s"}, k_live);
    ASSERT_EQ(up.code, 0) << up.err;
    run_ids.push_back(first_line(up.out));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  auto env = k_live;
  env["LABCTL_TESTFS_THROW_DELETE"] = show(run_ids[0])["resources"][0]["name"].get<std::string>();
  const auto janitor = labctl({"down", "--expired"}, env);
  EXPECT_EQ(janitor.code, 3) << janitor.err;
  EXPECT_EQ(janitor.err.find("terminate called"), std::string::npos) << janitor.err;
  for (const auto& run_id : run_ids) {
    EXPECT_NE(janitor.err.find(run_id), std::string::npos) << janitor.err;
    EXPECT_EQ(show(run_id)["status"], "down_failed");
  }
  const auto again = labctl({"down", "--expired"}, k_live);
  EXPECT_EQ(again.code, 0) << again.err;
  EXPECT_EQ(testfs_files(), 0u);
}

// Given a janitor setting that is not a number in range, expect exit 2 naming it before any
// discovery, never a silent default.
TEST_F(LifecycleTest, JanitorParallelismIsValidated) {
  for (const char* bad : {"x", "0", "-3", "1e3", "257", "99999999999999999999", "\xff"}) {
    auto env = k_live;
    env["CE_JANITOR_PARALLELISM"] = bad;
    const auto janitor = labctl({"down", "--expired"}, env);
    EXPECT_EQ(janitor.code, 2) << bad << ": " << janitor.err;
    EXPECT_NE(janitor.err.find("CE_JANITOR_PARALLELISM=\""), std::string::npos) << janitor.err;
    EXPECT_TRUE(text::is_valid_utf8(janitor.err));
  }
  auto env = k_live;
  env["CE_JANITOR_PARALLELISM"] = "4";
  EXPECT_EQ(labctl({"down", "--expired"}, env).code, 0);
}

INSTANTIATE_TEST_SUITE_P(Stores, HostileText, k_both_stores, store_kind_name);

}  // namespace
}  // namespace labctl::testing
