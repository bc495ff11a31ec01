// Sites, SSH endpoints, matrices and the gateway baseline from the run's state, with stub
// runners (no network); and what a smoke records back into the run.
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/process.hpp"
#include "core/profile.hpp"
#include "core/state_store.hpp"
#include "matrix/smoke.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/fakes/env_map.hpp"
#include "tests/unit/matrix/stub_runners.hpp"

namespace labctl::matrix {
namespace {

using nlohmann::json;

class SmokeState : public labctl::testing::TempDirTest {
 protected:
  void SetUp() override {
    stubs::write_stub_runners(tmp.path());
    m_env["CE_STATE_DIR"] = (tmp.path() / "state").string();
    m_env["MATRIX_RUNNER"] = (tmp.path() / "r1").string();
    auto store = state::Store::open(tmp.path() / "state");
    ASSERT_TRUE(store) << store.error().message;
    m_store = std::move(*store);

    // A profile like the shipped local one, plus a matrix "pair".
    std::string yaml = labctl::testing::read_text(profile::shipped_dir() / "local.yaml");
    const std::string anchor = "matrices:\n";
    ASSERT_NE(yaml.find(anchor), std::string::npos);
    yaml.insert(yaml.find(anchor) + anchor.size(), "  pair: [oci, aws]\n");
    labctl::testing::write_text(tmp.path() / "lab.yaml", yaml);

    state::RunRecord run;
    run.run_id = "20260601T000000Z-state-test";
    run.profile = "lab";
    run.profile_path = (tmp.path() / "lab.yaml").string();
    run.status = state::k_run_up;
    auto id = m_store->insert_run(run);
    ASSERT_TRUE(id);
    m_run_id = *id;
    const std::vector<std::pair<std::string, std::string>> clients = {
        {"onprem", "10.77.60.10"}, {"aws", "10.77.60.11"}, {"azure", "10.77.60.12"}, {"oci", "10.77.60.13"}};
    add_node("aws-router", {{"site", "aws"}, {"role", "router"}, {"logical_address", "10.77.60.1"}});
    for (const auto& [site, ip] : clients) {
      add_node(site + "-client", {{"site", site}, {"role", "client"}, {"logical_address", ip},
                                  {"ssh", {{"host", "192.0.2.1"}, {"port", 22}, {"user", "u"}}}});
    }
  }

  void add_node(const std::string& name, const json& node) {
    state::ResourceRecord resource;
    resource.run_id = m_run_id;
    resource.provider = "local";
    resource.kind = "netns";
    resource.name = name;
    const auto id = m_store->record_intent(resource);
    ASSERT_TRUE(id);
    ASSERT_TRUE(m_store->mark_created(*id, name, {{"node", node}}));
  }

  Expected<ExitCode> run(const SmokeOptions& options) {
    m_stdout.str("");
    return smoke(options, labctl::testing::env_map(m_env), system_process_runner(), m_stdout);
  }

