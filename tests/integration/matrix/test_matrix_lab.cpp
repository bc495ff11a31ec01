// The libssh engine against real sshd hosts in network namespaces (NetnsLab), healthy and
// misbehaving (killed, silent, re-keyed, hostile output). Root only.
#include <algorithm>
#include <array>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <chrono>
#include <csignal>
#include <functional>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/state_store.hpp"
#include "matrix/plan.hpp"
#include "matrix/smoke.hpp"
#include "ssh/host.hpp"
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

  // The env as a lookup, over a copy taken now.
  [[nodiscard]] EnvLookup lookup() const {
    return [env = m_env](const std::string& n) -> std::optional<std::string> {
      const auto it = env.find(n);
      if (it == env.end()) return std::nullopt;
      return it->second;
    };
  }

  json smoke_with(const SmokeOptions& options, ExitCode expected) {
    std::ostringstream out;
    const auto code = smoke(options, lookup(), system_process_runner(), out);
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

// ---- Chaos: misbehaving SSH peers. Every run must end within a bound, fail the affected flows
// with a reason that says what happened, pass the others, and never crash or hang.

using SteadyClock = std::chrono::steady_clock;

bool mentions_any(const std::string& text, const std::vector<std::string>& words) {
  return std::any_of(words.begin(), words.end(),
                     [&](const std::string& w) { return text.find(w) != std::string::npos; });
}

// Wraps a runner and calls `action` once, right after the flow `after` finished (with
// parallelism 1 the flows before it ran against healthy hosts, the ones after it run against
// whatever `action` left).
class ActAfterFlow final : public FlowRunner {
 public:
  ActAfterFlow(FlowRunner& inner, std::size_t after, std::function<void()> action)
      : m_inner(inner), m_after(after), m_action(std::move(action)) {}
  std::vector<Observation> run(const std::vector<Site>& sites, const std::vector<Flow>& flows,
                               int parallelism, const FlowDone& on_done) override {
    return m_inner.run(sites, flows, parallelism, [&](std::size_t i, const Observation& seen) {
      on_done(i, seen);
      if (i == m_after) m_action();
    });
  }

 private:
  FlowRunner& m_inner;
  std::size_t m_after;
  std::function<void()> m_action;
};

class MatrixChaos : public MatrixLab {
 protected:
  // Runs the matrix over `sites` one flow at a time, calling `action` after the first flow.
  MatrixOutcome run_acting_after_first(const std::vector<std::string>& sites,
                                       std::function<void()> action) {
    SmokeOptions options;
    options.sites = m_lab->sites_spec(sites);
    options.parallel = "1";
    auto plan = resolve_plan(options, lookup(), nullptr);
    EXPECT_TRUE(plan) << plan.error().message;
    SshRunner engine(plan->ssh);
    ActAfterFlow runner(engine, 0, std::move(action));
    return run_matrix(*plan, runner);
  }

  static const FlowResult& result(const MatrixOutcome& outcome, const std::string& src,
                                  const std::string& dst) {
    const auto& flows = outcome.json["flows"];
    for (std::size_t i = 0; i < flows.size(); ++i) {
      if (flows[i]["src"] == src && flows[i]["dst"] == dst) return outcome.results.at(i);
    }
    throw std::runtime_error("no flow " + src + "->" + dst);
  }
};

const std::vector<std::string> k_three = {"onprem", "aws", "azure"};

// Given azure's sshd (and its sessions) killed after the first flow, expect the flows to and
// from azure to fail as refused, the flows between the others to pass, within a bound.
TEST_F(MatrixChaos, DestinationSshdKilledMidSmokeFailsItsFlowsAsRefused) {
  build(plain(k_three));
  for (const auto& site : k_three) direct(site);
  const auto start = SteadyClock::now();
  const auto outcome = run_acting_after_first(k_three, [&] { m_lab->kill_sshd("azure"); });
  EXPECT_LT(SteadyClock::now() - start, std::chrono::seconds(20));
  ASSERT_EQ(outcome.results.size(), 6U);
  EXPECT_TRUE(result(outcome, "onprem", "aws").result) << "ran before the kill";
  EXPECT_TRUE(result(outcome, "aws", "onprem").result);
  for (const auto& [src, dst] : {std::pair{"onprem", "azure"}, {"aws", "azure"}, {"azure", "onprem"},
                                 {"azure", "aws"}}) {
    const FlowResult& r = result(outcome, src, dst);
    EXPECT_FALSE(r.result) << src << "->" << dst;
    EXPECT_NE(r.seen.error.find("refused"), std::string::npos) << src << "->" << dst << ": " << r.seen.error;
  }
  EXPECT_EQ(outcome.summary.passed, 2U);
}

// Given onprem's sshd and its established sessions killed after the first flow (onprem->aws),
// expect onprem's next flow to fail on the lost connection, flows to onprem to be refused, and
// aws<->azure to pass.
TEST_F(MatrixChaos, SourceSshdKilledMidSmokeLosesItsSession) {
  build(plain(k_three));
  for (const auto& site : k_three) direct(site);
  const auto start = SteadyClock::now();
  const auto outcome = run_acting_after_first(k_three, [&] { m_lab->kill_sshd("onprem"); });
  EXPECT_LT(SteadyClock::now() - start, std::chrono::seconds(20));
  EXPECT_TRUE(result(outcome, "onprem", "aws").result);
  const FlowResult& lost = result(outcome, "onprem", "azure");
  EXPECT_FALSE(lost.result);
  EXPECT_TRUE(mentions_any(lost.seen.error, {"lost the connection", "reset", "closed", "refused"}))
      << lost.seen.error;
  for (const auto& src : {"aws", "azure"}) {
    const FlowResult& to = result(outcome, src, "onprem");
    EXPECT_FALSE(to.result);
    EXPECT_NE(to.seen.error.find("refused"), std::string::npos) << to.seen.error;
  }
  EXPECT_TRUE(result(outcome, "aws", "azure").result);
  EXPECT_TRUE(result(outcome, "azure", "aws").result);
}

// Given every flow in flight at once (3 pings each, ~2 s) and azure's sshd killed 700 ms in,
// expect `smoke` to end within a bound with valid JSON, azure's outgoing flows failed with a
// connection reason, every flow that does not touch azure passed.
TEST_F(MatrixChaos, SshdKilledWhileEveryFlowIsInFlight) {
  build(plain(k_three));
  for (const auto& site : k_three) direct(site);
  m_env["CE_MATRIX_PING_COUNT"] = "3";
  std::jthread killer([&](std::stop_token stop) {
    const auto at = SteadyClock::now() + std::chrono::milliseconds(700);
    while (!stop.stop_requested() && SteadyClock::now() < at) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    m_lab->kill_sshd("azure");
  });
  const auto start = SteadyClock::now();
  const json matrix = smoke_json(k_three, ExitCode::check_failed);
  killer.join();
  EXPECT_LT(SteadyClock::now() - start, std::chrono::seconds(30));
  for (const auto& dst : {"onprem", "aws"}) {
    const json& from = flow(matrix, "azure", dst);
    EXPECT_EQ(from["result"], "fail");
    EXPECT_TRUE(mentions_any(from["error"], {"lost the connection", "reset", "closed", "refused"}))
        << from.dump();
  }
  EXPECT_EQ(flow(matrix, "onprem", "aws")["result"], "pass");
  EXPECT_EQ(flow(matrix, "aws", "onprem")["result"], "pass");
  for (const auto& f : matrix["flows"]) {
    if (f["result"] == "fail") {
      EXPECT_FALSE(f["error"].get<std::string>().empty()) << f.dump();
    }
  }
}

// Given azure frozen (SIGSTOP on its sshd and sessions) 700 ms into a smoke whose flows are all
// in flight, expect azure's flows to fail with a timeout within the command budget (the
// connections stay open: only deadlines can end them), and onprem<->aws to pass.
TEST_F(MatrixChaos, HostFrozenMidSmokeTimesOut) {
  build(plain(k_three));
  for (const auto& site : k_three) direct(site);
  m_env["CE_MATRIX_PING_COUNT"] = "3";
  m_env["CE_SSH_CONNECT_TIMEOUT"] = "2";
  m_env["CE_MATRIX_COMMAND_TIMEOUT"] = "3";
  std::jthread freezer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(700));
    m_lab->signal_host("azure", SIGSTOP);
  });
  const auto start = SteadyClock::now();
  const json matrix = smoke_json(k_three, ExitCode::check_failed);
  const auto elapsed = SteadyClock::now() - start;
  freezer.join();
  m_lab->signal_host("azure", SIGCONT);
  // ping budget: 3 pings + 2 s ping timeout + 3 s command timeout, plus connect time.
  EXPECT_LT(elapsed, std::chrono::seconds(20));
  for (const auto& dst : {"onprem", "aws"}) {
    const json& from = flow(matrix, "azure", dst);
    EXPECT_EQ(from["result"], "fail");
    EXPECT_TRUE(mentions_any(from["error"], {"did not finish", "timed out", "imeout"})) << from.dump();
  }
  EXPECT_EQ(flow(matrix, "onprem", "aws")["result"], "pass");
  EXPECT_EQ(flow(matrix, "aws", "onprem")["result"], "pass");
}

