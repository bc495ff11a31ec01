#include "core/state_store.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <set>

#include "core/action_journal.hpp"
#include "tests/support/pg_server.hpp"
#include "tests/unit/core/store_test.hpp"

namespace labctl::state {
namespace {

using labctl::testing::k_both_stores;
using labctl::testing::query_integer;
using labctl::testing::race;
using labctl::testing::store_kind_name;
using labctl::testing::TempDirTest;
using StateStore = labctl::testing::StoreTest;

RunRecord sample_run(const std::string& id) {
  RunRecord run;
  run.run_id = id;
  run.profile = "full";
  run.profile_path = "profiles/full.yaml";
  run.scenario = "full";
  run.providers = {"aws", "onprem"};
  run.provider_order = "declared";
  run.owner = "tester";
  run.purpose = "unit";
  run.ttl_text = "1h";
  run.ttl_seconds = 3600;
  run.ttl_expires_at = "2026-06-01T04:00:00Z";
  run.created_at = "2026-06-01T03:00:00Z";
  return run;
}

mode_t mode_of(const std::filesystem::path& path) {
  struct stat st {};
  EXPECT_EQ(stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 0777;
}

// ---- The state directory and its files: SQLite only ----

TEST_F(TempDirTest, OpenCreatesPrivateDirectoryAndDatabase) {
  const auto dir = tmp.path() / "state";
  auto store = Store::open(dir);
  ASSERT_TRUE(store) << store.error().message;
  EXPECT_EQ(mode_of(dir), 0700u);
  EXPECT_EQ(mode_of(dir / "state.db"), 0600u);
}

TEST_F(TempDirTest, OpenExistingCreatesNothing) {
  auto store = Store::open_existing(tmp.path() / "none");
  ASSERT_TRUE(store);
  EXPECT_EQ(*store, nullptr);
  EXPECT_FALSE(std::filesystem::exists(tmp.path() / "none"));
}

// Given a state directory someone else made (0755, or 0750 under a strict umask), expect it used
// as it is: its mode unchanged, the database inside still 0600.
TEST_F(TempDirTest, ExistingDirectoryKeepsItsMode) {
  for (const mode_t mode : {mode_t{0755}, mode_t{0750}, mode_t{0700}}) {
    const auto dir = tmp.path() / ("state-" + std::to_string(mode));
    ASSERT_EQ(mkdir(dir.c_str(), mode), 0);
    ASSERT_EQ(chmod(dir.c_str(), mode), 0);
    auto store = Store::open(dir);
    ASSERT_TRUE(store) << store.error().message;
    EXPECT_EQ(mode_of(dir), mode);
    EXPECT_EQ(mode_of(dir / "state.db"), 0600u);
  }
}

// Given a missing state directory under missing parents, expect the parents created and only
// the state directory itself made private.
TEST_F(TempDirTest, MissingDirectoryIsCreatedPrivate) {
  const auto dir = tmp.path() / "a" / "b" / "state";
  ASSERT_TRUE(Store::open(dir)) << "open";
  EXPECT_EQ(mode_of(dir), 0700u);
  EXPECT_TRUE(std::filesystem::is_directory(tmp.path() / "a" / "b"));
}

// Given a state directory others can write to, expect a refusal (exit 4) and its mode unchanged.
TEST_F(TempDirTest, GroupOrWorldWritableDirectoryIsRefused) {
  for (const mode_t mode : {mode_t{0777}, mode_t{0770}, mode_t{01777}, mode_t{0702}}) {
    const auto dir = tmp.path() / ("shared-" + std::to_string(mode));
    ASSERT_EQ(mkdir(dir.c_str(), 0700), 0);
    ASSERT_EQ(chmod(dir.c_str(), mode), 0);
    auto store = Store::open(dir);
    ASSERT_FALSE(store) << mode;
    EXPECT_EQ(store.error().code, ExitCode::refused);
    EXPECT_NE(store.error().message.find("writable by group or others"), std::string::npos)
        << store.error().message;
    EXPECT_EQ(mode_of(dir), mode & 0777);
    EXPECT_FALSE(std::filesystem::exists(dir / "state.db"));
  }
}

// Given CE_STATE_DIR that is a symlink (to a real directory, or dangling), expect a refusal and
// nothing created or chmod-ed through it.
TEST_F(TempDirTest, SymlinkedStateDirectoryIsRefused) {
  const auto real = tmp.path() / "real";
  ASSERT_EQ(mkdir(real.c_str(), 0755), 0);
  ASSERT_EQ(chmod(real.c_str(), 0755), 0);
  const auto link = tmp.path() / "link";
  std::filesystem::create_directory_symlink(real, link);
  const auto dangling = tmp.path() / "dangling";
  std::filesystem::create_directory_symlink(tmp.path() / "nowhere", dangling);
  for (const auto& dir : {link, dangling}) {
    auto store = Store::open(dir);
    ASSERT_FALSE(store) << dir;
    EXPECT_EQ(store.error().code, ExitCode::refused);
    EXPECT_NE(store.error().message.find("is a symbolic link"), std::string::npos);
  }
  EXPECT_EQ(mode_of(real), 0755u);
  EXPECT_FALSE(std::filesystem::exists(real / "state.db"));
  EXPECT_FALSE(std::filesystem::exists(tmp.path() / "nowhere"));
  labctl::testing::write_text(real / "state.db", "");
  EXPECT_FALSE(Store::open_existing(link)) << "open_existing must refuse a linked directory too";
}

// Given state.db (or its -wal/-shm file) as a symlink, expect a refusal and the link's target
// untouched, by open() and by open_existing() alike, dangling links included.
TEST_F(TempDirTest, SymlinkedDatabaseFilesAreNeverFollowed) {
  const auto target = tmp.path() / "target";
  labctl::testing::write_text(target, "precious");
  ASSERT_EQ(chmod(target.c_str(), 0644), 0);
  for (const std::string name : {"state.db", "state.db-wal", "state.db-shm"}) {
    for (const bool dangling : {false, true}) {
      const auto dir = tmp.path() / (name + (dangling ? "-dangling" : "-live"));
      ASSERT_EQ(mkdir(dir.c_str(), 0700), 0);
      std::filesystem::create_symlink(dangling ? tmp.path() / "missing" : target, dir / name);
      for (const bool existing : {false, true}) {
        auto store = existing ? Store::open_existing(dir) : Store::open(dir);
        if (existing && name != "state.db") {
          // Without state.db there is nothing to open: no store, nothing created.
          ASSERT_TRUE(store);
          EXPECT_EQ(*store, nullptr);
          continue;
        }
        ASSERT_FALSE(store) << name << (dangling ? " dangling" : " live");
        EXPECT_EQ(store.error().code, ExitCode::refused);
        EXPECT_NE(store.error().message.find("is a symbolic link"), std::string::npos)
            << store.error().message;
      }
      EXPECT_TRUE(std::filesystem::is_symlink(dir / name));
    }
  }
  EXPECT_EQ(labctl::testing::read_text(target), "precious");
  EXPECT_EQ(mode_of(target), 0644u);
  EXPECT_FALSE(std::filesystem::exists(tmp.path() / "missing"));
}

TEST_F(TempDirTest, StateDirectoryThatIsAFileIsAUsageError) {
  const auto file = tmp.path() / "file";
  labctl::testing::write_text(file, "x");
  auto store = Store::open(file);
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code, ExitCode::usage);
  EXPECT_NE(store.error().message.find("is not a directory"), std::string::npos);
}

// ---- The store's guarantees, on both stores ----

TEST_P(StateStore, RunRoundTripAndSameSecondUniqueness) {
  const auto first = store->insert_run(sample_run("20260601T030000Z-cloudedge-full"));
  const auto second = store->insert_run(sample_run("20260601T030000Z-cloudedge-full"));
  ASSERT_TRUE(first && second);
  EXPECT_EQ(*first, "20260601T030000Z-cloudedge-full");
  EXPECT_EQ(*second, "20260601T030000Z-cloudedge-full-2");
  const auto found = store->find_run(*second);
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((*found)->providers, (std::vector<std::string>{"aws", "onprem"}));
  EXPECT_EQ((*found)->ttl_seconds, 3600);
  EXPECT_EQ((*found)->machine, k_machine);
  EXPECT_EQ(store->list_runs()->size(), 2u);
  ASSERT_TRUE(store->set_run_status(*first, k_run_down));
  const auto latest = store->latest_active_run();
  ASSERT_TRUE(latest && *latest);
  EXPECT_EQ((*latest)->run_id, *second);
}

// Given two machines recording a run of the same id at once on one database, expect distinct
// ids (one gets -2), each row naming the machine that recorded it.
TEST_P(StateStore, TwoMachinesRecordingTheSameRunIdGetDistinctIds) {
  const std::string id = "20260601T030000Z-cloudedge-full";
  const std::vector<std::unique_ptr<Store>> stores = [this] {
    std::vector<std::unique_ptr<Store>> out;
    out.push_back(open_as("machine-a"));
    out.push_back(open_as("machine-b"));
    return out;
  }();
  ASSERT_TRUE(stores[0] && stores[1]);
  std::vector<Expected<std::string>> ids(stores.size());
  race(2, [&](int i) { ids[i] = stores[i]->insert_run(sample_run(id)); });
  ASSERT_TRUE(ids[0]) << ids[0].error().message;
  ASSERT_TRUE(ids[1]) << ids[1].error().message;
  EXPECT_EQ((std::set<std::string>{*ids[0], *ids[1]}), (std::set<std::string>{id, id + "-2"}));
  for (std::size_t i = 0; i < stores.size(); ++i) {
    const auto run = store->find_run(*ids[i]);
    ASSERT_TRUE(run && *run) << *ids[i];
    EXPECT_EQ((*run)->machine, stores[i]->location().machine) << *ids[i];
  }
}

TEST_P(StateStore, ResourcesKeepCreationOrderAndMergeAttrs) {
  const std::string run = *store->insert_run(sample_run("20260601T030000Z-cloudedge-x"));
  ResourceRecord row;
  row.run_id = run;
  row.provider = "aws";
  row.kind = "key-pair";
  row.name = "kp";
  const long long a = *store->record_intent(row);
  row.kind = "instance";
  row.name = "router-a";
  const long long b = *store->record_intent(row);
  ASSERT_TRUE(store->mark_created(b, "i-1", {{"node", {{"site", "aws"}}}}));
  ASSERT_TRUE(store->merge_attrs(b, {{"privateIp", "10.0.0.5"}}));
  ASSERT_TRUE(store->set_resource_state(a, k_res_failed, "boom"));
  const auto rows = *store->resources(run);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].state, k_res_failed);
  EXPECT_EQ(rows[0].error, "boom");
  EXPECT_EQ(rows[1].cloud_id, "i-1");
  EXPECT_EQ(rows[1].state, k_res_created);
  EXPECT_EQ(rows[1].attrs["node"]["site"], "aws");
  EXPECT_EQ(rows[1].attrs["privateIp"], "10.0.0.5");
}