  std::map<std::string, std::string> m_env;
  std::unique_ptr<state::Store> m_store;
  std::string m_run_id;
  std::ostringstream m_stdout;
};

// Given a current run with 4 client nodes (and a router), expect its 12 flows, the baseline
// recorded at this first smoke, a smoke event and the latest matrix in the run's meta.
TEST_F(SmokeState, CurrentRunSuppliesSitesAndRecordsTheSmoke) {
  SmokeOptions options;
  options.out = (tmp.path() / "m.json").string();
  const auto code = run(options);
  ASSERT_TRUE(code) << code.error().message;
  EXPECT_EQ(*code, ExitCode::ok);
  const json matrix = json::parse(m_stdout.str());
  ASSERT_EQ(matrix["flows"].size(), 12U);
  EXPECT_EQ(matrix["flows"][0]["src"], "onprem");
  EXPECT_EQ(matrix["flows"][0]["dstIp"], "10.77.60.11");

  const auto baseline = m_store->get_meta(m_run_id, "matrix.default_gw_baseline");
  ASSERT_TRUE(baseline && *baseline);
  EXPECT_EQ(**baseline, (json{{"onprem", "10.77.60.1"}, {"aws", "10.77.60.1"},
                              {"azure", "10.77.60.1"}, {"oci", "10.77.60.1"}}));
  const auto events = m_store->events(m_run_id);
  ASSERT_TRUE(events);
  ASSERT_EQ(events->size(), 1U);
  EXPECT_EQ((*events)[0].kind, "smoke");
  EXPECT_EQ((*events)[0].detail["passed"], 12);
  EXPECT_EQ((*events)[0].detail["result"], "pass");
  EXPECT_EQ((*events)[0].detail["out"], options.out);
  const auto latest = m_store->get_meta(m_run_id, "matrix.latest");
  ASSERT_TRUE(latest && *latest);
  EXPECT_EQ(**latest, matrix);
}

// Given a stored baseline that differs for aws, expect aws's flows to fail defaultGwUnchanged.
TEST_F(SmokeState, StoredBaselineIsTheReference) {
  ASSERT_TRUE(m_store->set_meta(m_run_id, "matrix.default_gw_baseline",
                                {{"onprem", "10.77.60.1"}, {"aws", "10.77.60.254"},
                                 {"azure", "10.77.60.1"}, {"oci", "10.77.60.1"}}));
  SmokeOptions options;
  options.run_id = m_run_id;
  const auto code = run(options);
  ASSERT_TRUE(code);
  EXPECT_EQ(*code, ExitCode::check_failed);
  const json matrix = json::parse(m_stdout.str());
  EXPECT_EQ(matrix["summary"]["passed"], 9);
  for (const auto& flow : matrix["flows"]) {
    EXPECT_EQ(flow["defaultGwUnchanged"], flow["src"] == "aws" ? "fail" : "pass") << flow.dump();
  }
  // The stored baseline is kept, not overwritten by what was observed.
  EXPECT_EQ((**m_store->get_meta(m_run_id, "matrix.default_gw_baseline"))["aws"], "10.77.60.254");
}

TEST_F(SmokeState, ProfileMatrixSelectsSitesInItsOrder) {
  SmokeOptions options;
  options.matrix = "pair";
  const auto code = run(options);
  ASSERT_TRUE(code) << code.error().message;
  const json matrix = json::parse(m_stdout.str());
  ASSERT_EQ(matrix["flows"].size(), 2U);
  EXPECT_EQ(matrix["flows"][0]["src"], "oci");
  EXPECT_EQ(matrix["flows"][0]["dst"], "aws");
}

TEST_F(SmokeState, UnknownMatrixListsTheKnownOnes) {
  SmokeOptions options;
  options.matrix = "nope";
  const auto code = run(options);
  ASSERT_FALSE(code);
  EXPECT_EQ(code.error().code, ExitCode::usage);
  EXPECT_NE(code.error().message.find("unknown matrix: nope (known: d3, pair)"), std::string::npos)
      << code.error().message;
}

TEST_F(SmokeState, UnknownRunIdIsAUsageError) {
  SmokeOptions options;
  options.run_id = "20990101T000000Z-nope";
  const auto code = run(options);
  ASSERT_FALSE(code);
  EXPECT_EQ(code.error().code, ExitCode::usage);
  EXPECT_NE(code.error().message.find("unknown run"), std::string::npos);
}

// Given --sites without --run-id, expect the current run to be left alone (no event).
TEST_F(SmokeState, ExplicitSitesWithoutRunIdIgnoreTheCurrentRun) {
  SmokeOptions options;
  options.sites = "onprem=10.77.60.10,aws=10.77.60.11";
  ASSERT_TRUE(run(options));
  EXPECT_EQ(json::parse(m_stdout.str())["flows"].size(), 2U);
  EXPECT_TRUE(m_store->events(m_run_id)->empty());
}

}  // namespace
}  // namespace labctl::matrix
