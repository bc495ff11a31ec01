// The libssh engine against real sshd hosts in network namespaces (NetnsLab). Root only.
#include <chrono>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "labctl/state_store.hpp"
#include "matrix/smoke.hpp"
#include "tests/integration/matrix/netns_lab.hpp"

namespace labctl::matrix {
namespace {

using labctl::testing::NetnsLab;
using nlohmann::json;

class MatrixLab : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = NetnsLab::unavailable()) GTEST_SKIP() << "netns lab unavailable: " << *why;
  }

  // Builds the lab, enters its hub and points the env at its hosts.
  void build(std::vector<NetnsLab::HostSpec> hosts, std::string sshd_extra = {}) {
    m_lab = std::make_unique<NetnsLab>(std::move(hosts), std::move(sshd_extra));
    m_lab->enter_hub();
    m_env = {{"CE_SSH_USER", "root"},
             {"SSH_KEY_FILE", m_lab->key_file().string()},
             {"CE_SSH_KNOWN_HOSTS", m_lab->known_hosts().string()},
             {"CE_SSH_CONNECT_TIMEOUT", "3"},
             {"CE_MATRIX_PING_COUNT", "1"},
             {"CE_MATRIX_PING_TIMEOUT", "1"},
             {"CE_STATE_DIR", (m_lab->dir() / "state").string()}};
  }

  // Reaches `host` directly and expects its own hostname.
  void direct(const std::string& host) {
    const std::string key = env_site_key(host);
    m_env["CE_" + key + "_CLIENT_SSH_HOST"] = m_lab->address(host);
    m_env["CE_" + key + "_CLIENT_EXPECT_HOSTNAME"] = host + "-client";
  }

  json smoke_json(const std::vector<std::string>& sites, ExitCode expected) {
    SmokeOptions options;
    options.sites = m_lab->sites_spec(sites);
    return smoke_with(options, expected);
  }

  json smoke_with(const SmokeOptions& options, ExitCode expected) {
    std::ostringstream out;
    auto env = m_env;
    const auto code = smoke(options, [env](const std::string& n) -> std::optional<std::string> {
      const auto it = env.find(n);
      if (it == env.end()) return std::nullopt;
      return it->second;
    }, system_process_runner(), out);
    EXPECT_TRUE(code) << (code ? "" : code.error().message);
    if (code) {
      EXPECT_EQ(*code, expected);
    }
    const std::string text = out.str();
    EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1) << text;
    return json::parse(text);
  }

  static const json& flow(const json& matrix, const std::string& src, const std::string& dst) {
    for (const auto& f : matrix["flows"]) {
      if (f["src"] == src && f["dst"] == dst) return f;
    }
    throw std::runtime_error("no flow " + src + "->" + dst);
  }

  std::unique_ptr<NetnsLab> m_lab;
  std::map<std::string, std::string> m_env;
};

const std::vector<std::string> k_sites = {"onprem", "aws", "azure", "oci"};

std::vector<NetnsLab::HostSpec> plain(const std::vector<std::string>& names) {
  std::vector<NetnsLab::HostSpec> hosts;
  for (const auto& name : names) hosts.push_back({name, false, false});
  return hosts;
}

// Given 4 healthy hosts, expect 12/12 with real identities, addresses and gateways.
TEST_F(MatrixLab, FourSitesAllTwelveFlowsPass) {
  build(plain(k_sites));
  for (const auto& site : k_sites) direct(site);
  const json matrix = smoke_json(k_sites, ExitCode::ok);
  ASSERT_EQ(matrix["flows"].size(), 12U);
  EXPECT_EQ(matrix["summary"]["passed"], 12);
  EXPECT_EQ(matrix["summary"]["parallelism"], 12);
  for (const auto& f : matrix["flows"]) {
    EXPECT_EQ(f["result"], "pass") << f.dump();
    EXPECT_EQ(f["peerIp"], f["srcIp"]);
    EXPECT_EQ(f["pathSrcIp"], f["srcIp"]);
    EXPECT_EQ(f["defaultGw"], "198.18.0.1");
    EXPECT_EQ(f["dstHostname"], f["dst"].get<std::string>() + "-client");
    EXPECT_EQ(f["srcHostname"], f["src"].get<std::string>() + "-client");
    EXPECT_EQ(f["dstHostKeySHA256"].get<std::string>().rfind("SHA256:", 0), 0U);
    EXPECT_TRUE(f["pingMs"].is_number());
    EXPECT_TRUE(f["sshMs"].is_number());
  }
}