// Given a batch of rows, expect each its id in order and every outcome of a batch written; a
// batch inside an outer transaction that is rolled back leaves nothing behind.
TEST_P(StateStore, BatchesOfRowsAndOutcomesJoinAnOuterTransaction) {
  const std::string run = *store->insert_run(sample_run("20260601T030000Z-cloudedge-b"));
  std::vector<ResourceRecord> rows(3);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    rows[i].run_id = run;
    rows[i].provider = "aws";
    rows[i].kind = "instance";
    rows[i].cloud_id = "i-" + std::to_string(i);
    rows[i].state = k_res_created;
  }
  ASSERT_TRUE(store->record_intents(rows));
  EXPECT_LT(rows[0].id, rows[1].id);
  EXPECT_LT(rows[1].id, rows[2].id);
  ASSERT_TRUE(store->set_resource_states(
      {{rows[0].id, k_res_deleted, ""}, {rows[2].id, k_res_failed, "refused: i-2"}}));
  auto stored = *store->resources(run);
  ASSERT_EQ(stored.size(), 3u);
  EXPECT_EQ(stored[0].cloud_id, "i-0");
  EXPECT_EQ(stored[0].state, k_res_deleted);
  EXPECT_EQ(stored[1].state, k_res_created);
  EXPECT_EQ(stored[2].state, k_res_failed);
  EXPECT_EQ(stored[2].error, "refused: i-2");
  {
    Transaction outer(store->db());
    ASSERT_TRUE(outer.begin());
    std::vector<ResourceRecord> more(1, rows[0]);
    ASSERT_TRUE(store->record_intents(more));  // joins `outer`, commits nothing itself
    ASSERT_TRUE(store->set_resource_states({{rows[1].id, k_res_deleted, ""}}));
  }  // `outer` rolls back
  stored = *store->resources(run);
  EXPECT_EQ(stored.size(), 3u);
  EXPECT_EQ(stored[1].state, k_res_created);
}

