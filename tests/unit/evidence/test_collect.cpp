#include "evidence/collect.hpp"

#include <cstdlib>

#include <gtest/gtest.h>

#include "core/state_store.hpp"
#include "core/time.hpp"
#include "tests/fakes/manual_clock.hpp"
#include "tests/fakes/recording_process_runner.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/unit/evidence/fixtures.hpp"
#include "tests/unit/evidence/journal_rows.hpp"

namespace labctl::evidence {
namespace {

using labctl::testing::read_text;
using labctl::testing::write_text;
using nlohmann::json;

using Runner = labctl::testing::RecordingProcessRunner;

class Collect : public labctl::testing::TempDirTest {
 protected:
  void SetUp() override {
    setenv("CE_STATE_DIR", (tmp.path() / "state").c_str(), 1);
    unsetenv("CE_ACCEPTANCE_SCENARIOS");
    // The process edge answers like git would, unless a test scripts another answer first.
    runner.set_handler([](const ProcessRequest&) -> Expected<ProcessResult> {
      return Runner::exited(0, "0123abcd\n");
    });
  }
  void TearDown() override { unsetenv("CE_STATE_DIR"); }

  // A run in the store with events and a stored smoke matrix, as up/smoke would leave it.
  std::string add_run(const std::string& status, bool dry_run) {
    auto store = state::Store::open(tmp.path() / "state");
    EXPECT_TRUE(store.has_value());
    state::RunRecord run;
    run.run_id = "20260601T000000Z-cloudedge-d3-4site-directed-matrix";
    run.scenario = "d3-4site-directed-matrix";
    run.providers = {"onprem", "aws"};
    run.ttl_seconds = 5400;
    run.status = status;
    run.dry_run = dry_run;
    auto id = (*store)->insert_run(run);
    EXPECT_TRUE(id.has_value());
    EXPECT_TRUE((*store)->add_event(*id, "up", {{"providers", "onprem,aws"}}).has_value());
    EXPECT_TRUE((*store)->add_event(*id, "smoke", {{"result", "pass"}}).has_value());
    EXPECT_TRUE((*store)
                    ->set_meta(*id, "matrix.latest", testing::make_matrix({"onprem", "aws"}))
                    .has_value());
    return *id;
  }

  CollectOptions options() const {
    CollectOptions o;
    o.out_dir = tmp.path() / "out";
    return o;
  }

