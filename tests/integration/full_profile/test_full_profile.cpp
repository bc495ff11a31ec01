// The seeds' four-site `full` profile live on three clouds at once: aws against the EC2 fake,
// azure against the ARM fake and oci against the OCI fake, side by side, brought up by one `up`
// and removed by one `down`; and one stateless `down --expired` that clears expired labs of all
// three clouds (onprem needs real hosts, so `--provider aws,azure,oci` picks the clouds).
#include <csignal>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/azure/arm_fake_fixture.hpp"
#include "tests/integration/oci/oci_fake_fixture.hpp"

namespace labctl::testing {
namespace {

const char* k_python = "/usr/bin/python3";
constexpr const char* k_access_key = "AKIDLABCTLFULL0001";
constexpr const char* k_aws_canary = "aws-canary-SECRET-5d2b7f-do-not-leak";
constexpr const char* k_clouds = "aws,azure,oci";

// Replaces the top-level section `key` of a YAML text (its "key:" line at column 0 and the
// indented lines after it) with `replacement` (whole lines); false when there is no such section.
bool replace_section(std::string& yaml, const std::string& key, const std::string& replacement) {
  const std::string head = key + ":";
  std::size_t begin = yaml.starts_with(head) ? 0 : yaml.find("\n" + head);
  if (begin == std::string::npos) return false;
  if (begin != 0) ++begin;
  std::size_t end = yaml.find('\n', begin);
  while (end != std::string::npos && end + 1 < yaml.size() &&
         (yaml[end + 1] == ' ' || yaml[end + 1] == '\n')) {
    end = yaml.find('\n', end + 1);
  }
  yaml.replace(begin, end == std::string::npos ? std::string::npos : end + 1 - begin,
               replacement);
  return true;
}

class FullProfile : public ArmFakeTest {
 protected:
  void SetUp() override {
    fake_args = {"--op-delay-ms", "5"};
    ArmFakeTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    if (const auto why = OciFake::unavailable(); !why.empty()) GTEST_SKIP() << why;
    m_oci.fake_args = {"--op-delay-ms", "5"};
    m_oci.start(tmp.path() / "oci-fake");
    if (HasFatalFailure()) return;
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
    m_oci.stop();
    ArmFakeTest::TearDown();
  }

  // The three clouds configured: the fixture's Azure service principal, the OCI fake's API key
  // and the EC2 fake's keys.
  [[nodiscard]] std::map<std::string, std::string> all_clouds() const {
    auto env = azure_env();
    for (const auto& [k, v] : m_oci.credentials_env()) env[k] = v;
    env["AWS_ENDPOINT_URL_EC2"] = m_ec2_endpoint;
    env["AWS_ACCESS_KEY_ID"] = k_access_key;
    env["AWS_SECRET_ACCESS_KEY"] = k_aws_canary;
    env["AWS_REGION"] = "us-east-1";
    env["CE_AWS_REGIONS"] = "us-east-1";
    return env;
  }

  // A copy of profiles/full.yaml whose oci section names what a live oci up needs and the OCI
  // fake knows (the seed leaves the image and compartment to the operator).
  [[nodiscard]] std::string write_full_profile() const {
    auto yaml = read_text(std::string(LABCTL_SOURCE_DIR) + "/profiles/full.yaml");
    const bool replaced = replace_section(
        yaml, "oci",
        std::string("oci:\n") + "  region: " + OciFake::k_region + "\n" +
            "  compartment: " + OciFake::k_compartment + "\n" + "  image: " + OciFake::k_image +
            "\n" + "  shape: VM.Standard.E4.Flex\n  operator_cidr: 198.51.100.0/24\n");
    EXPECT_TRUE(replaced) << "profiles/full.yaml has no top-level oci section";
    const auto path = tmp.path() / "full.yaml";
    write_text(path, yaml);
    return path.string();
  }

