#include "core/run_lookup.hpp"

#include <gtest/gtest.h>

#include "tests/support/temp_dir.hpp"

namespace labctl::state {
namespace {

class RunLookup : public labctl::testing::TempDirTest {
 protected:
  void SetUp() override {
    auto opened = Store::open(tmp.path() / "state");
    ASSERT_TRUE(opened) << opened.error().message;
    store = std::move(*opened);
  }

  void add_run(const std::string& run_id, const std::string& created_at,
               const std::string& status) {
    RunRecord run;
    run.run_id = run_id;
    run.created_at = created_at;
    run.status = status;
    auto id = store->insert_run(run);
    ASSERT_TRUE(id) << id.error().message;
  }

  std::unique_ptr<Store> store;
};

TEST_F(RunLookup, GivenIdWinsOverTheLatestActiveRun) {
  add_run("20260601T000000Z-cloudedge-old", "2026-06-01T00:00:00Z", k_run_up);
  add_run("20260602T000000Z-cloudedge-new", "2026-06-02T00:00:00Z", k_run_up);
  auto run = resolve_run(*store, "20260601T000000Z-cloudedge-old", "deploy");
  ASSERT_TRUE(run) << run.error().message;
  EXPECT_EQ(run->run_id, "20260601T000000Z-cloudedge-old");
}

// Given a newer run that is down, expect the newest run that is not down.
TEST_F(RunLookup, NoIdMeansTheNewestRunThatIsNotDown) {
  add_run("20260601T000000Z-cloudedge-up", "2026-06-01T00:00:00Z", k_run_up);
  add_run("20260602T000000Z-cloudedge-gone", "2026-06-02T00:00:00Z", k_run_down);
  auto run = resolve_run(*store, "", "deploy");
  ASSERT_TRUE(run) << run.error().message;
  EXPECT_EQ(run->run_id, "20260601T000000Z-cloudedge-up");
}

// Given an unknown id, expect a usage error naming the command, the id, the state directory
// and where to look; every MissingRun but `none` refuses it.
TEST_F(RunLookup, UnknownIdIsAUsageErrorUnlessNoneIsFine) {
  const std::string id = "20200101T000000Z-cloudedge-x";
  for (const auto missing : {MissingRun::fail, MissingRun::none_if_no_id}) {
    auto run = find_run_or_latest(*store, id, "smoke", missing);
    ASSERT_FALSE(run);
    EXPECT_EQ(run.error().code, ExitCode::usage);
    EXPECT_EQ(run.error().message, "smoke: unknown run: no run " + id + " in " +
                                       (tmp.path() / "state").string() +
                                       " (see `labctl runs list`; set CE_STATE_DIR to where "
                                       "`labctl up` ran)");
  }
  auto none = find_run_or_latest(*store, id, "evidence", MissingRun::none);
  ASSERT_TRUE(none) << none.error().message;
  EXPECT_FALSE(*none);
}

// Given no active run and no id, expect a usage error saying how to get one, or nullopt for
// the callers that can work without a run.
TEST_F(RunLookup, NoActiveRunIsAUsageErrorOrNothing) {
  add_run("20260601T000000Z-cloudedge-gone", "2026-06-01T00:00:00Z", k_run_down);
  auto run = resolve_run(*store, "", "failover");
  ASSERT_FALSE(run);
  EXPECT_EQ(run.error().code, ExitCode::usage);
  EXPECT_EQ(run.error().message, "failover: no active run in " +
                                     (tmp.path() / "state").string() +
                                     "; bring one up with `labctl up`, or pass --run-id (see "
                                     "`labctl runs list`)");
  for (const auto missing : {MissingRun::none_if_no_id, MissingRun::none}) {
    auto none = find_run_or_latest(*store, "", "down", missing);
    ASSERT_TRUE(none) << none.error().message;
    EXPECT_FALSE(*none);
  }
}

}  // namespace
}  // namespace labctl::state