TEST_P(StateStore, EventsAndMeta) {
  ASSERT_TRUE(store->add_event("r", "up", {{"result", "completed"}}));
  ASSERT_TRUE(store->add_event("r", "smoke", {{"passed", 12}}));
  const auto events = *store->events("r");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].kind, "smoke");
  EXPECT_EQ(events[1].detail["passed"], 12);
  EXPECT_FALSE(*store->get_meta("r", "ssh"));
  ASSERT_TRUE(store->set_meta("r", "ssh", {{"user", "root"}}));
  ASSERT_TRUE(store->set_meta("r", "ssh", {{"user", "admin"}}));
  EXPECT_EQ((**store->get_meta("r", "ssh"))["user"], "admin");
}

// ---- Migrations ----

// Given several processes opening one new database at once, expect every open to succeed and
// the schema to be created and versioned once: migrations run under the write lock.
TEST_P(StateStore, ConcurrentOpensOfANewDatabaseMigrateItOnce) {
  StateLocation fresh = location("machine-b");
  fresh.dir = tmp.path() / "fresh";
  std::string why;
  const auto url = labctl::testing::state_url_for(GetParam(), &why);  // a second new database
  ASSERT_TRUE(url) << why;
  fresh.url = *url;
  constexpr int k_openers = 6;
  std::vector<Expected<std::unique_ptr<Store>>> opened(k_openers);
  race(k_openers, [&](int i) { opened[i] = Store::open(fresh); });
  for (const auto& one : opened) ASSERT_TRUE(one) << one.error().message;
  EXPECT_EQ(query_integer((*opened[0])->db(), "SELECT COUNT(*) FROM schema_version"), 1);
  EXPECT_EQ(query_integer((*opened[0])->db(), "SELECT MAX(version) FROM schema_version"), 3);
}