// Given a host that accepts TCP on port 22 and never speaks (reached directly, through a
// tunnel, and as a jump host), expect its flows to fail with a timeout reason within the
// connect/handshake timeouts, and every other flow to pass.
TEST_F(MatrixChaos, SilentHostTimesOutWithinTheConnectTimeout) {
  auto hosts = plain({"onprem", "aws", "azure"});
  hosts.push_back({"oci", false, true});
  build(hosts);
  for (const auto& site : k_sites) direct(site);
  m_env["CE_SSH_CONNECT_TIMEOUT"] = "2";
  m_env["CE_MATRIX_COMMAND_TIMEOUT"] = "3";  // bounds the nested handshake over a tunnel
  m_env["OCI_CLIENT_SSH_JUMP"] = "root@" + m_lab->address("azure");
  m_lab->make_silent("azure");
  const auto start = SteadyClock::now();
  const json matrix = smoke_json(k_sites, ExitCode::check_failed);
  const auto elapsed = SteadyClock::now() - start;
  EXPECT_LT(elapsed, std::chrono::seconds(12)) << "bounded by the 2 s / 3 s timeouts";
  const auto timed_out = [](const json& f) {
    return mentions_any(f["error"], {"imeout", "timed out"});
  };
  for (const auto& other : {"onprem", "aws"}) {
    const json& from = flow(matrix, "azure", other);  // direct connect: banner never comes
    EXPECT_EQ(from["result"], "fail");
    EXPECT_TRUE(timed_out(from)) << from.dump();
    EXPECT_NE(from["error"].get<std::string>().find("CE_SSH_CONNECT_TIMEOUT"), std::string::npos);
    const json& to = flow(matrix, other, "azure");  // nested handshake through a tunnel
    EXPECT_EQ(to["result"], "fail");
    EXPECT_TRUE(timed_out(to)) << to.dump();
    EXPECT_EQ(to["ping"], "pass") << "the network itself is fine";
    EXPECT_TRUE(to["peerIp"].get<std::string>().empty());
  }
  const json& hidden = flow(matrix, "oci", "onprem");  // through the silent jump host
  EXPECT_EQ(hidden["result"], "fail");
  EXPECT_TRUE(timed_out(hidden)) << hidden.dump();
  EXPECT_NE(hidden["error"].get<std::string>().find("via jump host"), std::string::npos);
  EXPECT_EQ(flow(matrix, "onprem", "aws")["result"], "pass");
  EXPECT_EQ(flow(matrix, "aws", "oci")["result"], "pass");
}

