#include <set>
#include <sstream>

#include "tests/support/labctl_fixture.hpp"

namespace labctl::testing {
namespace {

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// Given the full profile in dry mode, expect only the run-id on stdout, the AWS plan (with
// tags in the create calls), the OCI plan (Core requests, the compartment a placeholder without
// credentials) and the Azure plan (ARM requests, the subscription a placeholder when none is
// configured) on stderr, no stub notice, and the run listed.
TEST_F(LifecycleTest, DryUpFullPrintsRunIdAndPlanAndIsListed) {
  const auto up = labctl({"up", "--profile", "full", "--scenario", "my scen/ario!"});
  ASSERT_EQ(up.code, 0) << up.err;
  const auto out = lines(up.out);
  ASSERT_EQ(out.size(), 1u) << up.out;
  EXPECT_TRUE(looks_like_run_id(out[0])) << out[0];
  EXPECT_NE(out[0].find("-cloudedge-my-scen-ario"), std::string::npos);
  for (const char* fragment :
       {"[dry] would send aws #", "CreateKeyPair", "CreateSecurityGroup", "RunInstances",
        "TagSpecification.1.Tag.1.Key=routerd.cloudedge.run_id", "ClientToken=labctl-",
        "would send oci #1 POST", "path=/vcns", "\"compartmentId\":\"{{compartment}}\"",
        "would send azure #1 PUT", "path=/subscriptions/{{subscription}}/",
        "api-version=2022-09-01", "ssh-verify", "nothing was sent"}) {
    EXPECT_NE(up.err.find(fragment), std::string::npos) << fragment << "\n" << up.err;
  }
  EXPECT_EQ(up.err.find("STUB"), std::string::npos) << up.err;
  const auto list = labctl({"runs", "list"});
  EXPECT_EQ(list.code, 0);
  EXPECT_NE(list.out.find(out[0]), std::string::npos) << list.out;
  const auto run = show(out[0]);
  EXPECT_EQ(run["status"], "planned") << "a dry run that reached up created nothing";
  EXPECT_EQ(run["dryRun"], true);
  EXPECT_EQ(run["providers"], nlohmann::json({"aws", "oci", "azure", "onprem"}));
  EXPECT_TRUE(run["resources"].empty()) << "a dry run creates nothing";
}

// Given a run of the testfs profile, expect a dry failover (with --measure too) to print one
// JSON result with dryRun true naming the run and what it would do, and a fault for a provider
// the run does not have to be exit 2 with nothing on stdout, dry or live.
TEST_F(LifecycleTest, DryFailoverPrintsJsonAndAnAbsentProviderIsUsage) {
  const auto up = labctl({"up", "--profile", profile_path.string()});
  ASSERT_EQ(up.code, 0) << up.err;
  const std::string run_id = lines(up.out).at(0);
  const auto dry = labctl({"failover", "--provider", "testfs", "--fault", "stop-active",
                           "--measure", "--run-id", run_id});
  ASSERT_EQ(dry.code, 0) << dry.err;
  ASSERT_EQ(lines(dry.out).size(), 1u) << dry.out;
  const auto result = nlohmann::json::parse(dry.out, nullptr, false);
  EXPECT_EQ(result["dryRun"], true) << dry.out;
  EXPECT_EQ(result["command"], "failover");
  EXPECT_EQ(result["runId"], run_id);
  ASSERT_EQ(result["actions"].size(), 1u) << dry.out;
  EXPECT_EQ(result["actions"][0]["provider"], "testfs");
  EXPECT_EQ(result["actions"][0]["action"], "inject");
  EXPECT_EQ(result["actions"][0]["measure"], true);
  EXPECT_NE(dry.err.find("[dry] would inject 'stop-active' on provider 'testfs'"),
            std::string::npos)
      << dry.err;

  const auto live_up = labctl({"up", "--profile", profile_path.string()}, {{"CE_DRY_RUN", "0"}});
  ASSERT_EQ(live_up.code, 0) << live_up.err;
  for (const std::string mode : {"1", "0"}) {
    const auto absent = labctl({"failover", "--provider", "aws", "--fault", "stop-active"},
                               {{"CE_DRY_RUN", mode}});
    EXPECT_EQ(absent.code, 2) << "CE_DRY_RUN=" << mode << ": " << absent.err;
    EXPECT_NE(absent.err.find("has no provider 'aws' (its providers: testfs)"),
              std::string::npos)
        << absent.err;
    EXPECT_EQ(absent.out, "");
  }
}

TEST_F(LifecycleTest, ProviderOrderModes) {
  const std::vector<std::pair<std::string, nlohmann::json>> cases{
      {"declared", {"aws", "oci", "azure", "onprem"}},
      {"cost-optimized", {"onprem", "oci", "aws", "azure"}},
      {"slow-first", {"onprem", "oci", "aws", "azure"}},
      {"fast-first", {"aws", "azure", "oci", "onprem"}}};
  for (const auto& [mode, expected] : cases) {
    const auto up = labctl({"up", "--profile", "full", "--provider-order", mode, "--ttl", "1h"});
    ASSERT_EQ(up.code, 0) << mode << ": " << up.err;
    const auto run = show(lines(up.out).at(0));
    EXPECT_EQ(run["providers"], expected) << mode;
    EXPECT_EQ(run["providerOrder"], mode);
  }
  const auto from_env = labctl({"up", "--profile", "full"}, {{"CE_PROVIDER_ORDER", "fast-first"}});
  ASSERT_EQ(from_env.code, 0) << from_env.err;
  EXPECT_EQ(show(lines(from_env.out).at(0))["providerOrder"], "fast-first");
}

TEST_F(LifecycleTest, ProviderListToleratesWhitespace) {
  const auto up = labctl({"up", "--profile", "full", "--provider", " aws , oci "});
  ASSERT_EQ(up.code, 0) << up.err;
  EXPECT_EQ(show(lines(up.out).at(0))["providers"], nlohmann::json({"aws", "oci"}));
}

TEST_F(LifecycleTest, DryRunValuesOnlyZeroIsLive) {
  for (const std::string value : {"\x01unset", "1", "yes", "", "false", "00"}) {
    const auto up = labctl({"up", "--profile", profile_path.string()}, {{"CE_DRY_RUN", value}});
    ASSERT_EQ(up.code, 0) << up.err;
    EXPECT_EQ(testfs_files(), 0u) << "CE_DRY_RUN=" << value << " must be dry";
  }
  const auto live = labctl({"up", "--profile", profile_path.string()}, {{"CE_DRY_RUN", "0"}});
  ASSERT_EQ(live.code, 0) << live.err;
  EXPECT_EQ(testfs_files(lines(live.out).at(0)), 3u);
}

// Run-ids are taken in the state store's write transaction: on each store.
using ConcurrentUp = StoreLifecycleTest;

// Given many `up`s in the same second from separate processes, expect distinct run-ids.
TEST_P(ConcurrentUp, RunIdsAreUniqueAcrossConcurrentProcesses) {
  std::vector<std::unique_ptr<Spawned>> ups;
  for (int i = 0; i < 6; ++i) ups.push_back(spawn({"up", "--profile", "full", "--scenario", "same"}));
  std::set<std::string> ids;
  for (auto& up : ups) {
    ASSERT_EQ(up->wait(), 0) << up->err();
    const auto out = lines(up->out());
    ASSERT_EQ(out.size(), 1u);
    EXPECT_TRUE(looks_like_run_id(out[0])) << out[0];
    ids.insert(out[0]);
  }
  EXPECT_EQ(ids.size(), 6u);
}

INSTANTIATE_TEST_SUITE_P(Stores, ConcurrentUp, k_both_stores, store_kind_name);

TEST_F(LifecycleTest, JsonLogFormatIsNdjson) {
  const auto up = labctl({"--log-format", "json", "up", "--profile", "full"});
  ASSERT_EQ(up.code, 0) << up.err;
  std::size_t events = 0;
  for (const auto& line : lines(up.err)) {
    const auto event = nlohmann::json::parse(line, nullptr, false);
    ASSERT_FALSE(event.is_discarded()) << line;
    EXPECT_TRUE(event.contains("ts") && event.contains("level") && event.contains("event"));
    EXPECT_EQ(event["run_id"], lines(up.out).at(0));
    ++events;
  }
  EXPECT_GT(events, 10u);
  const auto env_form = labctl({"up", "--profile", "full"}, {{"CE_LOG_FORMAT", "json"}});
  ASSERT_EQ(env_form.code, 0);
  EXPECT_EQ(env_form.err.front(), '{');
}

}  // namespace
}  // namespace labctl::testing