// Given a database a newer labctl wrote (schema version 99), expect a refusal that says so.
TEST_P(StateStore, ANewerSchemaIsRefused) {
  ASSERT_TRUE(Statement(store->db(), "INSERT INTO schema_version(version) VALUES (99)").run());
  auto newer = Store::open(location("machine-b"));
  ASSERT_FALSE(newer);
  EXPECT_EQ(newer.error().code, ExitCode::refused);
  EXPECT_NE(newer.error().message.find("schema version 99 is newer"), std::string::npos)
      << newer.error().message;
  EXPECT_NE(newer.error().message.find("upgrade labctl"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Stores, StateStore, k_both_stores, store_kind_name);

// The SQLite schema of labctl before version 3, frozen as it was: version 1 is every table but
// the journal, version 2 adds the journal.
constexpr const char* k_schema_v1 = R"sql(
CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
  run_id TEXT PRIMARY KEY,
  profile TEXT NOT NULL,
  profile_path TEXT NOT NULL,
  scenario TEXT NOT NULL,
  providers TEXT NOT NULL,
  provider_order TEXT NOT NULL,
  owner TEXT NOT NULL,
  purpose TEXT NOT NULL,
  ttl_text TEXT NOT NULL,
  ttl_seconds INTEGER NOT NULL,
  ttl_expires_at TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  status TEXT NOT NULL,
  dry_run INTEGER NOT NULL,
  keep INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS resources (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id TEXT NOT NULL,
  provider TEXT NOT NULL,
  kind TEXT NOT NULL,
  name TEXT NOT NULL,
  region TEXT NOT NULL,
  cloud_id TEXT NOT NULL,
  state TEXT NOT NULL,
  request_json TEXT NOT NULL,
  attrs_json TEXT NOT NULL,
  error TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS resources_run ON resources(run_id);
CREATE TABLE IF NOT EXISTS events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id TEXT NOT NULL,
  ts TEXT NOT NULL,
  kind TEXT NOT NULL,
  detail_json TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_run ON events(run_id);
CREATE TABLE IF NOT EXISTS run_meta (
  run_id TEXT NOT NULL,
  key TEXT NOT NULL,
  value_json TEXT NOT NULL,
  PRIMARY KEY (run_id, key)
);
CREATE TABLE IF NOT EXISTS leases (
  run_id TEXT PRIMARY KEY,
  pid INTEGER NOT NULL,
  host TEXT NOT NULL,
  command TEXT NOT NULL,
  acquired_at TEXT NOT NULL
);
)sql";
constexpr const char* k_schema_v2_journal = R"sql(
CREATE TABLE IF NOT EXISTS action_executions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  idempotency_key TEXT NOT NULL UNIQUE,
  source TEXT NOT NULL,
  run_id TEXT NOT NULL,
  provider TEXT NOT NULL,
  provider_ref TEXT NOT NULL,
  action TEXT NOT NULL,
  target_json TEXT NOT NULL,
  parameters_json TEXT NOT NULL,
  undo_json TEXT NOT NULL,
  observed_json TEXT NOT NULL,
  risk_level TEXT NOT NULL,
  status TEXT NOT NULL,
  address TEXT NOT NULL,
  epoch INTEGER,
  approved_by TEXT NOT NULL,
  approved_at TEXT NOT NULL,
  executed_at TEXT NOT NULL,
  result_message TEXT NOT NULL,
  error TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS action_executions_run ON action_executions(run_id);
)sql";

constexpr const char* k_old_run_id = "20250101T000000Z-cloudedge-old";

// `dir` (0700) with the state.db an old labctl of schema `version` (1 or 2) left: one run and
// the lease its process held.
void write_old_database(const std::filesystem::path& dir, int version) {
  ASSERT_EQ(mkdir(dir.c_str(), 0700), 0) << dir;
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir / "state.db").c_str(), &db), SQLITE_OK);
  const std::string id = k_old_run_id;
  std::string sql = k_schema_v1;
  if (version >= 2) sql += k_schema_v2_journal;
  sql += "INSERT INTO schema_version(version) VALUES (" + std::to_string(version) + ");";
  sql += "INSERT INTO runs VALUES ('" + id +
         "', 'minimal', 'profiles/minimal.yaml', 'minimal', 'aws', 'declared', 'tester', 'unit', "
         "'1h', 3600, '2025-01-01T01:00:00Z', '2025-01-01T00:00:00Z', '2025-01-01T00:00:00Z', "
         "'up', 1, 0);";
  sql += "INSERT INTO leases VALUES ('" + id + "', 4242, 'oldhost', 'up', '2025-01-01T00:00:00Z');";
  char* error = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
  const std::string message = error != nullptr ? error : "";
  sqlite3_free(error);
  sqlite3_close(db);
  ASSERT_EQ(rc, SQLITE_OK) << message;
}