// Given a direct session to a host that never speaks, expect connect_session itself to give up
// with a timeout after the configured connect timeout (the banner wait is bounded).
TEST_F(MatrixChaos, ConnectSessionToASilentHostIsBounded) {
  build(plain({"onprem"}));
  m_lab->make_silent("onprem");
  ssh::SshSettings settings;
  settings.key_file = m_lab->key_file().string();
  settings.known_hosts = m_lab->known_hosts().string();
  settings.connect_timeout_s = 1;
  const auto start = SteadyClock::now();
  const auto connected =
      ssh::connect_session({.host = m_lab->address("onprem"), .port = 22, .user = "root"}, -1,
                           settings);
  const auto elapsed = SteadyClock::now() - start;
  ASSERT_FALSE(connected);
  EXPECT_EQ(connected.error().kind, ssh::SshErrorKind::timeout) << connected.error().message;
  EXPECT_GE(elapsed, std::chrono::milliseconds(900));
  EXPECT_LT(elapsed, std::chrono::seconds(6));  // bounded by the 1 s timeout, with room for ASan
}

// Given aws's host key regenerated (and sshd restarted) between two smokes, expect the second
// smoke's flows to and from aws to fail with a host-key reason before anything runs there.
TEST_F(MatrixChaos, HostKeyChangedMidRunFailsClosed) {
  build(plain(k_three));
  for (const auto& site : k_three) direct(site);
  json matrix = smoke_json(k_three, ExitCode::ok);
  const std::string old_key = flow(matrix, "onprem", "aws")["dstHostKeySHA256"];

  m_lab->rotate_host_key("aws");
  matrix = smoke_json(k_three, ExitCode::check_failed);
  EXPECT_EQ(matrix["summary"]["passed"], 2);
  for (const auto& src : {"onprem", "azure"}) {
    const json& to = flow(matrix, src, "aws");
    EXPECT_EQ(to["identityCheck"], "fail");
    EXPECT_NE(to["dstIdentityError"].get<std::string>().find("host key mismatch"), std::string::npos)
        << to.dump();
    EXPECT_NE(to["dstIdentityError"].get<std::string>().find(m_lab->known_hosts().string()),
              std::string::npos) << "names the file to fix";
    EXPECT_TRUE(to["peerIp"].get<std::string>().empty()) << "nothing may run on a changed host";
    EXPECT_TRUE(to["dstHostname"].get<std::string>().empty());
    EXPECT_TRUE(to["dstHostKeySHA256"].get<std::string>().empty());
    const json& from = flow(matrix, "aws", src);
    EXPECT_EQ(from["identityCheck"], "fail");
    EXPECT_NE(from["srcIdentityError"].get<std::string>().find("host key mismatch"), std::string::npos);
    EXPECT_TRUE(from["srcHostname"].get<std::string>().empty());
    EXPECT_EQ(from["ping"], "fail") << "no command ran on the source";
  }
  EXPECT_NE(flow(matrix, "onprem", "azure")["result"], "fail");
  EXPECT_FALSE(old_key.empty());
}

