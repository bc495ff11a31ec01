// Node faults on oci (issue 15): `labctl failover --provider oci --fault drain` runs the
// profile's drain command over SSH on the active router and records the event. The OCI fake
// stands in for OCI; a network namespace holding the router's public IP (the fake's VNICs get
// theirs from 198.18.0.0/15), with a real sshd, stands in for the instance.
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/state_store.hpp"
#include "core/time.hpp"
#include "tests/integration/oci/oci_fake_fixture.hpp"
#include "tests/support/instance_stand_in.hpp"

namespace labctl::testing {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

class OciNodeFaults : public OciFakeTest {
 protected:
  void SetUp() override {
    if (const auto why = InstanceStandIn::unavailable(); !why.empty()) GTEST_SKIP() << why;
    OciFakeTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    mark = tmp.path() / "drained";
    // The smallest oci lab with an active router; drain leaves a mark: the addresses of the
    // namespace it ran in.
    const auto profile = write_oci_profile("oci-node-faults", {{"oci-router-a", "router-a"}});
    write_text(profile, read_text(profile) +
                            "node_faults:\n  drain:\n    inject: ip -4 -o addr show > " +
                            mark.string() + "\n");
    const auto up = live({"up", "--profile", profile, "--ttl", "30m"});
    ASSERT_EQ(up.code, 0) << up.err;
    run_id = up.out.substr(0, up.out.find('\n'));
    const Json shown = show(run_id);
    for (const auto& r : shown["resources"]) {
      if (r["kind"] == "instance" && r["attrs"].value("role", "") == "router-a") {
        address = r["attrs"].value("publicIp", "");
        instance_id = r.value("cloudId", "");
      }
    }
    ASSERT_FALSE(address.empty()) << shown.dump();
    // The run's one SSH key, which labctl made for the oci instances (run meta "ssh").
    auto store = state::Store::open_existing(state_dir);
    ASSERT_TRUE(store && *store);
    auto meta = (**store).get_meta(run_id, "ssh");
    ASSERT_TRUE(meta && *meta);
    const std::string key_file = (**meta).value("key_file", "");
    ASSERT_FALSE(key_file.empty()) << (**meta).dump();
    const auto pub = run_command({"/usr/bin/ssh-keygen", "-y", "-f", key_file}, {}, tmp.path());
    ASSERT_EQ(pub.code, 0) << pub.err;
    fs::create_directories(tmp.path() / "instance");
    instance = std::make_unique<InstanceStandIn>(tmp.path() / "instance", address, pub.out);
    known_hosts = tmp.path() / "known_hosts";
    write_text(known_hosts, instance->known_hosts_line());
  }

  void TearDown() override {
    if (!run_id.empty()) {
      EXPECT_EQ(live({"down", "--run-id", run_id}).code, 0);
    }
    instance.reset();
    OciFakeTest::TearDown();
  }

  // failover against the run as root on the stand-in, host keys from known_hosts, no agent.
  CommandOutput failover(std::vector<std::string> args) const {
    args.insert(args.begin(), {"failover", "--run-id", run_id, "--provider", "oci"});
    return live(args, {{"CE_SSH_USER", "root"},
                       {"CE_SSH_KNOWN_HOSTS", known_hosts.string()},
                       {"SSH_AUTH_SOCK", "\x01unset"},
                       {"CE_SSH_CONNECT_TIMEOUT", "5"}});
  }

  fs::path mark, known_hosts;
  std::string run_id, address, instance_id;
  std::unique_ptr<InstanceStandIn> instance;
};

// Given a live oci run whose active router answers SSH at the public IP of its primary VNIC,
// expect drain to run the profile's command there (the mark lists that address), exit 0, and
// record the injected event with the node, instance, address, command and its injectedAt.
TEST_F(OciNodeFaults, DrainRunsTheProfileCommandOnTheActiveRouter) {
  const auto drained = failover({"--fault", "drain"});
  ASSERT_EQ(drained.code, 0) << drained.err;
  EXPECT_NE(read_text(mark).find(" " + address + " "), std::string::npos)
      << "the drain command did not run on the router's namespace (" << address << ")";
  const Json shown = show(run_id);
  std::vector<Json> injected;
  for (const auto& e : shown["events"]) {
    if (e["kind"] == "failover" && e["detail"].value("result", "") == "injected") {
      injected.push_back(e["detail"]);
    }
  }
  ASSERT_EQ(injected.size(), 1u) << shown["events"].dump();
  const auto& detail = injected.front()["detail"];
  EXPECT_EQ(detail["node"], "oci-router-a");
  EXPECT_EQ(detail["instance"], instance_id);
  EXPECT_EQ(detail["address"], address);
  EXPECT_EQ(detail["user"], "root");
  EXPECT_EQ(detail["exitStatus"], 0);
  EXPECT_EQ(detail["step"], "inject");
  EXPECT_EQ(detail["command"], "ip -4 -o addr show > " + mark.string());
  EXPECT_NE(detail.value("commandSource", "").find("node_faults.drain"), std::string::npos);
  EXPECT_TRUE(parse_rfc3339(detail.value("injectedAt", "")).has_value()) << detail.dump();
}

}  // namespace
}  // namespace labctl::testing