  Runner runner;
  labctl::testing::ManualClock clock{*parse_rfc3339("2026-06-01T12:34:56Z")};
};

TEST_F(Collect, NoStoreNoInputsWritesAFailBundleWithAGeneratedRunId) {
  const auto outcome = collect(options(), runner, clock);
  ASSERT_TRUE(outcome.has_value()) << outcome.error().message;
  EXPECT_EQ(outcome->result, "fail");
  const json result = json::parse(read_text(outcome->result_path));
  EXPECT_EQ(result["runId"], "20260601T123456Z-cloudedge-adhoc");
  EXPECT_EQ(result["scenario"], "adhoc");
  EXPECT_EQ(result["commit"], "0123abcd");
  ASSERT_EQ(runner.requests().size(), 1u);
  EXPECT_EQ(runner.requests()[0].argv, (std::vector<std::string>{"git", "rev-parse", "HEAD"}));
  EXPECT_FALSE(std::filesystem::exists(tmp.path() / "state"));  // collect creates no store
}

TEST_F(Collect, CommitFallsBackToUnknownWithoutGit) {
  runner.push(Runner::exited(128, "0123abcd\n"));
  const auto outcome = collect(options(), runner, clock);
  ASSERT_TRUE(outcome.has_value());
  EXPECT_EQ(json::parse(read_text(outcome->result_path))["commit"], "unknown");
}

// Given a known run with a stored smoke matrix, expect its providers, TTL, state, events and
// matrix in the bundle, and the scenario taken from the run.
TEST_F(Collect, KnownRunFeedsTheBundle) {
  const std::string run_id = add_run("up", false);
  auto o = options();
  o.commit = "offline";
  const auto outcome = collect(o, runner, clock);  // no --run-id: the latest active run
  ASSERT_TRUE(outcome.has_value()) << outcome.error().message;
  const json result = json::parse(read_text(outcome->result_path));
  EXPECT_EQ(result["runId"], run_id);
  EXPECT_EQ(result["scenario"], "d3-4site-directed-matrix");
  EXPECT_EQ(result["costGuard"], json({{"ttlHours", 1.5}, {"teardown", "pending"}}));
  EXPECT_EQ(result["providers"]["aws"]["dataplane"], "pass");
  EXPECT_EQ(result["providers"]["oci"]["dataplane"], "skip");
  // d3 expects 12 directed flows; the stored 2-site matrix has 2, so the run fails honestly.
  EXPECT_EQ(result["result"], "fail");
  const json timeline = json::parse(read_text(o.out_dir / "timeline.json"));
  ASSERT_EQ(timeline["events"].size(), 2u);
  EXPECT_EQ(timeline["events"][1]["kind"], "smoke");
  EXPECT_FALSE(timeline["events"][0]["ts"].get<std::string>().empty());
  EXPECT_TRUE(std::filesystem::exists(o.out_dir / "connectivity-matrix.json"));
  EXPECT_TRUE(runner.requests().empty());  // --commit given: git is not asked
}

TEST_F(Collect, ExplicitMatrixWinsOverTheStoredOne) {
  const std::string run_id = add_run("down", true);
  write_text(tmp.path() / "m.json", testing::make_matrix(testing::k_four_sites).dump());
  auto o = options();
  o.run_id = run_id;
  o.commit = "offline";
  o.matrix_json = tmp.path() / "m.json";
  const auto outcome = collect(o, runner, clock);
  ASSERT_TRUE(outcome.has_value()) << outcome.error().message;
  const json result = json::parse(read_text(outcome->result_path));
  EXPECT_EQ(result["result"], "pass");
  EXPECT_EQ(result["costGuard"]["teardown"], "skipped");
  EXPECT_EQ(read_text(o.out_dir / "connectivity-matrix.json"), read_text(tmp.path() / "m.json"));
}

TEST_F(Collect, HostileRunIdIsAUsageErrorNamingTheFlag) {
  for (const char* bad : {"x\"; rm -rf /", "20260601T000000Z-cloudedge-a b",
                          "20260601T000000Z-cloudedge-\n", "../../etc/passwd", ""}) {
    auto o = options();
    o.run_id = bad;
    const auto outcome = collect(o, runner, clock);
    ASSERT_FALSE(outcome.has_value()) << bad;
    EXPECT_EQ(outcome.error().code, ExitCode::usage);
    EXPECT_NE(outcome.error().message.find("--run-id"), std::string::npos);
    EXPECT_EQ(outcome.error().message.find('\n'), std::string::npos) << "escaped in the message";
  }
  EXPECT_FALSE(std::filesystem::exists(tmp.path() / "out"));
}

// Given a run whose preflight is in the store, expect preflight.json and its summary section;
// result.json keeps its shape.
TEST_F(Collect, StoredPreflightIsIncluded) {
  const std::string run_id = add_run("up", false);
  const json preflight = testing::preflight_document("pass");
  {
    auto store = state::Store::open(tmp.path() / "state");
    ASSERT_TRUE(store.has_value());
    ASSERT_TRUE((*store)->set_meta(run_id, "preflight", preflight).has_value());
  }
  auto o = options();
  o.commit = "offline";
  const auto outcome = collect(o, runner, clock);
  ASSERT_TRUE(outcome.has_value()) << outcome.error().message;
  EXPECT_EQ(json::parse(read_text(o.out_dir / "preflight.json")), preflight);
  EXPECT_NE(read_text(o.out_dir / "MANIFEST.sha256").find("  preflight.json\n"), std::string::npos);
  EXPECT_NE(read_text(o.out_dir / "summary.md").find("- ENI: eni-0a1b2c3d, sourceDestCheck: true"),
            std::string::npos);
  EXPECT_FALSE(json::parse(read_text(outcome->result_path)).contains("preflight"));
}

TEST_F(Collect, RunWithoutPreflightHasNoCopy) {
  add_run("up", false);
  auto o = options();
  o.commit = "offline";
  ASSERT_TRUE(collect(o, runner, clock).has_value());
  EXPECT_FALSE(std::filesystem::exists(o.out_dir / "preflight.json"));
  EXPECT_EQ(read_text(o.out_dir / "summary.md").find("## Preflight"), std::string::npos);
}

// Given the run's journal (two captures, a seize, a fenced replay), expect the four fencing
// assertions in result.json to pass with the records named.
TEST_F(Collect, JournalFeedsTheFencingAssertions) {
  const std::string run_id = add_run("up", false);
  {
    auto store = state::Store::open(tmp.path() / "state");
    ASSERT_TRUE(store.has_value());
    testing::journal_row(**store, testing::capture_row(run_id, "k1", 1), journal::k_succeeded);
    testing::journal_row(**store, testing::seize_row(run_id, "k2", 2), journal::k_succeeded,
                         {{"previousHolderHasAddress", false}});
    journal::ActionRow replay = testing::capture_row(run_id, "k1:replay", 1);
    replay.source = "stale-replay";
    replay.parameters["replayOf"] = "k1";
    testing::journal_row(**store, replay, journal::k_skipped, {},
                         "stale action fenced: epoch 1 < current 2");
  }
  auto o = options();
  o.commit = "offline";
  const auto outcome = collect(o, runner, clock);
  ASSERT_TRUE(outcome.has_value()) << outcome.error().message;
  const json result = json::parse(read_text(outcome->result_path));
  json by_name;
  for (const json& a : result["assertions"]) {
    by_name[a["name"].get<std::string>()] = a;
  }
  EXPECT_EQ(by_name["ownership_epoch_bumped"]["result"], "pass");
  EXPECT_EQ(by_name["ownership_epoch_bumped"]["detail"],
            "epochs 1 -> 2 for 198.18.0.50 (keys k1, k2)");
  EXPECT_EQ(by_name["allow_reassignment_maintained_until_success"]["result"], "pass");
  EXPECT_EQ(by_name["old_holder_residue_absent"]["result"], "pass");
  EXPECT_EQ(by_name["stale_action_fenced"]["result"], "pass");
}

// Given a live run already torn down (down recorded after up, deploy and smoke), expect the
// collect to work from its id: teardown completed, provisioning and deploy times in
// qualificationTimings, and the lifecycle with the teardown in the report.
TEST_F(Collect, TornDownRunShowsTheTeardownAndItsTimings) {
  const std::string run_id = add_run("down", false);
  {
    auto store = state::Store::open(tmp.path() / "state");
    ASSERT_TRUE(store.has_value());
    for (const auto& [kind, detail] : std::vector<std::pair<std::string, json>>{
             {"up", {{"result", "completed"}, {"infraProvisionSeconds", 6.5}}},
             {"deploy", {{"node", "r1"}, {"site", "onprem"}, {"result", "pass"}, {"seconds", 2.5}}},
             {"deploy", {{"kind", "summary"}, {"result", "pass"}}},
             {"down", {{"result", "completed"}, {"deleted", 14}, {"discovered", 0}}}}) {
      ASSERT_TRUE((*store)->add_event(run_id, kind, detail).has_value());
    }
  }
  auto o = options();
  o.run_id = run_id;  // a run that is down is no longer the latest active one
  o.commit = "offline";
  const auto outcome = collect(o, runner, clock);
  ASSERT_TRUE(outcome.has_value()) << outcome.error().message;
  const json result = json::parse(read_text(outcome->result_path));
  EXPECT_EQ(result["costGuard"]["teardown"], "completed");
  EXPECT_DOUBLE_EQ(result["qualificationTimings"]["infraProvisionSeconds"].get<double>(), 6.5);
  EXPECT_DOUBLE_EQ(result["qualificationTimings"]["deployRouterdReadySeconds"].get<double>(), 2.5);
  const std::string html = read_text(o.out_dir / "report.html");
  EXPECT_NE(html.find("teardown completed: 14 resource(s) confirmed deleted"), std::string::npos);
  EXPECT_NE(html.find("<tr><th>infrastructure provisioning</th><td>6.5 s</td></tr>"),
            std::string::npos);
  EXPECT_NE(read_text(o.out_dir / "summary.md").find("| deploy to routerd ready | 2.5 s |"),
            std::string::npos);
}

TEST_F(Collect, MissingOutAndBadResultAreUsageErrors) {
  CollectOptions no_out;
  EXPECT_EQ(collect(no_out, runner, clock).error().message, "evidence collect: --out is required");
  auto o = options();
  o.result = "maybe";
  EXPECT_EQ(collect(o, runner, clock).error().code, ExitCode::usage);
}

// Given a timing file whose values break the schema, expect every error reported, exit 1 and
// no result.json (an earlier one is removed).
TEST_F(Collect, InvalidAssemblyWritesNothing) {
  write_text(tmp.path() / "out" / "result.json", "{\"stale\": true}");
  write_text(
      tmp.path() / "t.json",
      R"({"status":"bogus","events":[{"provider":"aws","recoverySeconds":-1,"recoveryUnderThreshold":"pass"}]})");
  auto o = options();
  o.commit = "offline";
  o.timing_json = tmp.path() / "t.json";
  const auto outcome = collect(o, runner, clock);
  ASSERT_FALSE(outcome.has_value());
  EXPECT_EQ(outcome.error().code, ExitCode::check_failed);
  EXPECT_NE(outcome.error().message.find("failed validation"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(tmp.path() / "out" / "result.json"));
  EXPECT_FALSE(std::filesystem::exists(tmp.path() / "out" / "summary.md"));
}

}  // namespace
}  // namespace labctl::evidence