// What a hostile host prints for every command: ill-formed UTF-8, terminal escapes, then 3 MB
// of 0xff without a newline, and an OSC sequence on stderr.
const std::string k_hostile_command =
    "ForceCommand printf 'hostname=\\377\\376\\033[31mevil\\001'; "
    "head -c 3000000 /dev/zero | tr '\\000' '\\377'; printf '\\n\\033]0;t\\007\\377\\n' >&2\n";

// Given a host whose every command prints invalid UTF-8, control bytes and megabytes, expect
// the matrix JSON to stay valid, printable and bounded, and the other hosts' flow to pass.
TEST_F(MatrixChaos, HostileRemoteOutputKeepsTheMatrixJsonValid) {
  auto hosts = plain({"onprem", "aws"});
  hosts.push_back({.name = "evil", .sshd_extra = k_hostile_command});
  build(hosts);
  for (const auto& site : {"onprem", "aws", "evil"}) direct(site);
  const json matrix = smoke_json({"onprem", "aws", "evil"}, ExitCode::check_failed);
  EXPECT_EQ(flow(matrix, "onprem", "aws")["result"], "pass");
  for (const auto& f : matrix["flows"]) {
    for (const auto& [key, value] : f.items()) {
      if (!value.is_string()) continue;
      const std::string text = value;
      EXPECT_LE(text.size(), k_max_error_bytes + 3) << key;
      for (const unsigned char c : text) EXPECT_FALSE(c < 0x20 || c == 0x7f) << key << ": " << text;
    }
  }
  const std::string src = flow(matrix, "evil", "onprem")["srcHostname"];
  EXPECT_NE(src.find("\xEF\xBF\xBD"), std::string::npos) << src;
  EXPECT_NE(src.find("\\x1b[31mevil\\x01"), std::string::npos) << src;
  EXPECT_LE(src.size(), 512U + 3U);
  EXPECT_NE(flow(matrix, "onprem", "evil")["dstHostname"].get<std::string>().find("evil"),
            std::string::npos);
}

