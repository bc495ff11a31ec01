// The local lab for real: namespaces, veths, bridges, keepalived and sshd on this host.
// Root only (skipped otherwise); every test removes what it created, by pid and by name.
#include <csignal>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "core/clock.hpp"
#include "providers/local/host.hpp"
#include "providers/local/topology.hpp"
#include "tests/integration/local/lab_harness.hpp"

namespace labctl::testing {
namespace {

namespace fs = std::filesystem;
using providers::local::netns_prefix;

struct Client {
  std::string name, site, netns, logical, mgmt;
};

std::vector<Client> clients_of(LabHarness& lab) {
  std::vector<Client> clients;
  const auto rows = lab.store().resources(lab.run().run_id);
  for (const auto& row : *rows) {
    if (row.kind != "netns" || !row.attrs.contains("node")) continue;
    const auto& node = row.attrs["node"];
    if (node.value("role", "") != "client") continue;
    clients.push_back(
        {node["name"], node["site"], row.cloud_id, node["logical_address"], node["ssh"]["host"]});
  }
  return clients;
}

bool ping(const Client& from, const Client& to, int ttl = 64) {
  return run_command({"ip", "netns", "exec", from.netns, "ping", "-n", "-q", "-c1", "-W1", "-t",
                      std::to_string(ttl), to.logical}) == 0;
}

// The directed pairs that do not answer a ping right now.
std::vector<std::string> failing_pairs(const std::vector<Client>& clients) {
  std::vector<std::string> failing;
  for (const auto& from : clients) {
    for (const auto& to : clients) {
      if (from.name != to.name && !ping(from, to)) failing.push_back(from.site + "->" + to.site);
    }
  }
  return failing;
}

std::vector<std::string> lab_leftovers(LabHarness& lab) {
  std::vector<std::string> left;
  for (const auto& ns : providers::local::netns_with_prefix(netns_prefix(lab.run().run_id))) {
    left.push_back("netns " + ns);
  }
  for (const auto& link : providers::local::host_links_with_prefix(
           providers::local::host_link_prefix(lab.run().run_id))) {
    left.push_back("link " + link);
  }
  for (const pid_t pid : lab.recorded_pids()) {
    if (providers::local::process_matches(pid, lab.run().run_id)) {
      left.push_back("pid " + std::to_string(pid));
    }
  }
  if (fs::exists(lab.meta_dir() / (lab.run().run_id + ".json"))) left.push_back("metadata");
  if (fs::exists(lab.root() / "state" / "runs" / lab.run().run_id)) left.push_back("run dir");
  return left;
}

void bring_up(LabHarness& lab) {
  auto plan = lab.provider().plan_up(lab.ctx());
  ASSERT_TRUE(plan) << plan.error().message;
  auto applied = lab.provider().apply_up(lab.ctx(), *plan);
  ASSERT_TRUE(applied) << applied.error().message;
}

class LocalLab : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const auto why = live_lab_unavailable(); !why.empty()) GTEST_SKIP() << why;
  }
};

const char* k_two_sites = R"(name: two
providers: [local]
ttl: 1h
sites:
  - name: left
    provider: local
    logical_address: 198.18.0.20
    nodes: [{name: left-router, role: router}, {name: left-client, role: client}]
  - name: right
    provider: local
    logical_address: 198.18.0.21
    nodes: [{name: right-router, role: router}, {name: right-client, role: client}]
)";