// Given oci behind a router that masquerades oci->azure, expect exactly that flow to fail
// sourceIpPreserved and noNat (dst saw the router), with every other flow passing.
TEST_F(MatrixLab, MasqueradeFailsSourceIpAndNoNatOnThatPathOnly) {
  auto hosts = plain({"onprem", "aws", "azure"});
  hosts.push_back({"oci", true, false});
  build(hosts);
  for (const auto& site : k_sites) direct(site);
  m_lab->masquerade("oci", m_lab->address("azure"));
  const json matrix = smoke_json(k_sites, ExitCode::check_failed);
  EXPECT_EQ(matrix["summary"]["passed"], 11);
  const json& nat = flow(matrix, "oci", "azure");
  EXPECT_EQ(nat["sourceIpPreserved"], "fail");
  EXPECT_EQ(nat["noNat"], "fail");
  EXPECT_EQ(nat["ping"], "pass");
  EXPECT_EQ(nat["identityCheck"], "pass");
  EXPECT_EQ(nat["peerIp"], "198.18.0.114");  // the router's leg on the bridge
  EXPECT_EQ(flow(matrix, "oci", "aws")["result"], "pass");
  EXPECT_EQ(flow(matrix, "azure", "oci")["result"], "pass");
}

// Given a run in state whose first smoke recorded the gateways, expect a source whose default
// route changed afterwards to fail defaultGwUnchanged on the next smoke (and only it).
TEST_F(MatrixLab, ChangedDefaultRouteFailsAgainstTheRunBaseline) {
  const std::vector<std::string> sites = {"onprem", "aws", "azure"};
  build(plain(sites));
  auto store = state::Store::open(m_lab->dir() / "state");
  ASSERT_TRUE(store) << store.error().message;
  state::RunRecord run;
  run.run_id = "20260601T000000Z-matrix-lab";
  run.profile = "local";
  run.status = state::k_run_up;
  const auto run_id = (*store)->insert_run(run);
  ASSERT_TRUE(run_id) << run_id.error().message;
  for (const auto& site : sites) {
    state::ResourceRecord node;
    node.run_id = *run_id;
    node.provider = "local";
    node.kind = "netns";
    node.name = site + "-client";
    const auto id = (*store)->record_intent(node);
    ASSERT_TRUE(id);
    const json attrs = {{"node", {{"site", site}, {"role", "client"},
                                  {"logical_address", m_lab->address(site)},
                                  {"ssh", {{"host", m_lab->address(site)}, {"port", 22}, {"user", "root"}}}}}};
    ASSERT_TRUE((*store)->mark_created(*id, m_lab->namespace_of(site), attrs));
  }
  SmokeOptions options;
  options.run_id = *run_id;
  json matrix = smoke_with(options, ExitCode::ok);
  EXPECT_EQ(matrix["summary"]["total"], 6);
  const auto baseline = (*store)->get_meta(*run_id, "matrix.default_gw_baseline");
  ASSERT_TRUE(baseline && *baseline);
  EXPECT_EQ((**baseline)["aws"], "198.18.0.1");

  m_lab->exec_in("aws", {"ip", "route", "replace", "default", "via", "198.18.0.254"});
  matrix = smoke_with(options, ExitCode::check_failed);
  EXPECT_EQ(flow(matrix, "aws", "onprem")["defaultGwUnchanged"], "fail");
  EXPECT_EQ(flow(matrix, "aws", "onprem")["defaultGw"], "198.18.0.254");
  EXPECT_EQ(flow(matrix, "aws", "azure")["defaultGwUnchanged"], "fail");
  EXPECT_EQ(flow(matrix, "onprem", "aws")["result"], "pass");
  EXPECT_EQ(matrix["summary"]["passed"], 4);
  const auto events = (*store)->events(*run_id);
  ASSERT_TRUE(events);
  ASSERT_EQ(events->size(), 2U);
  EXPECT_EQ(events->back().kind, "smoke");
  EXPECT_EQ(events->back().detail["result"], "fail");
  const auto latest = (*store)->get_meta(*run_id, "matrix.latest");
  ASSERT_TRUE(latest && *latest);
  EXPECT_EQ((**latest)["summary"]["passed"], 4);
}

// Given a stopped sshd, expect that host's flows to fail with the reason, fast, others pass.
TEST_F(MatrixLab, StoppedSshdFailsItsFlowsWithoutHanging) {
  build(plain({"onprem", "aws", "azure"}));
  for (const auto& site : {"onprem", "aws", "azure"}) direct(site);
  m_lab->stop_sshd("azure");
  const auto start = std::chrono::steady_clock::now();
  const json matrix = smoke_json({"onprem", "aws", "azure"}, ExitCode::check_failed);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(8));
  EXPECT_EQ(matrix["summary"]["passed"], 2);
  const json& from = flow(matrix, "azure", "onprem");
  EXPECT_EQ(from["result"], "fail");
  EXPECT_NE(from["error"].get<std::string>().find("refused"), std::string::npos) << from.dump();
  const json& to = flow(matrix, "onprem", "azure");
  EXPECT_EQ(to["result"], "fail");
  EXPECT_EQ(to["ping"], "pass");
  EXPECT_NE(to["error"].get<std::string>().find("tunnel"), std::string::npos) << to.dump();
}

