// Node faults on aws (issue 12, "Done when"): `labctl failover --provider aws --fault drain`
// runs the profile's drain command over SSH on the active router and records the event. The
// EC2 fake stands in for EC2; a network namespace holding the router's public IP, with a real
// sshd, stands in for the instance.
#include "core/time.hpp"
#include "tests/integration/aws/ec2_fake_fixture.hpp"
#include "tests/support/instance_stand_in.hpp"

namespace labctl::testing {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

bool looks_like_rfc3339(const std::string& text) { return parse_rfc3339(text).has_value(); }

class AwsNodeFaults : public Ec2FakeTest {
 protected:
  void SetUp() override {
    if (const auto why = InstanceStandIn::unavailable(); !why.empty()) GTEST_SKIP() << why;
    Ec2FakeTest::SetUp();
    mark = tmp.path() / "drained";
    restored = tmp.path() / "restored";
    profile = tmp.path() / "aws-node-faults.yaml";
    // The smallest aws lab with an active router; drain and its restore leave a mark each: the
    // addresses of the namespace they ran in.
    write_text(profile,
               "name: aws-node-faults\nproviders: [aws]\nttl: 1h\nsites:\n"
               "  - name: aws\n    provider: aws\n    logical_address: 10.77.60.11\n"
               "    nodes:\n      - {name: aws-router-a, role: router-a}\n"
               "aws:\n  region: us-east-1\n  regions: [us-east-1]\n"
               "  image: {owner: amazon, name: \"al2023-ami-2023.*-x86_64\"}\n"
               "  operator_cidr: 198.51.100.0/24\n  ssh_user: ec2-user\n"
               "node_faults:\n  drain:\n    inject: ip -4 -o addr show > " +
                   mark.string() + "\n    restore: ip -4 -o addr show > " + restored.string() +
                   "\n");
    const auto up = live({"up", "--profile", profile.string(), "--ttl", "30m"});
    ASSERT_EQ(up.code, 0) << up.err;
    run_id = first_line(up.out);
    const Json shown = show(run_id);
    for (const auto& r : shown["resources"]) {
      if (r["kind"] == "instance" && r["attrs"].value("role", "") == "router-a") {
        address = r["attrs"].value("publicIp", "");
      }
      if (r["kind"] == "key-pair") key_file = r["attrs"].value("keyFile", "");
    }
    ASSERT_FALSE(address.empty()) << shown.dump();
    ASSERT_FALSE(key_file.empty()) << shown.dump();
    // The saved key is usable by OpenSSH as it is (its last line ended, mode 0600).
    const auto pub =
        run_command({"/usr/bin/ssh-keygen", "-y", "-f", key_file}, {}, tmp.path());
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
    Ec2FakeTest::TearDown();
  }

  // failover against the run as root on the stand-in, host keys from `known`, no agent.
  CommandOutput failover(std::vector<std::string> args, const fs::path& known) const {
    args.insert(args.begin(), {"failover", "--run-id", run_id, "--provider", "aws"});
    return live(args, {{"CE_SSH_USER", "root"},
                       {"CE_SSH_KNOWN_HOSTS", known.string()},
                       {"SSH_AUTH_SOCK", "\x01unset"},
                       {"CE_SSH_CONNECT_TIMEOUT", "5"}});
  }

  // The run's failover events with `result`, oldest first.
  std::vector<Json> events(const std::string& result) const {
    std::vector<Json> found;
    const Json shown = show(run_id);
    for (const auto& e : shown["events"]) {
      if (e["kind"] == "failover" && e["detail"].value("result", "") == result) {
        found.push_back(e["detail"]);
      }
    }
    return found;
  }

