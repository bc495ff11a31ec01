// Several machines on one team's state (CE_STATE_URL): each "machine" is a labctl with a state
// directory and a CE_MACHINE of its own and the same PostgreSQL database; the testfs directory
// is the cloud they share. Root only (the real server); each test reports SKIPPED otherwise.
#include <chrono>
#include <csignal>
#include <stdexcept>

#include "core/db.hpp"
#include "tests/support/labctl_fixture.hpp"
#include "tests/support/pg_server.hpp"

namespace labctl::testing {
namespace {

const std::map<std::string, std::string> k_blocking{{"LABCTL_TESTFS_BLOCK_AFTER", "2"}};
const char* const k_unshare = "/usr/bin/unshare";  // util-linux

// How many times the run was torn down: its "down" events.
int down_events(const nlohmann::json& run) {
  int downs = 0;
  for (const auto& event : run["events"]) downs += event["kind"] == "down" ? 1 : 0;
  return downs;
}

// The result a `down` printed on stdout for `run_id` ("" when it did not report the run).
std::string down_result(const std::string& out, const std::string& run_id) {
  const auto result = nlohmann::json::parse(out, nullptr, false);
  if (!result.is_object() || !result.contains("runs")) return "";
  for (const auto& run : result["runs"]) {
    if (run["runId"] == run_id) return run["result"].get<std::string>();
  }
  return "";
}

std::size_t occurrences(const std::string& text, const std::string& part) {
  std::size_t count = 0;
  for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + part.size())) {
    ++count;
  }
  return count;
}

// Stops the shared server while it lives and starts it again when it ends, however the test
// ends: the next test of this process finds the server running.
class ServerStopped {
 public:
  explicit ServerStopped(PgServer& server) : m_server(server) { m_server.stop(); }
  ~ServerStopped() {
    try {
      m_server.start();
    } catch (const std::runtime_error& e) {
      ADD_FAILURE() << "the PostgreSQL server did not start again: " << e.what();
    }
  }
  ServerStopped(const ServerStopped&) = delete;
  ServerStopped& operator=(const ServerStopped&) = delete;

 private:
  PgServer& m_server;
};

// Instantiated on PostgreSQL only: SQLite state is one machine's.
class CrossMachine : public StoreLifecycleTest {
 protected:
  void SetUp() override {
    StoreLifecycleTest::SetUp();
    if (IsSkipped()) return;
    std::string why;
    server = PgServer::shared(&why);
    ASSERT_NE(server, nullptr) << why;
  }

  // labctl's environment on machine `name`: its own state directory and CE_MACHINE, live (not
  // dry), plus `extra`.
  [[nodiscard]] std::map<std::string, std::string> on(
      const std::string& name, std::map<std::string, std::string> extra = {}) const {
    extra["CE_STATE_DIR"] = (tmp.path() / name).string();
    extra["CE_MACHINE"] = name;
    extra["CE_DRY_RUN"] = "0";
    return extra;
  }

  // labctl as a process of another host: in a pid namespace of its own, so its pid means
  // nothing to the other machines' labctl (they share this kernel, and a holder's pid is checked
  // only in its own pid scope) and only its heartbeat tells them whether it lives. Its pid there
  // is 1. SIGKILL to the returned process (unshare) kills labctl too (--kill-child).
  [[nodiscard]] std::unique_ptr<Spawned> spawn_on_another_host(
      const std::vector<std::string>& args, const std::map<std::string, std::string>& extra) const {
    auto env = base_env();
    for (const auto& [name, value] : extra) env[name] = value;
    std::vector<std::string> argv{k_unshare, "--pid", "--fork", "--kill-child", LABCTL_BIN};
    argv.insert(argv.end(), args.begin(), args.end());
    return std::make_unique<Spawned>(argv, env, tmp.path());
  }

  // The newest run in the shared state, as machine `name` lists it ("" when none).
  [[nodiscard]] std::string newest_run(const std::string& name) const {
    const auto list = labctl({"runs", "list", "--json"}, on(name));
    EXPECT_EQ(list.code, 0) << list.err;
    const auto runs = nlohmann::json::parse(list.out, nullptr, false);
    if (!runs.is_array() || runs.empty()) return "";
    return runs[0]["runId"].get<std::string>();
  }