// Given a known_hosts entry with the wrong key for aws, expect flows to and from aws to fail
// closed with a host-key message (an identity failure).
TEST_F(MatrixLab, WrongKnownHostsEntryFailsClosed) {
  build(plain({"onprem", "aws", "azure"}));
  for (const auto& site : {"onprem", "aws", "azure"}) direct(site);
  labctl::testing::write_text(
      m_lab->known_hosts(), m_lab->address("onprem") + " " + m_lab->host_key("onprem") + "\n" +
                                m_lab->address("aws") + " " + m_lab->host_key("azure") + "\n" +
                                m_lab->address("azure") + " " + m_lab->host_key("azure") + "\n");
  const json matrix = smoke_json({"onprem", "aws", "azure"}, ExitCode::check_failed);
  EXPECT_EQ(matrix["summary"]["passed"], 2);
  const json& to = flow(matrix, "onprem", "aws");
  EXPECT_EQ(to["identityCheck"], "fail");
  EXPECT_NE(to["dstIdentityError"].get<std::string>().find("host key mismatch"), std::string::npos) << to.dump();
  EXPECT_TRUE(to["peerIp"].get<std::string>().empty()) << "nothing may run on a mismatched host";
  const json& from = flow(matrix, "aws", "azure");
  EXPECT_EQ(from["identityCheck"], "fail");
  EXPECT_NE(from["srcIdentityError"].get<std::string>().find("host key mismatch"), std::string::npos);
  EXPECT_EQ(flow(matrix, "onprem", "azure")["result"], "pass");
}

// Given CE_AWS_CLIENT_EXPECT_HOSTNAME naming another host, expect aws's flows to fail identity.
TEST_F(MatrixLab, HostnameMismatchFailsIdentity) {
  build(plain({"onprem", "aws"}));
  direct("onprem");
  direct("aws");
  m_env["CE_AWS_CLIENT_EXPECT_HOSTNAME"] = "wrong-aws-client";
  const json matrix = smoke_json({"onprem", "aws"}, ExitCode::check_failed);
  EXPECT_EQ(flow(matrix, "onprem", "aws")["dstIdentityError"],
            "hostname mismatch: got aws-client want wrong-aws-client");
  EXPECT_EQ(flow(matrix, "aws", "onprem")["srcIdentityError"],
            "hostname mismatch: got aws-client want wrong-aws-client");
  EXPECT_EQ(flow(matrix, "aws", "onprem")["ping"], "pass");
}

// Given sshds that drop every connection beyond two unauthenticated (MaxStartups 2), expect the
// nested connections that arrive together to be retried until all flows pass.
TEST_F(MatrixLab, MaxStartupsDropsAreRetried) {
  const std::vector<std::string> sites = {"onprem", "aws", "azure", "oci", "gcp", "edge"};
  build(plain(sites), "MaxStartups 2\n");
  for (const auto& site : sites) direct(site);
  const json matrix = smoke_json(sites, ExitCode::ok);
  EXPECT_EQ(matrix["summary"]["passed"], 30) << matrix.dump();
}

// Given oci unreachable from the controller but reachable from a jump host, expect its flows to
// pass through CE_OCI_CLIENT_SSH_JUMP and to fail without it.
TEST_F(MatrixLab, JumpHostReachesAHiddenSite) {
  auto hosts = plain({"onprem", "aws", "jump"});
  hosts.push_back({"oci", false, true});
  build(hosts);
  for (const auto& site : {"onprem", "aws", "oci"}) direct(site);
  m_env["CE_SSH_CONNECT_TIMEOUT"] = "2";
  json matrix = smoke_json({"onprem", "aws", "oci"}, ExitCode::check_failed);
  EXPECT_EQ(flow(matrix, "oci", "aws")["result"], "fail");
  EXPECT_EQ(flow(matrix, "aws", "oci")["result"], "pass") << "dst side goes through aws, not the hub";

  m_env["OCI_CLIENT_SSH_JUMP"] = "root@" + m_lab->address("jump");
  matrix = smoke_json({"onprem", "aws", "oci"}, ExitCode::ok);
  EXPECT_EQ(matrix["summary"]["passed"], 6);
  EXPECT_EQ(flow(matrix, "oci", "aws")["srcHostname"], "oci-client");
}

}  // namespace
}  // namespace labctl::matrix
