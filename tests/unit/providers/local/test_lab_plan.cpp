#include "providers/local/lab_plan.hpp"

#include <algorithm>
#include <set>

#include <gtest/gtest.h>
#include <unistd.h>

#include "tests/unit/providers/local/local_fixture.hpp"

namespace labctl::providers::local {
namespace {

using LocalPlan = LocalFixture;

std::size_t index_of(const Plan& plan, const std::string& action, const std::string& name) {
  for (std::size_t i = 0; i < plan.operations.size(); ++i) {
    if (plan.operations[i].action == action && plan.operations[i].resource_name == name) return i;
  }
  ADD_FAILURE() << "no " << action << " " << name;
  return plan.operations.size();
}

TEST_F(LocalPlan, StartsWithRunDirAndMetadataThenEveryNamespace) {
  auto plan = provider_->plan_up(ctx());
  ASSERT_TRUE(plan) << plan.error().message;
  ASSERT_GT(plan->operations.size(), 2u);
  EXPECT_EQ(plan->operations[0].action, "mkdir");
  EXPECT_EQ(plan->operations[0].params["path"],
            (tmp.path() / "state" / "runs" / run_.run_id / "local").string());
  const auto& meta = plan->operations[1];
  EXPECT_EQ(meta.resource_name, "metadata");
  EXPECT_EQ(meta.params["path"], (tmp.path() / "meta" / (run_.run_id + ".json")).string());
  const auto content = nlohmann::json::parse(meta.params["content"].get<std::string>());
  EXPECT_EQ(content["run_id"], run_.run_id);
  EXPECT_EQ(content["ttl_expires_at"], run_.ttl_expires_at);
  std::set<std::string> planned;
  for (const auto& op : plan->operations) {
    if (op.action == "netns add") planned.insert(op.params["netns"].get<std::string>());
    if (!op.resource_kind.empty()) {
      EXPECT_TRUE(std::set<std::string>({"dir", "file", "netns", "link", "process"})
                      .contains(op.resource_kind))
          << op.resource_kind;
    }
  }
  const auto listed = content["netns"].get<std::set<std::string>>();
  EXPECT_EQ(planned, listed);
  EXPECT_EQ(planned.size(), 1u + 4u + 9u);  // transit, 4 site switches, 9 nodes
}

TEST_F(LocalPlan, ClientNodesCarryTheMatrixContract) {
  auto plan = provider_->plan_up(ctx());
  ASSERT_TRUE(plan);
  const auto& op = plan->operations[index_of(*plan, "netns add", "azure-client")];
  const auto& node = op.params["node"];
  EXPECT_EQ(node["site"], "azure");
  EXPECT_EQ(node["role"], "client");
  EXPECT_EQ(node["logical_address"], "198.18.0.12");
  EXPECT_EQ(node["ssh"]["port"], 22);
  EXPECT_EQ(node["ssh"]["user"], "root");
  EXPECT_EQ(node["ssh"]["jump"], "");
  const std::string host = node["ssh"]["host"];
  EXPECT_TRUE(host.starts_with("198.1")) << host;
  EXPECT_NE(host, "198.18.0.12");  // the management path, not the logical address
}

TEST_F(LocalPlan, SingleRoutersCarryRemoteClientsAsHostRoutesViaTransitGateways) {
  auto plan = provider_->plan_up(ctx());
  ASSERT_TRUE(plan);
  const auto ns = netns_prefix(run_.run_id) + "onprem-router";
  std::vector<std::string> routes;
  for (const auto& op : plan->operations) {
    if (op.action != "route add") continue;
    const auto argv = op.params["argv"].get<std::vector<std::string>>();
    if (argv[2] == ns) routes.push_back(argv[5] + " via " + argv[7]);
  }
  EXPECT_EQ(routes, (std::vector<std::string>{"198.18.0.11/32 via 198.19.0.20",
                                              "198.18.0.12/32 via 198.19.0.30",
                                              "198.18.0.13/32 via 198.19.0.40"}));
}

TEST_F(LocalPlan, DaemonsStartAfterTheirFiles) {
  auto plan = provider_->plan_up(ctx());
  ASSERT_TRUE(plan);
  const auto sshd = index_of(*plan, "start sshd", "aws-client-sshd");
  EXPECT_LT(index_of(*plan, "write file", "aws-client-sshd-config"), sshd);
  EXPECT_LT(index_of(*plan, "ssh-keygen", "aws-client-host-key"), sshd);
  EXPECT_LT(index_of(*plan, "write file", "known-hosts"), sshd);
  const auto keepalived = index_of(*plan, "start keepalived", "aws-router-b-keepalived");
  EXPECT_LT(index_of(*plan, "write file", "aws-router-b-drain"), keepalived);
  EXPECT_EQ(plan->operations.back().action, "wait vrrp");
  EXPECT_FALSE(plan->operations.back().mutating);
}

TEST_F(LocalPlan, KeepalivedPairUsesUnicastPeersAndMovesRoutesWithTheMaster) {
  auto topo = build_topology(run_.run_id, profile_, "/run-dir", "/meta");
  ASSERT_TRUE(topo);
  const auto& aws = topo->sites[1];
  const std::string a = keepalived_config(*topo, aws, aws.nodes[1]);
  const std::string b = keepalived_config(*topo, aws, aws.nodes[2]);
  EXPECT_NE(a.find("state MASTER"), std::string::npos);
  EXPECT_NE(a.find("priority 150"), std::string::npos);
  EXPECT_NE(a.find("unicast_src_ip 198.18.0.2"), std::string::npos);
  EXPECT_NE(a.find("unicast_peer {\n    198.18.0.3"), std::string::npos);
  EXPECT_NE(b.find("state BACKUP"), std::string::npos);
  EXPECT_NE(b.find("unicast_peer {\n    198.18.0.2"), std::string::npos);
  for (const auto* text : {&a, &b}) {
    EXPECT_NE(text->find("198.18.0.1/24 dev lan0"), std::string::npos);
    EXPECT_NE(text->find("198.19.0.20/24 dev tr0"), std::string::npos);
    EXPECT_NE(text->find("198.18.0.10/32 via 198.19.0.10 dev tr0"), std::string::npos);
    EXPECT_EQ(text->find("198.18.0.11/32"), std::string::npos);  // never its own client
  }
  const std::string sshd = sshd_config(*topo, aws.client());
  EXPECT_NE(sshd.find("AuthorizedKeysFile /run-dir/authorized_keys"), std::string::npos);
  EXPECT_NE(sshd.find("HostKey /run-dir/aws-client.ssh_host_ed25519_key"), std::string::npos);
  // Sessions skip the host's ~/.bashrc (bash's top-level-under-sshd rule).
  EXPECT_NE(sshd.find("\nSetEnv SHLVL=1\n"), std::string::npos);
}

TEST_F(LocalPlan, LiveApplyWithoutRootIsRefused) {
  auto plan = provider_->plan_up(ctx());
  ASSERT_TRUE(plan);
  const int code = as_unprivileged([&] {
    auto applied = provider_->apply_up(ctx(), *plan);
    if (applied) return 1;
    if (applied.error().code != ExitCode::refused) return 2;
    return applied.error().message.find("CE_DRY_RUN=1") != std::string::npos ? 0 : 3;
  });
  EXPECT_EQ(code, 0) << "1: applied, 2: wrong exit code, 3: message lacks the dry-run hint";
}

}  // namespace
}  // namespace labctl::providers::local