  // Whether `run_id`'s lease is stale on the database's clock: its holder silent for longer than
  // the lease time it took the lease with.
  [[nodiscard]] bool lease_stale(const std::string& run_id) const {
    auto db = state::open_postgresql(state_url);
    if (!db) return false;
    state::Statement s(**db,
                       "SELECT {now_s} - heartbeat_at, lease_seconds FROM leases WHERE run_id = ?");
    s.bind(1, run_id);
    const auto row = s.step();
    return row && *row && s.integer(0) > s.integer(1);
  }

  // No output of a labctl may carry the database password (the canary in state_url).
  void expect_no_password(const std::string& what, const std::string& text) const {
    EXPECT_EQ(text.find(server->password()), std::string::npos) << what << ":\n" << text;
  }

  PgServer* server = nullptr;
};

// Given an `up` on machine A blocked mid-apply, expect `down --run-id` on machine B refused
// (exit 4) naming A's machine, pid and command, and A's run left alone.
TEST_P(CrossMachine, DownOnAnotherMachineIsRefusedWhileTheHolderLives) {
  auto up = spawn({"up", "--profile", profile_path.string()}, on("machine-a", k_blocking));
  ASSERT_TRUE(eventually([&] { return testfs_files() == 2; })) << up->err();
  const std::string run_id = newest_run("machine-b");
  ASSERT_FALSE(run_id.empty());
  const auto down = labctl({"down", "--run-id", run_id}, on("machine-b"));
  EXPECT_EQ(down.code, 4) << down.err;
  EXPECT_NE(down.err.find("pid " + std::to_string(up->pid()) + " on machine-a (labctl up"),
            std::string::npos)
      << down.err;
  EXPECT_EQ(testfs_files(run_id), 2u);
  up->signal(SIGTERM);
  EXPECT_EQ(up->wait(), 143) << up->err();
  EXPECT_EQ(testfs_files(), 0u);
  expect_no_password("down", down.out + down.err);
  expect_no_password("up", up->out() + up->err());
}

// Given an expired `up` on machine A (another host: its own pid namespace) SIGKILLed mid-apply
// (lease time 3 s), expect a janitor on machine B to skip the run naming A until A's lease is
// stale (B cannot see A's pid), and then of two janitors started at once on B and C exactly one
// to tear it down, the other to skip it or find it done: every file gone, one "down" event.
TEST_P(CrossMachine, JanitorsTakeOverAnAbandonedRunOnceItsLeaseIsStale) {
  if (!std::filesystem::exists(k_unshare)) GTEST_SKIP() << k_unshare << " missing (util-linux)";
  const std::map<std::string, std::string> lease{{"CE_LEASE_SECONDS", "3"}};
  auto holder = on("machine-a", k_blocking);
  holder.insert(lease.begin(), lease.end());
  auto up =
      spawn_on_another_host({"up", "--profile", profile_path.string(), "--ttl", "1s"}, holder);
  ASSERT_TRUE(eventually([&] { return testfs_files() == 2; })) << up->err();
  const std::string run_id = newest_run("machine-b");
  ASSERT_FALSE(run_id.empty());
  const std::string names_a = "pid 1 on machine-a (labctl up";
  // Once the run has expired, a janitor elsewhere skips it while A lives and beats.
  CommandOutput alive;
  ASSERT_TRUE(eventually(
      [&] {
        alive = labctl({"down", "--expired"}, on("machine-b", lease));
        return down_result(alive.out, run_id) == "skipped";
      },
      std::chrono::seconds(30)))
      << alive.out << alive.err;
  EXPECT_EQ(alive.code, 0) << alive.err;
  EXPECT_NE(alive.err.find(names_a), std::string::npos) << alive.err;
  up->signal(SIGKILL);
  ASSERT_EQ(up->wait(), 128 + SIGKILL);
  // A is gone, but no other machine can tell before its heartbeat is older than its lease time.
  const auto early = labctl({"down", "--expired"}, on("machine-b", lease));
  EXPECT_EQ(early.code, 0) << early.err;
  ASSERT_EQ(down_result(early.out, run_id), "skipped") << early.out << early.err;
  EXPECT_NE(early.err.find(names_a), std::string::npos) << early.err;
  EXPECT_EQ(testfs_files(run_id), 2u);
  ASSERT_TRUE(eventually([&] { return lease_stale(run_id); }, std::chrono::seconds(30)));
  auto janitor_b = spawn({"down", "--expired"}, on("machine-b", lease));
  auto janitor_c = spawn({"down", "--expired"}, on("machine-c", lease));
  EXPECT_EQ(janitor_b->wait(), 0) << janitor_b->err();
  EXPECT_EQ(janitor_c->wait(), 0) << janitor_c->err();
  EXPECT_EQ(testfs_files(run_id), 0u);
  const std::string b = down_result(janitor_b->out(), run_id);
  const std::string c = down_result(janitor_c->out(), run_id);
  EXPECT_TRUE((b == "down") != (c == "down")) << "B: " << b << "\n"
                                              << janitor_b->err() << "\nC: " << c << "\n"
                                              << janitor_c->err();
  // The other one found it held (skipped), down under its lease (already-down), or down and
  // gone by the time it listed the expired runs (not reported).
  for (const auto& other : {b, c}) {
    EXPECT_TRUE(other == "down" || other == "skipped" || other == "already-down" || other.empty())
        << other;
  }
  const auto run = show(run_id);
  EXPECT_EQ(run["status"], "down");
  EXPECT_EQ(down_events(run), 1) << run.dump();
  expect_no_password("janitor while A lived", alive.out + alive.err);
  expect_no_password("janitor before the lease was stale", early.out + early.err);
  expect_no_password("janitor B", janitor_b->out() + janitor_b->err());
  expect_no_password("janitor C", janitor_c->out() + janitor_c->err());
}