// Given a version-1 and a version-2 SQLite database, expect each opened at version 3 with its
// run and lease kept, runs.machine and the lease columns added (empty for the old rows), the
// journal usable and a new run recording its machine.
TEST_F(TempDirTest, AnOlderSqliteDatabaseIsMigratedKeepingItsRows) {
  for (const int version : {1, 2}) {
    SCOPED_TRACE("version " + std::to_string(version));
    const auto dir = tmp.path() / ("v" + std::to_string(version));
    ASSERT_NO_FATAL_FAILURE(write_old_database(dir, version));
    StateLocation location = StateLocation::local(dir);
    location.machine = "machine-a";
    auto opened = Store::open(location);
    ASSERT_TRUE(opened) << opened.error().message;
    Store& store = **opened;
    EXPECT_EQ(query_integer(store.db(), "SELECT MAX(version) FROM schema_version"), 3);
    const auto old = store.find_run(k_old_run_id);
    ASSERT_TRUE(old && *old) << (old ? "missing" : old.error().message);
    EXPECT_EQ((*old)->status, k_run_up);
    EXPECT_EQ((*old)->ttl_seconds, 3600);
    EXPECT_EQ((*old)->machine, "");
    EXPECT_EQ(query_integer(store.db(),
                            "SELECT COUNT(*) FROM leases WHERE pid = 4242 AND host = 'oldhost' "
                            "AND heartbeat_at = 0 AND lease_seconds = 0 AND token = '' AND "
                            "pid_scope = ''"),
              1);
    const auto added = store.insert_run(sample_run("20260601T030000Z-cloudedge-new"));
    ASSERT_TRUE(added) << added.error().message;
    EXPECT_EQ((*store.find_run(*added))->machine, "machine-a");
    journal::ActionRow action;
    action.idempotency_key = "k1";
    action.run_id = k_old_run_id;
    EXPECT_EQ(journal::import_action(store, action).value(), journal::ImportOutcome::inserted);
  }
}

