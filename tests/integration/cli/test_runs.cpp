// `labctl runs list|show`: columns, the planned status of dry runs, --output, nodes.
#include <regex>

#include "tests/support/labctl_fixture.hpp"

namespace labctl::testing {
namespace {

const std::map<std::string, std::string> k_live{{"CE_DRY_RUN", "0"}, {"USER", "tester"}};

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

using RunsTest = LifecycleTest;

// Given a dry and a live run, expect the table's columns, "planned" for the dry one, the user
// who started each, its age and the time left before its TTL.
TEST_F(RunsTest, ListShowsOwnerAgeExpiresInAndPlanned) {
  const auto dry = labctl({"up", "--profile", profile_path.string(), "--ttl", "2h"},
                          {{"USER", "tester"}});
  ASSERT_EQ(dry.code, 0) << dry.err;
  const auto live = labctl({"up", "--profile", profile_path.string(), "--ttl", "2h"}, k_live);
  ASSERT_EQ(live.code, 0) << live.err;
  const auto list = labctl({"runs", "list"});
  ASSERT_EQ(list.code, 0) << list.err;
  EXPECT_TRUE(std::regex_search(
      list.out,
      std::regex(R"(^RUN ID +STATUS +OWNER +MACHINE +AGE +EXPIRES IN +PROFILE +PROVIDERS *\n)")))
      << list.out;
  const std::regex dry_row(first_line(dry.out) +
                           R"( +planned +tester@\S+ +\S+ +\d+s +1h59m +\S+ +testfs)");
  const std::regex live_row(first_line(live.out) +
                            R"( +up +tester@\S+ +\S+ +\d+s +1h59m +\S+ +testfs)");
  EXPECT_TRUE(std::regex_search(list.out, dry_row)) << list.out;
  EXPECT_TRUE(std::regex_search(list.out, live_row)) << list.out;
  EXPECT_EQ(labctl({"down", "--run-id", first_line(live.out)}, k_live).code, 0);
}

// Given --json (the original flag) and --output json, expect the same document; both at once
// is a usage error.
TEST_F(RunsTest, OutputJsonAndItsAlias) {
  const auto up = labctl({"up", "--profile", profile_path.string()}, {{"USER", "tester"}});
  ASSERT_EQ(up.code, 0) << up.err;
  const auto by_alias = labctl({"runs", "list", "--json"});
  const auto by_output = labctl({"runs", "list", "--output", "json"});
  ASSERT_EQ(by_alias.code, 0) << by_alias.err;
  EXPECT_EQ(by_alias.out, by_output.out);
  const auto runs = nlohmann::json::parse(by_alias.out);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0]["status"], "planned");
  EXPECT_TRUE(runs[0]["startedBy"].get<std::string>().starts_with("tester@")) << runs[0];
  const auto run_id = first_line(up.out);
  EXPECT_EQ(labctl({"runs", "show", run_id, "--json"}).out,
            labctl({"runs", "show", run_id, "--output", "json"}).out);
  EXPECT_EQ(labctl({"runs", "list", "--json", "--output", "table"}).code, 2);
  EXPECT_EQ(labctl({"runs", "list", "--output", "yaml"}).code, 2);
}

// Given a live run of three client nodes, expect `runs show --json` to list each node with its
// name, role, site, provider and addresses.
TEST_F(RunsTest, ShowJsonListsNodes) {
  const auto up = labctl({"up", "--profile", profile_path.string()}, k_live);
  ASSERT_EQ(up.code, 0) << up.err;
  const auto run_id = first_line(up.out);
  const auto run = show(run_id);
  ASSERT_TRUE(run.contains("nodes")) << run;
  ASSERT_EQ(run["nodes"].size(), 3u) << run["nodes"];
  for (const auto& node : run["nodes"]) {
    EXPECT_EQ(node["provider"], "testfs");
    EXPECT_EQ(node["role"], "client");
    EXPECT_TRUE(node["name"].get<std::string>().starts_with("node")) << node;
    EXPECT_TRUE(node.contains("site") && node["addresses"].is_object()) << node;
  }
  EXPECT_EQ(labctl({"down", "--run-id", run_id}, k_live).code, 0);
}

// Given runs started as CE_MACHINE=team-box-1 and as this host, expect `runs list` to show each
// one's machine in MACHINE and "machine" (--json), and `runs show` to include it.
TEST_F(RunsTest, ListAndShowTheMachineThatStartedEachRun) {
  const auto team = labctl({"up", "--profile", profile_path.string()},
                           {{"CE_MACHINE", "team-box-1"}});
  ASSERT_EQ(team.code, 0) << team.err;
  const auto here = labctl({"up", "--profile", profile_path.string()});
  ASSERT_EQ(here.code, 0) << here.err;
  const auto list = labctl({"runs", "list"});
  ASSERT_EQ(list.code, 0) << list.err;
  EXPECT_TRUE(std::regex_search(list.out, std::regex("^RUN ID +STATUS +OWNER +MACHINE ")))
      << list.out;
  EXPECT_TRUE(std::regex_search(
      list.out, std::regex(first_line(team.out) + R"( +planned +\S+ +team-box-1 +\d+s )")))
      << list.out;
  const auto runs = nlohmann::json::parse(labctl({"runs", "list", "--json"}).out);
  ASSERT_EQ(runs.size(), 2u) << runs;
  for (const auto& run : runs) {
    const bool is_team = run["runId"] == first_line(team.out);
    if (is_team) {
      EXPECT_EQ(run["machine"], "team-box-1") << run;
    } else {
      EXPECT_NE(run["machine"], "team-box-1") << run;
      EXPECT_FALSE(run["machine"].get<std::string>().empty()) << run;
    }
  }
  EXPECT_EQ(show(first_line(team.out))["machine"], "team-box-1");
  const auto shown = labctl({"runs", "show", first_line(team.out)});
  EXPECT_TRUE(std::regex_search(shown.out, std::regex(R"(\nmachine +team-box-1\n)"))) << shown.out;
}

}  // namespace
}  // namespace labctl::testing