  fs::path mark, restored, profile, known_hosts;
  std::string run_id, address, key_file;
  std::unique_ptr<InstanceStandIn> instance;
};

// Given a live aws run whose active router answers SSH at its public IP, expect drain to run
// the profile's command there (the mark lists that address), exit 0, and record the event with
// the node, address, command and its injectedAt.
TEST_F(AwsNodeFaults, DrainRunsTheProfileCommandOnTheActiveRouter) {
  const auto drained = failover({"--fault", "drain"}, known_hosts);
  ASSERT_EQ(drained.code, 0) << drained.err;
  EXPECT_NE(read_text(mark).find(" " + address + " "), std::string::npos)
      << "the drain command did not run on the router's namespace (" << address << ")";
  const auto injected = events("injected");
  ASSERT_EQ(injected.size(), 1u) << show(run_id)["events"].dump();
  const auto& detail = injected.front()["detail"];
  EXPECT_EQ(detail["node"], "aws-router-a");
  EXPECT_EQ(detail["address"], address);
  EXPECT_EQ(detail["user"], "root");
  EXPECT_EQ(detail["exitStatus"], 0);
  EXPECT_EQ(detail["step"], "inject");
  EXPECT_EQ(detail["command"], "ip -4 -o addr show > " + mark.string());
  EXPECT_NE(detail.value("commandSource", "").find("node_faults.drain"), std::string::npos);
  EXPECT_TRUE(looks_like_rfc3339(detail.value("injectedAt", ""))) << detail.dump();
  EXPECT_TRUE(looks_like_rfc3339(injected.front().value("injectedAt", "")));
  EXPECT_FALSE(fs::exists(restored)) << "drain alone must not restore";
}

// Given --restore-after, expect inject, then restore, each with its own event and timestamp
// (restoredAt not before injectedAt); given --restore alone, expect only the restore command.
TEST_F(AwsNodeFaults, RestoreRunsTheRestoreCommandAndRecordsIt) {
  const auto both = failover({"--fault", "drain", "--restore-after", "1"}, known_hosts);
  ASSERT_EQ(both.code, 0) << both.err;
  EXPECT_TRUE(fs::exists(mark));
  EXPECT_NE(read_text(restored).find(" " + address + " "), std::string::npos);
  const auto injected = events("injected");
  const auto restores = events("restored");
  ASSERT_EQ(injected.size(), 1u);
  ASSERT_EQ(restores.size(), 1u) << show(run_id)["events"].dump();
  const std::string injected_at = injected.front()["detail"].value("injectedAt", "");
  const std::string restored_at = restores.front()["detail"].value("restoredAt", "");
  ASSERT_TRUE(looks_like_rfc3339(restored_at)) << restores.front().dump();
  EXPECT_LE(injected_at, restored_at);  // same format and zone: text order is time order
  EXPECT_EQ(restores.front()["detail"]["step"], "restore");

  fs::remove(mark);
  fs::remove(restored);
  const auto only = failover({"--fault", "drain", "--restore"}, known_hosts);
  ASSERT_EQ(only.code, 0) << only.err;
  EXPECT_TRUE(fs::exists(restored));
  EXPECT_FALSE(fs::exists(mark)) << "--restore must not inject";
  EXPECT_EQ(events("restored").size(), 2u);
}

// Given a known_hosts without the router's key, expect the fault to fail closed (exit 3, no
// command run, a failed event); given a fault aws cannot do, or a provider the run does not
// have, expect exit 2.
TEST_F(AwsNodeFaults, UnknownHostKeyAndFaultsAProviderCannotDo) {
  const fs::path empty = tmp.path() / "empty_known_hosts";
  write_text(empty, "");
  const auto unknown = failover({"--fault", "drain"}, empty);
  EXPECT_EQ(unknown.code, 3) << unknown.err;
  EXPECT_FALSE(fs::exists(mark)) << "a node whose key is unknown got the command";
  EXPECT_EQ(events("failed").size(), 1u);

  const auto testfs =
      live({"failover", "--run-id", run_id, "--provider", "testfs", "--fault", "drain"});
  EXPECT_EQ(testfs.code, 2) << testfs.err;
  EXPECT_NE(testfs.err.find("has no provider 'testfs' (its providers: aws)"), std::string::npos)
      << testfs.err;
  const auto stop_restore = failover({"--fault", "stop-active", "--restore"}, known_hosts);
  EXPECT_EQ(stop_restore.code, 2) << stop_restore.err;
  EXPECT_NE(stop_restore.err.find("cannot restore fault 'stop-active'"), std::string::npos)
      << stop_restore.err;
}

}  // namespace
}  // namespace labctl::testing
