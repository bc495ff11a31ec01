// `failover --provider aws --fault stop-active --measure` against the EC2 fake: the holder of the
// service address is read from EC2 (DescribeNetworkInterfaces), the probe flow runs through the
// matrix engine with an external MATRIX_RUNNER, and the address is moved during the measurement
// by a signed call from the aws CLI, as the standby's routerd would move it.
#include <sys/stat.h>

#include "tests/integration/aws/executor_fixture.hpp"

namespace labctl::testing {
namespace {

// Two aws sites: the routers' site and a peer whose client probes into it (failover timing
// needs a second site to probe from). The smallest lab that proves the point: four instances.
constexpr const char* k_profile = R"(name: measure
description: two aws sites, the smallest lab failover timing can probe
providers: [aws]
ttl: 1h
sites:
  - name: aws
    provider: aws
    logical_address: 10.77.60.11
    nodes:
      - {name: aws-router-a, role: router-a}
      - {name: aws-router-b, role: router-b}
      - {name: aws-client, role: client}
  - name: peer
    provider: aws
    logical_address: 10.77.60.12
    nodes:
      - {name: peer-client, role: client}
aws:
  region: us-east-1
  regions: [us-east-1]
  instance_type: t3.micro
  image: {owner: amazon, name: "al2023-ami-2023.*-x86_64"}
  operator_cidr: 198.51.100.0/24
  network: dedicated
  ssh_user: ec2-user
)";

// The MATRIX_RUNNER contract: ping passes, ssh reports the peer's logical address as the source
// the destination saw (source address preserved).
constexpr const char* k_runner = R"(#!/bin/sh
case "$1" in
  ping) exit 0 ;;
  ssh) echo "peer_ip=10.77.60.12"; exit 0 ;;
esac
exit 2
)";

class AwsMeasureTest : public ExecutorTest {
 protected:
  // `up` of the two-site profile; the lab's router ENIs.
  Lab up_measure_lab() {
    const auto profile = tmp.path() / "measure.yaml";
    write_text(profile, k_profile);
    const auto up = run({"up", "--profile", profile.string(), "--provider", "aws"});
    EXPECT_EQ(up.code, 0) << up.err;
    Lab lab;
    lab.run_id = up.out.substr(0, up.out.find('\n'));
    for (const auto& row : show(lab.run_id).value("resources", nlohmann::json::array())) {
      const std::string eni_id = row.value("attrs", nlohmann::json::object()).value("eniId", "");
      if (row.value("name", "") == "aws-router-a") lab.eni_a = eni_id;
      if (row.value("name", "") == "aws-router-b") lab.eni_b = eni_id;
      if (row.value("kind", "") == "subnet") subnet = row.value("cloudId", "");
    }
    EXPECT_FALSE(lab.eni_a.empty() || lab.eni_b.empty() || subnet.empty());
    return lab;
  }

  std::map<std::string, std::string> runner_env() const {
    const auto script = tmp.path() / "runner.sh";
    write_text(script, k_runner);
    ::chmod(script.c_str(), 0755);
    auto env = aws_env();
    env["MATRIX_RUNNER"] = script.string();
    return env;
  }

  // Starts the measured failover (each stage may take `timeout` seconds).
  std::unique_ptr<Spawned> start_measure(const Lab& lab, const std::string& timeout) {
    return spawn(
        {"failover", "--provider", "aws", "--fault", "stop-active", "--measure", "--run-id",
         lab.run_id, "--timeout-seconds", timeout, "--threshold-seconds", "60"},
        runner_env());
  }

  bool router_a_stopped() const {
    for (const auto& i : instances()) {
      if (i["tags"].value("Name", "") == "aws-router-a") return i["State"]["Name"] == "stopped";
    }
    return false;
  }

  std::string subnet;
};