  // The EC2 fake's live resources tagged with `run_id` (any run when empty; terminated
  // instances do not count).
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
        if (!tags.is_object() || !tags.contains("routerd.cloudedge.run_id")) continue;
        if (!run_id.empty() && tags.value("routerd.cloudedge.run_id", "") != run_id) continue;
        if (item.contains("State") && item["State"].is_object() &&
            item["State"].value("Name", "") == "terminated") {
          continue;
        }
        ++count;
      }
    }
    return count;
  }

  // Every secret of the three clouds found in `text`.
  [[nodiscard]] std::vector<std::string> secrets_in(const std::string& text) const {
    auto found = OciFake::leaked(text);
    for (const char* secret : {k_aws_canary, k_canary_secret}) {
      if (text.find(secret) != std::string::npos) found.emplace_back(secret);
    }
    return found;
  }

  OciFake m_oci;

 private:
  std::unique_ptr<Spawned> m_ec2;
  std::string m_ec2_endpoint;
};

// Given the full profile live with aws, azure and oci configured, expect one up to create the
// three clouds' parts (every resource tagged with the run), and one down to remove them all,
// exit 0, with no cloud's secret anywhere in the output.
TEST_F(FullProfile, ThreeCloudsComeUpTogetherAndGoDownTogether) {
  const auto up = labctl({"up", "--profile", write_full_profile(), "--provider", k_clouds,
                          "--ttl", "1h"},
                         all_clouds());
  ASSERT_EQ(up.code, 0) << up.err;
  const std::string run_id = up.out.substr(0, up.out.find('\n'));
  EXPECT_GE(ec2_tagged(run_id), 3u) << "the aws routers and client";
  EXPECT_GE(tagged(run_id).size(), 12u) << "the azure group and its resources";
  EXPECT_GE(m_oci.tagged(run_id).size(), 8u) << "the oci network and three instances";

  const auto down = labctl({"down", "--run-id", run_id}, all_clouds());
  EXPECT_EQ(down.code, 0) << down.err;
  EXPECT_EQ(ec2_tagged(run_id), 0u);
  EXPECT_EQ(tagged(run_id), std::vector<std::string>{});
  EXPECT_EQ(m_oci.existing(), std::vector<std::string>{});
  for (const auto* text : {&up.out, &up.err, &down.out, &down.err}) {
    EXPECT_EQ(secrets_in(*text), std::vector<std::string>{});
  }
}

// Given the full profile up on the three clouds with a 1 s TTL, its state directory never seen
// again (another machine's leak) and the TTL past, expect one `down --expired` with a fresh,
// empty state directory to exit 0 and leave nothing of the lab in any of the three fakes.
TEST_F(FullProfile, OneStatelessJanitorPassClearsAllThreeClouds) {
  const auto started = std::chrono::steady_clock::now();
  const auto up = labctl({"up", "--profile", write_full_profile(), "--provider", k_clouds,
                          "--ttl", "1s"},
                         all_clouds());
  ASSERT_EQ(up.code, 0) << up.err;
  ASSERT_GE(ec2_tagged(""), 3u);
  ASSERT_FALSE(tagged("").empty());
  ASSERT_FALSE(m_oci.tagged("").empty());
  // The TTL tag has whole seconds: two seconds after the start it has passed.
  std::this_thread::sleep_until(started + std::chrono::seconds(2));

  auto env = all_clouds();
  env["CE_STATE_DIR"] = (tmp.path() / "fresh-state").string();
  const auto janitor = labctl({"down", "--expired"}, env);
  EXPECT_EQ(janitor.code, 0) << janitor.err;
  EXPECT_EQ(ec2_tagged(""), 0u);
  EXPECT_EQ(tagged(""), std::vector<std::string>{});
  EXPECT_EQ(m_oci.existing(), std::vector<std::string>{});
  EXPECT_EQ(secrets_in(janitor.out + janitor.err), std::vector<std::string>{});
}

}  // namespace
}  // namespace labctl::testing
