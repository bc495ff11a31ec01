// `labctl state migrate --to`: SQLite to PostgreSQL and back, ids kept and the PostgreSQL
// sequences continued, counts verified, refusals, and no password on any output.
#include <map>
#include <regex>
#include <string>
#include <vector>

#include "core/action_journal.hpp"
#include "core/db.hpp"
#include "core/state_store.hpp"
#include "tests/support/labctl_fixture.hpp"
#include "tests/support/pg_server.hpp"

namespace labctl::testing {
namespace {

const std::map<std::string, std::string> k_live{{"CE_DRY_RUN", "0"}};
constexpr const char* k_tables[] = {"runs", "resources", "events", "run_meta", "action_executions"};

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

// The state at `dir` (SQLite) or `url` (PostgreSQL), opened by this test process.
std::unique_ptr<state::Store> open_store(const std::filesystem::path& dir,
                                         const std::string& url = {}) {
  auto location = state::StateLocation::local(dir);
  location.url = url;
  auto store = state::Store::open(location);
  EXPECT_TRUE(store) << store.error().message;
  return store ? std::move(*store) : nullptr;
}

// Rows per copied table, counted by the test itself: what `migrate --json` must report.
nlohmann::json table_counts(state::Store& store) {
  nlohmann::json counts = nlohmann::json::object();
  for (const char* table : k_tables) {
    state::Statement s(store.db(), std::string("SELECT COUNT(*) FROM ") + table);
    const auto row = s.step();
    EXPECT_TRUE(row && *row) << table;
    counts[table] = s.integer(0);
  }
  return counts;
}

// A pending journal row of `run_id`; `epoch` nullopt leaves the column NULL.
journal::ActionRow journal_row(const std::string& run_id, const std::string& key,
                               std::optional<long long> epoch) {
  journal::ActionRow row;
  row.idempotency_key = key;
  row.source = "import";
  row.run_id = run_id;
  row.provider = "testfs";
  row.action = "assign-secondary-ip";
  row.target = {{"address", "10.9.9.9/32"}};
  row.risk_level = "medium";
  row.address = "10.9.9.9/32";
  row.epoch = epoch;
  return row;
}

using MigrateTest = LifecycleTest;

// Given a run in a SQLite state, expect a copy into a new directory to report the same counts as
// the source holds, keep the resource ids, and then refuse a copy into itself or into a
// directory that holds state; a state directory without state has nothing to migrate.
TEST_F(MigrateTest, DirectoryToDirectoryKeepsIdsAndRefusesNonEmptyTargets) {
  const auto up = labctl({"up", "--profile", profile_path.string()});
  ASSERT_EQ(up.code, 0) << up.err;
  const auto run_id = first_line(up.out);
  const auto copy_dir = tmp.path() / "copy";
  const auto copied = labctl({"state", "migrate", "--to", copy_dir.string(), "--json"});
  ASSERT_EQ(copied.code, 0) << copied.err;
  const auto report = nlohmann::json::parse(copied.out);
  EXPECT_EQ(report["from"], state_dir.string());
  EXPECT_EQ(report["to"], copy_dir.string());
  EXPECT_EQ(report["tables"], table_counts(*open_store(state_dir)));
  EXPECT_EQ(report["tables"], table_counts(*open_store(copy_dir)));
  EXPECT_EQ(report["tables"]["runs"], 1);
  const auto source_run = show(run_id);
  const auto copied_run =
      labctl({"runs", "show", run_id, "--json"}, {{"CE_STATE_DIR", copy_dir.string()}});
  ASSERT_EQ(copied_run.code, 0) << copied_run.err;
  EXPECT_EQ(nlohmann::json::parse(copied_run.out)["resources"], source_run["resources"]);

  const auto again = labctl({"state", "migrate", "--to", copy_dir.string()});
  EXPECT_EQ(again.code, 4) << again.err;
  EXPECT_NE(again.err.find("already holds state (runs 1"), std::string::npos) << again.err;
  const auto itself = labctl({"state", "migrate", "--to", state_dir.string()});
  EXPECT_EQ(itself.code, 4) << itself.err;
  EXPECT_NE(itself.err.find("is the current state"), std::string::npos) << itself.err;
  const auto nothing = labctl({"state", "migrate", "--to", (tmp.path() / "other").string()},
                              {{"CE_STATE_DIR", (tmp.path() / "empty").string()}});
  EXPECT_EQ(nothing.code, 2) << nothing.err;
  EXPECT_NE(nothing.err.find("no state at"), std::string::npos) << nothing.err;
}

// PostgreSQL tests: root only (PgServer runs the server as the postgres user).
class PgMigrateTest : public LifecycleTest {
 protected:
  void SetUp() override {
    LifecycleTest::SetUp();
    std::string why;
    server = PgServer::shared(&why);
    if (server == nullptr) GTEST_SKIP() << "no PostgreSQL server: " << why;
    pg_url = server->create_database();
  }

  // labctl with `extra`, its output kept for the password check.
  CommandOutput run(const std::vector<std::string>& args,
                    const std::map<std::string, std::string>& extra = {}) {
    auto out = labctl(args, extra);
    outputs.push_back(out.out + out.err);
    return out;
  }

