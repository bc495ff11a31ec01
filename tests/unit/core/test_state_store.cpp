#include "core/state_store.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/sqlite_util.hpp"
#include "tests/support/temp_dir.hpp"

namespace labctl::state {
namespace {

using labctl::testing::TempDirTest;

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

TEST_F(TempDirTest, RunRoundTripAndSameSecondUniqueness) {
  auto store = *Store::open(tmp.path());
  const auto first = store->insert_run(sample_run("20260601T030000Z-cloudedge-full"));
  const auto second = store->insert_run(sample_run("20260601T030000Z-cloudedge-full"));
  ASSERT_TRUE(first && second);
  EXPECT_EQ(*first, "20260601T030000Z-cloudedge-full");
  EXPECT_EQ(*second, "20260601T030000Z-cloudedge-full-2");
  const auto found = store->find_run(*second);
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((*found)->providers, (std::vector<std::string>{"aws", "onprem"}));
  EXPECT_EQ((*found)->ttl_seconds, 3600);
  EXPECT_EQ(store->list_runs()->size(), 2u);
  ASSERT_TRUE(store->set_run_status(*first, k_run_down));
  const auto latest = store->latest_active_run();
  ASSERT_TRUE(latest && *latest);
  EXPECT_EQ((*latest)->run_id, *second);
}

TEST_F(TempDirTest, ResourcesKeepCreationOrderAndMergeAttrs) {
  auto store = *Store::open(tmp.path());
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
TEST_F(TempDirTest, BatchesOfRowsAndOutcomesJoinAnOuterTransaction) {
  auto store = *Store::open(tmp.path());
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
    Transaction outer(store->handle());
    ASSERT_TRUE(outer.begin());
    std::vector<ResourceRecord> more(1, rows[0]);
    ASSERT_TRUE(store->record_intents(more));  // joins `outer`, commits nothing itself
    ASSERT_TRUE(store->set_resource_states({{rows[1].id, k_res_deleted, ""}}));
  }  // `outer` rolls back
  stored = *store->resources(run);
  EXPECT_EQ(stored.size(), 3u);
  EXPECT_EQ(stored[1].state, k_res_created);
}

TEST_F(TempDirTest, EventsAndMeta) {
  auto store = *Store::open(tmp.path());
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

// Given a live process holding a run's lease, expect a refusal naming its pid; once that
// process is dead, expect the lease to be taken over.
TEST_F(TempDirTest, LeaseRefusesLiveHolderAndTakesOverDeadOne) {
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto store = Store::open(tmp.path());
    if (!store) _exit(2);
    auto lease = (*store)->acquire_lease("run-1", "up");
    if (!lease) _exit(3);
    const char ok = 'y';
    if (write(ready[1], &ok, 1) != 1) _exit(4);
    pause();
    _exit(0);
  }
  char c = 0;
  ASSERT_EQ(read(ready[0], &c, 1), 1);
  auto store = *Store::open(tmp.path());
  auto refused = store->acquire_lease("run-1", "down");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ExitCode::refused);
  EXPECT_NE(refused.error().message.find("pid " + std::to_string(child)), std::string::npos)
      << refused.error().message;
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  auto taken = store->acquire_lease("run-1", "down");
  ASSERT_TRUE(taken) << taken.error().message;
  taken->release();
  auto again = store->acquire_lease("run-1", "down");
  EXPECT_TRUE(again);
  close(ready[0]);
  close(ready[1]);
}

}  // namespace
}  // namespace labctl::state