// Given the shipped 4-site profile, expect 12/12 flows across two routers with the source
// address preserved, a real outage and recovery through router-b after stop-active, and a
// teardown that leaves nothing named with the run.
TEST_F(LocalLab, FourSitesFlowThroughRoutersAndFailOverToStandby) {
  LabHarness lab("local-lab");
  bring_up(lab);
  if (HasFatalFailure()) return;
  const auto clients = clients_of(lab);
  ASSERT_EQ(clients.size(), 4u);

  EXPECT_TRUE(failing_pairs(clients).empty()) << ::testing::PrintToString(failing_pairs(clients));
  // Exactly two routers sit between any two clients: TTL 2 dies on the second one.
  EXPECT_FALSE(ping(clients[0], clients[1], 2));
  EXPECT_TRUE(ping(clients[0], clients[1], 3));

  // The matrix's path: SSH to the source, direct-tcpip from there to the destination's
  // logical address; the destination's sshd must see the source's logical address.
  auto ssh_meta = lab.store().get_meta(lab.run().run_id, "ssh");
  ASSERT_TRUE(ssh_meta && *ssh_meta);
  const std::string key = (**ssh_meta)["key_file"], known = (**ssh_meta)["known_hosts"];
  const std::vector<std::string> common{"-F", "/dev/null",
                                        "-i", key,
                                        "-o", "BatchMode=yes",
                                        "-o", "StrictHostKeyChecking=yes",
                                        "-o", "UserKnownHostsFile=" + known,
                                        "-o", "GlobalKnownHostsFile=/dev/null",
                                        "-o", "ConnectTimeout=5"};
  for (std::size_t i = 0; i < clients.size(); ++i) {
    const auto& src = clients[i];
    const auto& dst = clients[(i + 1) % clients.size()];
    std::string proxy = "ssh";
    for (const auto& arg : common) proxy += " " + arg;
    proxy += " -W %h:%p root@" + src.mgmt;
    std::vector<std::string> argv{"ssh"};
    argv.insert(argv.end(), common.begin(), common.end());
    argv.insert(argv.end(), {"-o", "ProxyCommand=" + proxy, "root@" + dst.logical,
                             "echo $SSH_CONNECTION $(hostname)"});
    std::string out;
    EXPECT_EQ(run_command(argv, &out, std::chrono::seconds(20)), 0) << out;
    std::istringstream fields(out);
    std::string peer, peer_port, self, self_port, hostname;
    fields >> peer >> peer_port >> self >> self_port >> hostname;
    EXPECT_EQ(peer, src.logical) << src.site << "->" << dst.site << ": " << out;
    EXPECT_EQ(self, dst.logical) << out;
    EXPECT_EQ(hostname, dst.name) << out;
  }

  // Fail over: stop the active router of aws.
  auto before = providers::local_gateway_holder(lab.store(), lab.run().run_id, "aws",
                                                *system_process_runner());
  ASSERT_TRUE(before) << before.error().message;
  EXPECT_EQ(*before, "aws-router-a");
  const Client* onprem = nullptr;
  const Client* aws = nullptr;
  for (const auto& c : clients) {
    if (c.site == "onprem") onprem = &c;
    if (c.site == "aws") aws = &c;
  }
  ASSERT_TRUE(onprem && aws);
  auto detail = lab.provider().inject_fault(lab.ctx(), {"stop-active", ""});
  ASSERT_TRUE(detail) << detail.error().message;
  EXPECT_EQ((*detail)["node"], "aws-router-a");
  const auto injected = std::chrono::steady_clock::now();
  EXPECT_FALSE(ping(*onprem, *aws)) << "the flow survived its router's failure";
  const auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - injected).count();
  };
  bool recovered = false;
  while (!recovered && elapsed() < 30) recovered = ping(*onprem, *aws) && ping(*aws, *onprem);
  ASSERT_TRUE(recovered) << "onprem<->aws did not recover within 30 s";
  const double first_flow = elapsed();
  // Every client re-learns, per destination, which router answers for it: poll the matrix.
  std::vector<std::string> failing = failing_pairs(clients);
  while (!failing.empty() && elapsed() < 30) failing = failing_pairs(clients);
  EXPECT_TRUE(failing.empty()) << ::testing::PrintToString(failing);
  const double all_flows = elapsed();
  RecordProperty("recovery_seconds_first_flow", std::to_string(first_flow));
  RecordProperty("recovery_seconds_all_flows", std::to_string(all_flows));
  EXPECT_LT(all_flows, 20.0);
  auto after = providers::local_gateway_holder(lab.store(), lab.run().run_id, "aws",
                                               *system_process_runner());
  ASSERT_TRUE(after);
  EXPECT_EQ(*after, "aws-router-b");

  auto down = lab.provider().teardown(lab.ctx(), lab.live_rows());
  ASSERT_TRUE(down) << down.error().message;
  EXPECT_TRUE(lab.live_rows().empty());
  EXPECT_TRUE(lab_leftovers(lab).empty()) << ::testing::PrintToString(lab_leftovers(lab));
}

// Given an active/standby pair, expect drain (a lower VRRP priority) to hand the gateway to
// router-b, heartbeat-stop on b to hand it back, and the executor's faults to be refused.
TEST_F(LocalLab, DrainHandsOverGracefully) {
  LabHarness lab("local-drain");
  bring_up(lab);
  if (HasFatalFailure()) return;
  auto detail = lab.provider().inject_fault(lab.ctx(), {"drain", ""});
  ASSERT_TRUE(detail) << detail.error().message;
  std::string holder;
  for (int i = 0; i < 50 && holder != "aws-router-b"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    holder = providers::local_gateway_holder(lab.store(), lab.run().run_id, "aws",
                                             *system_process_runner())
                 .value_or("");
  }
  EXPECT_EQ(holder, "aws-router-b");
  // heartbeat-stop hits the router active now (b): the drained router-a is all that is left.
  auto stopped = lab.provider().inject_fault(lab.ctx(), {"heartbeat-stop", ""});
  ASSERT_TRUE(stopped) << stopped.error().message;
  EXPECT_EQ((*stopped)["node"], "aws-router-b");
  for (int i = 0; i < 50 && holder != "aws-router-a"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    holder = providers::local_gateway_holder(lab.store(), lab.run().run_id, "aws",
                                             *system_process_runner())
                 .value_or("");
  }
  EXPECT_EQ(holder, "aws-router-a");
  auto not_here = lab.provider().inject_fault(lab.ctx(), {"executor-fail", ""});
  ASSERT_FALSE(not_here);
  EXPECT_NE(not_here.error().message.find("not applicable"), std::string::npos);
}

