#include <gtest/gtest.h>

#include "deploy/deploy.hpp"
#include "tests/support/temp_dir.hpp"

namespace labctl::deploy {
namespace {

using Json = nlohmann::json;

class DeployCore : public testing::TempDirTest {};

long long add_row(state::Store& store, const std::string& run_id, const std::string& name,
                  const Json& attrs) {
  state::ResourceRecord row;
  row.run_id = run_id;
  row.provider = "local";
  row.kind = "netns";
  row.name = name;
  const auto id = store.record_intent(row);
  EXPECT_TRUE(id);
  EXPECT_TRUE(store.mark_created(*id, name, attrs));
  return *id;
}

// Given rows with and without attrs.node.ssh, expect only the reachable ones, with defaults.
TEST_F(DeployCore, RunTargetsKeepsNodesWithAnSshEndpoint) {
  auto store = state::Store::open(tmp.path() / "state");
  ASSERT_TRUE(store) << store.error().message;
  state::RunRecord run;
  run.run_id = "20260101T000000Z-cloudedge-t";
  run.profile = "local";
  const auto id = (*store)->insert_run(run);
  ASSERT_TRUE(id);
  add_row(**store, *id, "router", {{"node", {{"name", "r"}, {"role", "router"}}}});
  add_row(**store, *id, "c1",
          {{"node",
            {{"name", "c1"},
             {"site", "aws"},
             {"role", "client"},
             {"ssh", {{"host", "198.18.9.2"}, {"port", 2222}, {"user", ""}, {"jump", ""}}}}}});
  const auto gone =
      add_row(**store, *id, "c2", {{"node", {{"name", "c2"}, {"ssh", {{"host", "198.18.9.6"}}}}}});
  ASSERT_TRUE((*store)->set_resource_state(gone, state::k_res_deleted));
  add_row(
      **store, *id, "c3",
      {{"node",
        {{"name", "c3"},
         {"ssh", {{"host", "198.18.9.10"}, {"user", "ops"}, {"jump", "bastion.example:2200"}}}}}});
  const auto targets = run_targets(**store, *id, "root");
  ASSERT_TRUE(targets) << targets.error().message;
  ASSERT_EQ(targets->size(), 2u);
  EXPECT_EQ((*targets)[0].name, "c1");
  EXPECT_EQ((*targets)[0].site, "aws");
  EXPECT_EQ((*targets)[0].ssh, (ssh::Endpoint{"198.18.9.2", 2222, "root"}));
  EXPECT_FALSE((*targets)[0].jump);
  EXPECT_EQ((*targets)[1].ssh.user, "ops");
  ASSERT_TRUE((*targets)[1].jump);
  EXPECT_EQ(*(*targets)[1].jump, (ssh::Endpoint{"bastion.example", 2200, "ops"}));
}

Request sample_request() {
  Request request;
  request.artifact = "/build/out/app it's.tgz";
  request.settings.remote_path = "/tmp/labctl-deploy/";
  request.settings.install_command = "tar xzf \"$LABCTL_ARTIFACT\"";
  request.settings.restart_command = "true";
  request.targets.push_back({"n1", "aws", "client", {"198.18.9.2", 22, "root"}, std::nullopt});
  return request;
}

// Given an artifact name with a quote, expect a remote command that exports it intact.
TEST(DeployCommands, RemoteCommandRunsInRemotePathWithQuotedEnvironment) {
  const auto request = sample_request();
  EXPECT_EQ(remote_file(request), "/tmp/labctl-deploy/app it's.tgz");
  EXPECT_EQ(remote_command(request, request.targets[0], "make install"),
            "cd '/tmp/labctl-deploy/' && export LABCTL_ARTIFACT='/tmp/labctl-deploy/app "
            "it'\\''s.tgz' LABCTL_NODE='n1' && make install");
}

// Given one passing and one failing node, expect the summary to count them and fail.
TEST(DeployCommands, SummaryCountsNodesAndFailsOnAnyFailure) {
  const auto request = sample_request();
  NodeResult ok{"n1", "aws", "root@a:22", true, "done", "", "SHA256:x", 0.5, ""};
  NodeResult bad{"n2", "oci", "root@b:22", false, "install", "install command exited with 2",
                 "",   0.2,   "boom"};
  const auto summary = summary_json(request, {ok, bad});
  EXPECT_EQ(summary["result"], "fail");
  EXPECT_EQ(summary["summary"]["passed"], 1);
  EXPECT_EQ(summary["summary"]["failed"], 1);
  EXPECT_EQ(summary["nodes"][1]["step"], "install");
  EXPECT_EQ(summary["nodes"][1]["outputTail"], "boom");
  EXPECT_EQ(summary_json(request, {ok})["result"], "pass");
  const auto table = results_table({ok, bad});
  EXPECT_NE(table.find("FAIL"), std::string::npos);
  EXPECT_NE(table.find("install command exited with 2"), std::string::npos);
  const auto plan = plan_json(request);
  EXPECT_EQ(plan["nodes"][0]["ssh"], "root@198.18.9.2:22");
  EXPECT_EQ(plan["installCommand"], request.settings.install_command);
}

TEST(DeployCommands, TailLinesKeepsTheLastLines) {
  EXPECT_EQ(tail_lines("a\nb\nc\n", 2), "b\nc\n");
  EXPECT_EQ(tail_lines("a\nb", 5), "a\nb");
  EXPECT_EQ(tail_lines("", 3), "");
}

// Given command output with ill-formed UTF-8, escapes and an overlong line, expect the tail's
// lines kept, each valid UTF-8 with its control characters visible and cut at 512 bytes.
TEST(DeployCommands, PrintableTailMakesOutsideOutputSafe) {
  EXPECT_EQ(printable_tail("a\nb\xff\n\x1b[2Jc\x07\n", 2), "b\xEF\xBF\xBD\n\\x1b[2Jc\\x07\n");
  EXPECT_EQ(printable_tail("plain\n", 5), "plain\n");
  EXPECT_EQ(printable_tail("", 5), "");
  const std::string tail = printable_tail(std::string(5000, 'x') + "\r\n", 1);
  EXPECT_LE(tail.size(), 512U + 3U + 1U);
  EXPECT_EQ(tail.find('\r'), std::string::npos);
}

}  // namespace
}  // namespace labctl::deploy
