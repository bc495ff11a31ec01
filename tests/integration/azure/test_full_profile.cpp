// The seeds' four-site `full` profile live on two real clouds at once: aws against the EC2 fake
// and azure against the ARM fake, brought up by one `up` and removed by one `down` (oci is still
// a stub and onprem needs real hosts, so `--provider aws,azure` picks the clouds).
#include <csignal>
#include <string>
#include <vector>

#include "tests/integration/azure/arm_fake_fixture.hpp"

namespace labctl::testing {
namespace {

const char* k_python = "/usr/bin/python3";
constexpr const char* k_access_key = "AKIDLABCTLFULL0001";
constexpr const char* k_aws_canary = "aws-canary-SECRET-5d2b7f-do-not-leak";

class FullProfile : public ArmFakeTest {
 protected:
  void SetUp() override {
    fake_args = {"--op-delay-ms", "5"};
    ArmFakeTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    const auto port_file = tmp.path() / "ec2.port";
    m_ec2 = std::make_unique<Spawned>(
        std::vector<std::string>{k_python,
                                 std::string(LABCTL_SOURCE_DIR) + "/tests/fakes/ec2/ec2_fake.py",
                                 "--port", "0", "--port-file", port_file.string(),
                                 "--run-delay-ms", "50", "--verify-secret",
                                 std::string(k_access_key) + "=" + k_aws_canary},
        std::map<std::string, std::string>{}, tmp.path());
    ASSERT_TRUE(eventually([&] { return std::filesystem::exists(port_file); }))
        << "EC2 fake did not start: " << m_ec2->err();
    std::string port = read_text(port_file);
    while (!port.empty() && (port.back() == '\n' || port.back() == '\r')) port.pop_back();
    m_ec2_endpoint = "http://127.0.0.1:" + port;
  }

  void TearDown() override {
    if (m_ec2) {
      m_ec2->signal(SIGTERM);
      (void)m_ec2->wait(std::chrono::seconds(10));
    }
    ArmFakeTest::TearDown();
  }

  // Both clouds configured: the fixture's Azure service principal and the EC2 fake's keys.
  [[nodiscard]] std::map<std::string, std::string> both_clouds() const {
    auto env = azure_env();
    env["AWS_ENDPOINT_URL_EC2"] = m_ec2_endpoint;
    env["AWS_ACCESS_KEY_ID"] = k_access_key;
    env["AWS_SECRET_ACCESS_KEY"] = k_aws_canary;
    env["AWS_REGION"] = "us-east-1";
    env["CE_AWS_REGIONS"] = "us-east-1";
    return env;
  }

  // The EC2 fake's live resources tagged with `run_id` (terminated instances do not count).
  [[nodiscard]] std::size_t ec2_tagged(const std::string& run_id) const {
    const auto out = run_command({"/usr/bin/curl", "-sS", "--max-time", "20",
                                  m_ec2_endpoint + "/_fake/state?region=us-east-1"},
                                 {}, tmp.path());
    const auto state = nlohmann::json::parse(out.out, nullptr, false);
    std::size_t count = 0;
    if (!state.is_object()) return count;
    for (const auto& [kind, items] : state["regions"]["us-east-1"].items()) {
      if (!items.is_array()) continue;
      for (const auto& item : items) {
        const auto tags = item.value("tags", nlohmann::json::object());
        if (!tags.is_object() || tags.value("routerd.cloudedge.run_id", "") != run_id) continue;
        if (item.contains("State") && item["State"].is_object() &&
            item["State"].value("Name", "") == "terminated") {
          continue;
        }
        ++count;
      }
    }
    return count;
  }

 private:
  std::unique_ptr<Spawned> m_ec2;
  std::string m_ec2_endpoint;
};

// Given the full profile live with aws and azure configured, expect one up to create both
// clouds' parts (every resource tagged with the run), and one down to remove both, exit 0, with
// neither cloud's secret anywhere in the output.
TEST_F(FullProfile, AwsAndAzureComeUpTogetherAndGoDownTogether) {
  const auto up = live({"up", "--profile", "full", "--provider", "aws,azure", "--ttl", "1h"},
                       both_clouds());
  ASSERT_EQ(up.code, 0) << up.err;
  const std::string run_id = up.out.substr(0, up.out.find('\n'));
  EXPECT_GE(ec2_tagged(run_id), 3u) << "the aws routers and client";
  EXPECT_GE(tagged(run_id).size(), 12u) << "the azure group and its resources";

  const auto down = live({"down", "--run-id", run_id}, both_clouds());
  EXPECT_EQ(down.code, 0) << down.err;
  EXPECT_EQ(ec2_tagged(run_id), 0u);
  EXPECT_EQ(tagged(run_id), std::vector<std::string>{});
  for (const auto* text : {&up.out, &up.err, &down.out, &down.err}) {
    EXPECT_EQ(text->find(k_aws_canary), std::string::npos);
    EXPECT_EQ(text->find(k_canary_secret), std::string::npos);
  }
}

}  // namespace
}  // namespace labctl::testing