// Given a lab past its TTL and an empty state directory, expect discovery by the metadata file
// to find it and a teardown of the discovered resources to remove all of it.
TEST_F(LocalLab, ExpiredLabIsFoundAndRemovedWithoutState) {
  LabHarness lab("local-expired", k_two_sites, -60);
  bring_up(lab);
  if (HasFatalFailure()) return;
  auto fresh = providers::make_local_provider({system_process_runner(), lab.meta_dir()});
  providers::DiscoverQuery live{"", true, system_clock()->now() - std::chrono::hours(1), nullptr,
                                {}};
  auto none = fresh->discover(live);
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->found.empty()) << "a lab not yet expired at `now` was reported expired";

  auto found = fresh->discover({"", true, system_clock()->now(), nullptr, {}});
  ASSERT_TRUE(found) << found.error().message;
  ASSERT_FALSE(found->found.empty());
  std::vector<state::ResourceRecord> rows;
  TempDir empty_state;
  auto store = state::Store::open(empty_state.path());
  ASSERT_TRUE(store);
  state::RunRecord run = lab.run();
  ASSERT_TRUE((*store)->insert_run(run));
  for (const auto& d : found->found) {
    EXPECT_EQ(d.run_id, lab.run().run_id);
    state::ResourceRecord row;
    row.run_id = d.run_id;
    row.provider = "local";
    row.kind = d.kind;
    row.name = d.kind + ":" + d.cloud_id;
    row.cloud_id = d.cloud_id;
    row.state = state::k_res_created;
    auto id = (*store)->record_intent(row);
    ASSERT_TRUE(id);
    row.id = *id;
    rows.insert(rows.begin(), row);
  }
  profile::Profile no_profile;
  providers::RunContext ctx{run, no_profile, lab.ctx().tags, **store, *system_clock(), false};
  auto down = fresh->teardown(ctx, rows);
  ASSERT_TRUE(down) << down.error().message;
  EXPECT_TRUE(lab_leftovers(lab).empty()) << ::testing::PrintToString(lab_leftovers(lab));
  auto after = fresh->discover({lab.run().run_id, false, system_clock()->now(), nullptr, {}});
  ASSERT_TRUE(after);
  EXPECT_TRUE(after->found.empty());
}

// Given an `up` killed between starting sshd and recording it (an intent row, no pid in state),
// expect teardown from the state rows alone to stop that sshd and remove everything.
TEST_F(LocalLab, KilledUpIsCleanedFromStateRows) {
  LabHarness lab("local-killed", k_two_sites);
  auto plan = lab.provider().plan_up(lab.ctx());
  ASSERT_TRUE(plan) << plan.error().message;
  const auto start = std::find_if(plan->operations.begin(), plan->operations.end(),
                                  [](const auto& op) { return op.action == "start sshd"; });
  ASSERT_NE(start, plan->operations.end());
  providers::Plan partial{plan->provider, {plan->operations.begin(), start}, {}};
  ASSERT_TRUE(lab.provider().apply_up(lab.ctx(), partial));

  // The interrupted step: intent recorded, command sent, result never recorded.
  state::ResourceRecord row;
  row.run_id = lab.run().run_id;
  row.provider = "local";
  row.kind = start->resource_kind;
  row.name = start->resource_name;
  row.request = nlohmann::json::parse(start->params.dump());
  ASSERT_TRUE(lab.store().record_intent(row));
  ASSERT_EQ(run_command(start->params["argv"].get<std::vector<std::string>>()), 0);
  std::optional<pid_t> sshd;
  for (int i = 0; i < 50 && !sshd; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    sshd = providers::local::read_pid_file(start->params["pid_file"].get<std::string>());
  }
  ASSERT_TRUE(sshd);
  ASSERT_TRUE(providers::local::process_matches(*sshd, lab.run().run_id));

  auto down = lab.provider().teardown(lab.ctx(), lab.live_rows());
  ASSERT_TRUE(down) << down.error().message;
  EXPECT_FALSE(providers::local::process_matches(*sshd, lab.run().run_id));
  EXPECT_TRUE(lab.live_rows().empty());
  EXPECT_TRUE(lab_leftovers(lab).empty()) << ::testing::PrintToString(lab_leftovers(lab));
}

}  // namespace
}  // namespace labctl::testing