// Given a captured service address on router-a, expect a measured stop-active to see the
// address move to router-b's ENI (moved with AllowReassignment while labctl polls), then the
// probe flow to pass: status pass, detection naming aws-router-b, the timing recorded as the
// run's failover event.
TEST_F(AwsMeasureTest, DetectsTheAddressMovingToTheStandby) {
  if (!aws_cli_available()) GTEST_SKIP() << "no /usr/bin/aws (Debian awscli)";
  const auto lab = up_measure_lab();
  (void)capture(lab, lab.eni_a);
  ASSERT_EQ(secondary_ips(lab.eni_a), std::vector<std::string>{k_address});

  auto measure = start_measure(lab, "30");
  ASSERT_TRUE(eventually([&] { return router_a_stopped(); })) << measure->err();
  (void)aws_cli({"assign-private-ip-addresses", "--network-interface-id", lab.eni_b,
                 "--private-ip-addresses", k_address, "--allow-reassignment"});
  ASSERT_EQ(measure->wait(std::chrono::seconds(60)), 0) << measure->out() << measure->err();

  const auto timing = nlohmann::json::parse(measure->out(), nullptr, false);
  ASSERT_TRUE(timing.is_object()) << measure->out();
  EXPECT_EQ(timing["status"], "pass") << timing.dump();
  const auto& stages = timing["events"][0]["stages"];
  EXPECT_EQ(stages["detection"]["result"], "pass") << timing.dump();
  EXPECT_TRUE(contains(stages["detection"].value("detail", ""), "now held by aws-router-b"))
      << timing.dump();
  EXPECT_EQ(stages["recovery"]["result"], "pass") << timing.dump();
  EXPECT_GT(calls("DescribeNetworkInterfaces"), 0u);

  bool recorded = false;
  const auto events = show(lab.run_id)["events"];
  for (const auto& e : events) {
    recorded = recorded || (e["kind"] == "failover" && e["detail"]["fault"] == "stop-active" &&
                            e["detail"]["timing"]["status"] == "pass");
  }
  EXPECT_TRUE(recorded) << events.dump();
  EXPECT_EQ(run({"down", "--run-id", lab.run_id}).code, 0);
  EXPECT_EQ(tagged(lab.run_id), std::vector<std::string>{});
}

// Given the service address moved to an ENI labctl did not create (an untagged ENI in the run's
// subnet), expect no detection: the tag fence never names a foreign ENI as the holder, the
// measurement fails (exit 1) and the detection stage quotes the refusal.
TEST_F(AwsMeasureTest, NeverReportsAForeignEniAsTheHolder) {
  if (!aws_cli_available()) GTEST_SKIP() << "no /usr/bin/aws (Debian awscli)";
  const auto lab = up_measure_lab();
  (void)capture(lab, lab.eni_a);
  const auto created = aws_cli({"create-network-interface", "--subnet-id", subnet});
  const std::string foreign = nlohmann::json::parse(created.out, nullptr, false)
                                  .value("NetworkInterface", nlohmann::json::object())
                                  .value("NetworkInterfaceId", "");
  ASSERT_FALSE(foreign.empty()) << created.out;
  (void)aws_cli({"assign-private-ip-addresses", "--network-interface-id", foreign,
                 "--private-ip-addresses", k_address, "--allow-reassignment"});

  auto measure = start_measure(lab, "2");
  ASSERT_EQ(measure->wait(std::chrono::seconds(60)), 1) << measure->out() << measure->err();
  const auto timing = nlohmann::json::parse(measure->out(), nullptr, false);
  ASSERT_TRUE(timing.is_object()) << measure->out();
  EXPECT_EQ(timing["status"], "fail");
  const std::string detail = timing["events"][0]["stages"]["detection"].value("detail", "");
  EXPECT_TRUE(contains(detail, "not taken over")) << detail;
  EXPECT_TRUE(contains(detail, "held by " + foreign + ", which is not an ENI of run")) << detail;
  (void)aws_cli({"delete-network-interface", "--network-interface-id", foreign});
  EXPECT_EQ(run({"down", "--run-id", lab.run_id}).code, 0);
}

}  // namespace
}  // namespace labctl::testing