  PgServer* server = nullptr;
  std::string pg_url;
  std::vector<std::string> outputs;
};

// Given a live testfs run and two journal rows (one epoch NULL) in SQLite, expect: the copy to
// PostgreSQL to print the counts both sides hold; the run, its machine and the journal there;
// `down` on PostgreSQL to remove the testfs files (its inserts continue after the copied ids);
// the copy back into a new directory to hold the same counts; a second copy into the now
// non-empty database to be refused (4); and the password in no output.
TEST_F(PgMigrateTest, SqliteToPostgresqlAndBack) {
  const auto up = run({"up", "--profile", profile_path.string()},
                      {{"CE_DRY_RUN", "0"}, {"CE_MACHINE", "team-box-1"}});
  ASSERT_EQ(up.code, 0) << up.err;
  const auto run_id = first_line(up.out);
  ASSERT_EQ(testfs_files(run_id), 3u);
  {
    auto store = open_store(state_dir);
    ASSERT_TRUE(store);
    const auto imported = journal::import_actions(
        *store, {journal_row(run_id, "k-epoch", 7), journal_row(run_id, "k-null", std::nullopt)});
    ASSERT_TRUE(imported) << imported.error().message;
  }
  const std::string shown_url = state::postgresql_display(pg_url);
  ASSERT_EQ(shown_url.find(server->password()), std::string::npos);

  const auto to_pg = run({"state", "migrate", "--to", pg_url, "--json"});
  ASSERT_EQ(to_pg.code, 0) << to_pg.err;
  const auto report = nlohmann::json::parse(to_pg.out);
  EXPECT_EQ(report["from"], state_dir.string());
  EXPECT_EQ(report["to"], shown_url);
  EXPECT_EQ(report["tables"]["runs"], 1);
  EXPECT_EQ(report["tables"]["action_executions"], 2);
  EXPECT_EQ(report["tables"], table_counts(*open_store(state_dir)));
  {
    auto pg = open_store(state_dir, pg_url);
    ASSERT_TRUE(pg);
    EXPECT_EQ(report["tables"], table_counts(*pg));
    const auto with_epoch = journal::find(*pg, "k-epoch");
    const auto without = journal::find(*pg, "k-null");
    ASSERT_TRUE(with_epoch && *with_epoch && without && *without);
    EXPECT_EQ((*with_epoch)->epoch, 7);
    EXPECT_EQ((*without)->epoch, std::nullopt);
  }

  const std::map<std::string, std::string> on_pg{{"CE_STATE_URL", pg_url}};
  const auto list = run({"runs", "list"}, on_pg);
  ASSERT_EQ(list.code, 0) << list.err;
  EXPECT_TRUE(std::regex_search(list.out, std::regex(run_id + R"( +up +\S+ +team-box-1 )")))
      << list.out;
  const auto listed = nlohmann::json::parse(run({"runs", "list", "--json"}, on_pg).out);
  ASSERT_EQ(listed.size(), 1u) << listed;
  EXPECT_EQ(listed[0]["machine"], "team-box-1");

  auto down_env = on_pg;
  down_env.insert(k_live.begin(), k_live.end());
  const auto down = run({"down", "--run-id", run_id}, down_env);
  ASSERT_EQ(down.code, 0) << down.err;
  EXPECT_EQ(testfs_files(run_id), 0u);
  // A new run's rows on PostgreSQL take ids after the copied ones.
  const auto second = run({"up", "--profile", profile_path.string()}, down_env);
  ASSERT_EQ(second.code, 0) << second.err;
  const auto second_run = run({"runs", "show", first_line(second.out), "--json"}, on_pg);
  ASSERT_EQ(second_run.code, 0) << second_run.err;
  const auto first_run = run({"runs", "show", run_id, "--json"}, on_pg);
  long long highest_copied = 0;
  // The documents are kept: a loop over parse(...)["resources"] would walk a destroyed temporary.
  const auto first_shown = nlohmann::json::parse(first_run.out);
  for (const auto& r : first_shown["resources"]) {
    highest_copied = std::max(highest_copied, r["id"].get<long long>());
  }
  const auto second_shown = nlohmann::json::parse(second_run.out);
  for (const auto& r : second_shown["resources"]) {
    EXPECT_GT(r["id"].get<long long>(), highest_copied) << r;
  }

  const auto back_dir = tmp.path() / "back";
  const auto back = run({"state", "migrate", "--to", back_dir.string(), "--json"}, on_pg);
  ASSERT_EQ(back.code, 0) << back.err;
  const auto back_report = nlohmann::json::parse(back.out);
  EXPECT_EQ(back_report["from"], shown_url);
  EXPECT_EQ(back_report["to"], back_dir.string());
  EXPECT_EQ(back_report["tables"]["runs"], 2);
  EXPECT_EQ(back_report["tables"], table_counts(*open_store(back_dir)));
  EXPECT_EQ(back_report["tables"], table_counts(*open_store(state_dir, pg_url)));
  const auto human = run({"runs", "list"}, {{"CE_STATE_DIR", back_dir.string()}});
  EXPECT_TRUE(std::regex_search(human.out, std::regex(run_id + R"( +down +\S+ +team-box-1 )")))
      << human.out;

  const auto refused = run({"state", "migrate", "--to", pg_url});
  EXPECT_EQ(refused.code, 4) << refused.err;
  EXPECT_NE(refused.err.find(shown_url + " already holds state (runs 2"), std::string::npos)
      << refused.err;
  const auto itself = run({"state", "migrate", "--to", pg_url}, on_pg);
  EXPECT_EQ(itself.code, 4) << itself.err;
  EXPECT_NE(itself.err.find("is the current state"), std::string::npos) << itself.err;
  const auto human_copy = run({"state", "migrate", "--to", (tmp.path() / "human").string()}, on_pg);
  ASSERT_EQ(human_copy.code, 0) << human_copy.err;
  EXPECT_TRUE(std::regex_search(human_copy.out, std::regex(R"(^TABLE +ROWS *\nruns +2 *\n)")))
      << human_copy.out;

  for (const auto& output : outputs) {
    EXPECT_EQ(output.find(server->password()), std::string::npos) << output;
  }
}

}  // namespace
}  // namespace labctl::testing