// ---- PostgreSQL only: its errors, its restarts ----

// Tests of the PostgreSQL connection itself, on the test process's server.
class PostgresStore : public TempDirTest {
 protected:
  void SetUp() override {
    std::string why;
    server = labctl::testing::PgServer::shared(&why);
    if (server == nullptr) GTEST_SKIP() << "no PostgreSQL server: " << why;
  }

  [[nodiscard]] StateLocation location_of(const std::string& url) const {
    return {.dir = tmp.path() / "state", .url = url, .machine = "machine-a", .lease_seconds = 60};
  }

  // `message` names the database of `url` (user, host, port and name) and never the password,
  // nor does the server's log.
  void expect_safe_and_named(const std::string& message, const std::string& url) const {
    const std::string database = url.substr(url.rfind('/') + 1);
    EXPECT_NE(message.find("postgresql://labctl@127.0.0.1:" + std::to_string(server->port()) + "/" +
                           database),
              std::string::npos)
        << message;
    EXPECT_EQ(message.find(server->password()), std::string::npos) << message;
    EXPECT_EQ(labctl::testing::read_text(server->log_file()).find(server->password()),
              std::string::npos)
        << "the server log " << server->log_file() << " holds the password";
  }

  labctl::testing::PgServer* server = nullptr;
};

// Given a wrong password (the canary with a suffix) and an unknown database, expect a provider
// error naming the database without the password.
TEST_F(PostgresStore, ConnectionErrorsNameTheDatabaseNeverThePassword) {
  const std::string url = server->create_database();
  const std::string password = ":" + server->password() + "@";
  std::string wrong_password = url;
  wrong_password.replace(url.find(password), password.size(), ":" + server->password() + "-wrong@");
  const std::string unknown_database = url.substr(0, url.rfind('/')) + "/labctl_no_such_db";
  for (const auto& bad : {wrong_password, unknown_database}) {
    auto opened = Store::open(location_of(bad));
    ASSERT_FALSE(opened) << bad;
    EXPECT_EQ(opened.error().code, ExitCode::provider);
    expect_safe_and_named(opened.error().message, bad);
  }
}

// Given the server stopped under an open Store, expect a write to fail (ExitCode::provider)
// naming the database, never its password; with the server back, expect the same Store to
// reconnect and write again, a transaction included.
TEST_F(PostgresStore, AStoreReconnectsAfterTheServerRestarts) {
  // Later tests of this process use the shared server: started again however this one ends.
  struct StartAtEnd {
    labctl::testing::PgServer* server;
    ~StartAtEnd() {
      try {
        server->start();
      } catch (const std::exception& e) {
        ADD_FAILURE() << "restarting the PostgreSQL server: " << e.what();
      }
    }
  };
  const std::string url = server->create_database();
  auto opened = Store::open(location_of(url));
  ASSERT_TRUE(opened) << opened.error().message;
  Store& store = **opened;
  ASSERT_TRUE(store.add_event("r", "up", {}));
  {
    const StartAtEnd start_at_end{server};
    server->stop();
    auto failed = store.add_event("r", "lost", {});
    ASSERT_FALSE(failed);
    EXPECT_EQ(failed.error().code, ExitCode::provider);
    expect_safe_and_named(failed.error().message, url);
    server->start();
  }
  const auto written = store.add_event("r", "down", {});
  ASSERT_TRUE(written) << written.error().message;
  ResourceRecord row;
  row.run_id = "r";
  const auto intent = store.record_intent(row);  // a write transaction
  ASSERT_TRUE(intent) << intent.error().message;
  const auto events = store.events("r");
  ASSERT_TRUE(events) << events.error().message;
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[1].kind, "down");
}

}  // namespace
}  // namespace labctl::state