// Given the database stopped while an `up` is blocked after 2 creates, and then the `up`
// interrupted, expect it to exit with its named code (130) within the limit, naming the database
// (host, port, name) without its password and without crashing; and after the database is back,
// `down --run-id` to remove everything and record the run down.
TEST_P(CrossMachine, UpFailsCleanlyWhenTheDatabaseRestartsAndDownFinishesAfterwards) {
  auto up = spawn({"up", "--profile", profile_path.string()}, on("machine-a", k_blocking));
  ASSERT_TRUE(eventually([&] { return testfs_files() == 2; })) << up->err();
  const std::string run_id = newest_run("machine-a");
  ASSERT_FALSE(run_id.empty());
  {
    const ServerStopped stopped(*server);
    up->signal(SIGINT);
    EXPECT_EQ(up->wait(), 130) << up->err();
  }
  // One error (the guard's teardown could not reach the state) names the database, once.
  const std::string database = state::postgresql_display(state_url);
  EXPECT_EQ(occurrences(up->err(), database), 1u) << database << "\n" << up->err();
  EXPECT_EQ(up->out(), "") << "no run-id for a failed up";
  for (const char* crash : {"terminate called", "Segmentation", "unexpected failure"}) {
    EXPECT_EQ(up->err().find(crash), std::string::npos) << up->err();
  }
  expect_no_password("up", up->out() + up->err());
  const auto down = labctl({"down", "--run-id", run_id}, on("machine-a"));
  EXPECT_EQ(down.code, 0) << down.err;
  EXPECT_EQ(testfs_files(run_id), 0u);
  EXPECT_EQ(show(run_id)["status"], "down");
  expect_no_password("down", down.out + down.err);
}

// Given a run brought up on machine A, expect `runs list` and `runs show` on machine B to show
// it (the state is shared), with no SQLite file on either machine.
TEST_P(CrossMachine, RunsListOnAnotherMachineShowsTheRun) {
  const auto up = labctl({"up", "--profile", profile_path.string()}, on("machine-a"));
  ASSERT_EQ(up.code, 0) << up.err;
  const std::string run_id = up.out.substr(0, up.out.find('\n'));
  const auto table = labctl({"runs", "list"}, on("machine-b"));
  EXPECT_EQ(table.code, 0) << table.err;
  EXPECT_NE(table.out.find(run_id), std::string::npos) << table.out;
  EXPECT_EQ(newest_run("machine-b"), run_id);
  const auto shown = labctl({"runs", "show", run_id, "--json"}, on("machine-b"));
  EXPECT_EQ(shown.code, 0) << shown.err;
  EXPECT_EQ(nlohmann::json::parse(shown.out, nullptr, false).value("status", ""), "up")
      << shown.out;
  for (const char* machine : {"machine-a", "machine-b"}) {
    EXPECT_FALSE(std::filesystem::exists(tmp.path() / machine / "state.db")) << machine;
  }
  for (const auto* output : {&up, &table, &shown}) {
    expect_no_password("labctl", output->out + output->err);
  }
}

INSTANTIATE_TEST_SUITE_P(Postgresql, CrossMachine, ::testing::Values(StoreKind::postgresql),
                         store_kind_name);

}  // namespace
}  // namespace labctl::testing
