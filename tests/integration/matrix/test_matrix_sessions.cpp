// The libssh engine at full parallelism against sshd's per-connection session limit
// (MaxSessions): many flows share one connection per source, and none may be lost to a refused
// or mis-closed channel. Real sshd hosts in network namespaces (NetnsLab); root only.
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "matrix/smoke.hpp"
#include "matrix/ssh_runner.hpp"
#include "tests/integration/matrix/netns_lab.hpp"

namespace labctl::matrix {
namespace {

using labctl::testing::NetnsLab;

class MatrixSessions : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = NetnsLab::unavailable()) GTEST_SKIP() << "netns lab unavailable: " << *why;
  }

  void build(int count, std::string sshd_extra = {}) {
    std::vector<NetnsLab::HostSpec> hosts;
    for (int i = 1; i <= count; ++i) {
      m_names.push_back("h" + std::to_string(i));
      hosts.push_back({m_names.back(), false, false});
    }
    m_lab = std::make_unique<NetnsLab>(std::move(hosts), std::move(sshd_extra));
    m_lab->enter_hub();
  }

  // `labctl smoke` over every host at full parallelism; the matrix JSON.
  nlohmann::json smoke_all() {
    std::map<std::string, std::string> env = {
        {"CE_SSH_USER", "root"},
        {"SSH_KEY_FILE", m_lab->key_file().string()},
        {"CE_SSH_KNOWN_HOSTS", m_lab->known_hosts().string()},
        {"CE_MATRIX_PING_COUNT", "1"},
        {"CE_MATRIX_PING_TIMEOUT", "1"},
        // These tests are about sessions and limits, not timeouts: 16 sshds' key exchanges on
        // two cores shared with another test (CI runs two at once, under ASan too) can take
        // longer than the 8 s default.
        {"CE_SSH_CONNECT_TIMEOUT", "30"},
        {"CE_STATE_DIR", (m_lab->dir() / "state").string()}};
    for (const auto& name : m_names) {
      env["CE_" + env_site_key(name) + "_CLIENT_SSH_HOST"] = m_lab->address(name);
    }
    SmokeOptions options;
    options.sites = m_lab->sites_spec(m_names);
    std::ostringstream out;
    const auto code = smoke(options, [&env](const std::string& n) -> std::optional<std::string> {
      const auto it = env.find(n);
      if (it == env.end()) return std::nullopt;
      return it->second;
    }, system_process_runner(), out);
    EXPECT_TRUE(code) << (code ? "" : code.error().message);
    return nlohmann::json::parse(out.str());
  }

  // Every failing flow's "src->dst: error", for failure messages.
  static std::string failures(const nlohmann::json& matrix) {
    std::string text;
    for (const auto& f : matrix["flows"]) {
      if (f["result"] != "pass") {
        text += f["src"].get<std::string>() + "->" + f["dst"].get<std::string>() + ": " +
                f["error"].get<std::string>() + "\n";
      }
    }
    return text;
  }

  std::unique_ptr<NetnsLab> m_lab;
  std::vector<std::string> m_names;
};

// Given 16 hosts and all 240 flows at once (15 flows share each source's connection), expect
// every flow to pass: no connection lost, no command refused.
TEST_F(MatrixSessions, SixteenSitesAllFlowsPassAtFullParallelism) {
  build(16);
  const auto matrix = smoke_all();
  EXPECT_EQ(matrix["summary"]["parallelism"], 240);
  EXPECT_EQ(matrix["summary"]["passed"], 240) << failures(matrix);
}

// Given sshds allowing 2 sessions per connection (fewer than the engine's default), expect the
// refused opens to teach the engine that limit and every flow to pass.
TEST_F(MatrixSessions, ServerSessionLimitBelowOursIsLearned) {
  build(4, "MaxStartups 200\nMaxSessions 2\n");
  const auto matrix = smoke_all();
  EXPECT_EQ(matrix["summary"]["passed"], 12) << failures(matrix);
}

// Given the engine's limit equal to sshd's MaxSessions (2) and 5 commands per source at once,
// expect every flow to pass: a slot counts as held until sshd's channel close, and an open that
// sshd refuses only because it had not yet freed a just-closed slot is made again.
TEST_F(MatrixSessions, EngineLimitEqualToSshdLimitPasses) {
  build(5, "MaxStartups 200\nMaxSessions 2\n");
  std::vector<Site> sites;
  for (const auto& name : m_names) {
    Site site;
    site.name = name;
    site.ip = m_lab->address(name);
    site.ssh = {.host = site.ip, .port = 22, .user = "root"};
    sites.push_back(site);
  }
  SshRunnerOptions options;
  options.ssh.key_file = m_lab->key_file().string();
  options.ssh.known_hosts = m_lab->known_hosts().string();
  // About session slots, not timeouts: five key exchanges under ASan on two shared cores have
  // taken longer than 5 s in CI (see smoke_all).
  options.ssh.connect_timeout_s = 30;
  options.ping_count = 1;
  options.ping_timeout_s = 1;
  options.max_sessions = 2;
  SshRunner runner(options);
  const auto flows = plan_flows(sites.size());
  const auto seen = runner.run(sites, flows, static_cast<int>(flows.size()),
                               [](std::size_t, const Observation&) {});
  ASSERT_EQ(seen.size(), 20U);
  for (std::size_t i = 0; i < seen.size(); ++i) {
    const std::string flow = sites[flows[i].src].name + "->" + sites[flows[i].dst].name;
    EXPECT_TRUE(seen[i].ping_ok && seen[i].ssh_ok && seen[i].error.empty())
        << flow << ": " << seen[i].error;
    EXPECT_EQ(seen[i].peer_ip, sites[flows[i].src].ip) << flow;
  }
}

}  // namespace
}  // namespace labctl::matrix