// Given a command printing 3 MB, expect exec_blocking and SessionHost::exec to keep exactly
// k_max_output_bytes, flag the cut, and still report the command's exit status.
TEST_F(MatrixChaos, CommandOutputIsCappedPerStream) {
  auto hosts = plain({"onprem"});
  hosts.push_back({.name = "evil", .sshd_extra = k_hostile_command});
  build(hosts);
  ssh::SshSettings settings;
  settings.key_file = m_lab->key_file().string();
  settings.known_hosts = m_lab->known_hosts().string();
  const ssh::Endpoint evil{.host = m_lab->address("evil"), .port = 22, .user = "root"};
  auto connected = ssh::connect_session(evil, -1, settings);
  ASSERT_TRUE(connected) << connected.error().message;
  const auto ran = ssh::exec_blocking(connected->session.get(), "true", std::chrono::seconds(30));
  ASSERT_TRUE(ran) << ran.error().message;
  EXPECT_EQ(ran->out.size(), ssh::k_max_output_bytes);
  EXPECT_TRUE(ran->truncated);
  EXPECT_EQ(ran->exit_status, 0);
  EXPECT_NE(ran->err.find("\x1b]0;t"), std::string::npos) << "raw bytes are kept; callers sanitise";

  ssh::SessionHost host(evil, nullptr, settings, 2);
  ASSERT_TRUE(host.wait_connected());
  const auto hosted = host.exec("true", std::chrono::seconds(30)).get();
  ASSERT_TRUE(hosted) << hosted.error().message;
  EXPECT_EQ(hosted->out.size(), ssh::k_max_output_bytes);
  EXPECT_TRUE(hosted->truncated);
  EXPECT_EQ(hosted->exit_status, 0);
}

// Given a tunnel whose far end stops reading while 16 MiB are pushed into it (the channel's
// window fills), expect another command on the same host to finish promptly (the host's loop
// never blocks on one peer), and once the far end reads again, every byte to arrive in order.
TEST_F(MatrixChaos, StalledTunnelPeerDoesNotStallTheHost) {
  build(plain({"onprem"}));
  // The far end: a listener in the hub, reached from onprem through a direct-tcpip tunnel.
  const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  ::inet_pton(AF_INET, "198.18.0.1", &address.sin_addr);
  ASSERT_EQ(::bind(listener, reinterpret_cast<const sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(::listen(listener, 1), 0);
  socklen_t length = sizeof address;
  ASSERT_EQ(::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length), 0);

  ssh::SshSettings settings;
  settings.key_file = m_lab->key_file().string();
  settings.known_hosts = m_lab->known_hosts().string();
  ssh::SessionHost host({.host = m_lab->address("onprem"), .port = 22, .user = "root"}, nullptr,
                   settings, 2);
  ASSERT_TRUE(host.wait_connected());
  auto tunnel = host.open_tunnel("198.18.0.1", ntohs(address.sin_port)).get();
  ASSERT_TRUE(tunnel) << tunnel.error().message;
  const int far = ::accept(listener, nullptr, nullptr);
  ASSERT_GE(far, 0);

  constexpr std::size_t k_total = std::size_t{16} << 20U;
  std::jthread writer([fd = *tunnel] {
    std::string block(65536, '\0');
    for (std::size_t sent = 0, i = 0; sent < k_total; ++i) {
      for (std::size_t j = 0; j < block.size(); ++j) block[j] = static_cast<char>((i * 131 + j) % 251);
      const ssize_t n = ::send(fd, block.data(), std::min(block.size(), k_total - sent), MSG_NOSIGNAL);
      if (n <= 0) return;
      sent += static_cast<std::size_t>(n);
    }
    ::shutdown(fd, SHUT_WR);
  });
  std::this_thread::sleep_for(std::chrono::seconds(1));  // every buffer on the way fills up

  const auto start = SteadyClock::now();
  const auto ran = host.exec("echo alive", std::chrono::seconds(10)).get();
  EXPECT_LT(SteadyClock::now() - start, std::chrono::seconds(6));  // stalled: 15 s and more
  ASSERT_TRUE(ran) << ran.error().message;
  EXPECT_EQ(ran->out, "alive\n");

  std::string received;
  std::array<char, 65536> buffer{};
  for (ssize_t n; (n = ::recv(far, buffer.data(), buffer.size(), 0)) > 0;) {
    received.append(buffer.data(), static_cast<std::size_t>(n));
  }
  writer.join();
  ::close(far);
  ::close(listener);
  ::close(*tunnel);
  ASSERT_EQ(received.size(), k_total);
  for (std::size_t offset = 0; offset < k_total; offset += 65536) {
    const std::size_t i = offset / 65536;
    for (const std::size_t j : {std::size_t{0}, std::size_t{65535}}) {
      ASSERT_EQ(static_cast<unsigned char>(received[offset + j]), (i * 131 + j) % 251) << offset + j;
    }
  }
}

}  // namespace
}  // namespace labctl::matrix
