// The credential chain's STS sources through the real curl transport against the STS fake
// (tests/fakes/sts/sts_fake.py, validating against botocore's sts model and verifying SigV4),
// then an EC2 call signed with the issued session credentials, verified by the EC2 fake.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "providers/aws/ec2_client.hpp"
#include "tests/fakes/env_map.hpp"
#include "tests/integration/aws_client/fake_server.hpp"
#include "tests/support/temp_dir.hpp"

namespace labctl::providers::aws {
namespace {

constexpr const char* k_source_key = "AKIAFAKESTSSOURCE001";
constexpr const char* k_source_secret = "CANARY-STS-SOURCE-SECRET-45c48cce";
constexpr const char* k_issued_secret = "CANARY-STS-ISSUED-SECRET-d3d94468";
constexpr const char* k_web_token = "CANARY-STS-WEB-TOKEN-6512bd43";
constexpr const char* k_role = "arn:aws:iam::123456789012:role/lab-ci";
// The fake numbers what it issues: the first two key ids of a fresh fake.
constexpr const char* k_issued_1 = "ASIAFAKESTS000000001";
constexpr const char* k_issued_2 = "ASIAFAKESTS000000002";

class StsFakeTest : public testing::TempDirTest {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists("/usr/bin/python3")) GTEST_SKIP() << "/usr/bin/python3 is missing";
    std::filesystem::create_directories(tmp.path() / "sts");
    std::filesystem::create_directories(tmp.path() / "ec2");
    std::string why;
    sts = testing::FakeServer::start(
        {"/usr/bin/python3", (testing::source_dir() / "tests/fakes/sts/sts_fake.py").string(),
         "--verify-secret", std::string(k_source_key) + "=" + k_source_secret,
         "--web-identity-token", k_web_token, "--issue-secret", k_issued_secret},
        tmp.path() / "sts", why);
    ASSERT_NE(sts, nullptr) << "STS fake did not start: " << why;
    ec2 = testing::FakeServer::start(
        {"/usr/bin/python3", (testing::source_dir() / "tests/fakes/ec2/ec2_fake.py").string(),
         "--verify-secret", std::string(k_issued_1) + "=" + k_issued_secret, "--verify-secret",
         std::string(k_issued_2) + "=" + k_issued_secret},
        tmp.path() / "ec2", why);
    ASSERT_NE(ec2, nullptr) << "EC2 fake did not start: " << why;
    testing::write_text(tmp.path() / "token", std::string(k_web_token) + "\n");
  }

  std::map<std::string, std::string> base_env() const {
    return {{"HOME", tmp.path().string()},         {"AWS_REGION", "us-east-1"},
            {"AWS_ENDPOINT_URL_STS", sts->url()},  {"AWS_ENDPOINT_URL_EC2", ec2->url()},
            {"AWS_EC2_METADATA_DISABLED", "true"}, {"CE_AWS_MAX_ATTEMPTS", "1"}};
  }

  nlohmann::json calls(const testing::FakeServer& server) {
    auto response = transport->send(HttpRequest{"GET", server.url() + "/_fake/calls", {}, ""});
    EXPECT_TRUE(response.has_value());
    return nlohmann::json::parse(response ? response->body : "{}", nullptr, false)["calls"];
  }

  // Resolves through the production factory (the wiring `labctl` uses), then sends one signed
  // DescribeInstances; returns the key id that resolved.
  std::string resolve_and_call_ec2(const std::map<std::string, std::string>& env) {
    auto factory = Ec2ClientFactory::from_env(testing::env_map(env), system_clock(), false);
    EXPECT_TRUE(factory.has_value());
    if (!factory) return {};
    const auto credentials = (*factory)->credentials();
    EXPECT_TRUE(credentials.has_value()) << credentials.error().message;
    if (!credentials) return {};
    auto client = (*factory)->client("us-east-1");
    EXPECT_TRUE(client.has_value());
    const auto described = (*client)->call("DescribeInstances", {});
    EXPECT_TRUE(described.has_value()) << (described ? "" : described.error().describe());
    return credentials->access_key_id();
  }

  std::shared_ptr<HttpTransport> transport = make_curl_transport({});
  std::unique_ptr<testing::FakeServer> sts;
  std::unique_ptr<testing::FakeServer> ec2;
};

// Given AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN + AWS_ROLE_SESSION_NAME, expect one unsigned
// AssumeRoleWithWebIdentity the fake accepts, then an EC2 call signed with the issued key and
// session token that the EC2 fake verifies.
TEST_F(StsFakeTest, WebIdentityRoundTripThenSignedEc2Call) {
  auto env = base_env();
  env["AWS_WEB_IDENTITY_TOKEN_FILE"] = (tmp.path() / "token").string();
  env["AWS_ROLE_ARN"] = k_role;
  env["AWS_ROLE_SESSION_NAME"] = "gha-run-42";
  EXPECT_EQ(resolve_and_call_ec2(env), k_issued_1);

  const auto sts_calls = calls(*sts);
  ASSERT_EQ(sts_calls.size(), 1U) << sts_calls.dump();
  EXPECT_EQ(sts_calls[0]["action"], "AssumeRoleWithWebIdentity");
  EXPECT_EQ(sts_calls[0]["status"], 200) << sts_calls.dump();
  EXPECT_EQ(sts_calls[0]["signed"], false);
  EXPECT_EQ(sts_calls[0]["params"]["RoleSessionName"], "gha-run-42");
  const auto ec2_calls = calls(*ec2);
  ASSERT_EQ(ec2_calls.size(), 1U);
  EXPECT_EQ(ec2_calls[0]["status"], 200) << ec2_calls.dump();
  EXPECT_EQ(ec2_calls[0]["access_key_id"], k_issued_1);
  EXPECT_EQ(ec2_calls[0]["session_token"], true);
}

// Given a role profile whose source_profile has keys, expect AssumeRole signed with those keys
// (verified by the fake against botocore), its settings accepted by the sts model, and the
// issued credentials accepted by the EC2 fake.
TEST_F(StsFakeTest, AssumeRoleRoundTripThenSignedEc2Call) {
  testing::write_text(tmp.path() / ".aws/credentials",
                      std::string("[base]\naws_access_key_id = ") + k_source_key +
                          "\naws_secret_access_key = " + k_source_secret + "\n");
  testing::write_text(tmp.path() / ".aws/config",
                      "[profile ci]\nrole_arn = " + std::string(k_role) +
                          "\nsource_profile = base\nexternal_id = lab-ext-1\n"
                          "duration_seconds = 900\nrole_session_name = labctl-ci\n");
  auto env = base_env();
  env["AWS_PROFILE"] = "ci";
  EXPECT_EQ(resolve_and_call_ec2(env), k_issued_1);

  const auto sts_calls = calls(*sts);
  ASSERT_EQ(sts_calls.size(), 1U) << sts_calls.dump();
  EXPECT_EQ(sts_calls[0]["action"], "AssumeRole");
  EXPECT_EQ(sts_calls[0]["status"], 200) << sts_calls.dump();
  EXPECT_EQ(sts_calls[0]["access_key_id"], k_source_key);
  EXPECT_EQ(sts_calls[0]["region"], "us-east-1");
  EXPECT_EQ(sts_calls[0]["params"]["ExternalId"], "lab-ext-1");
  EXPECT_EQ(sts_calls[0]["params"]["DurationSeconds"], "900");
  EXPECT_EQ(calls(*ec2).at(0)["access_key_id"], k_issued_1);
}

// Given a token the fake does not accept and a source key it does not know, expect STS's
// codes in the errors and none of the canaries.
TEST_F(StsFakeTest, RejectionsCarryStsCodesAndNoSecrets) {
  testing::write_text(tmp.path() / "wrong", "CANARY-WRONG-TOKEN-aab3238922");
  auto env = base_env();
  env["AWS_WEB_IDENTITY_TOKEN_FILE"] = (tmp.path() / "wrong").string();
  env["AWS_ROLE_ARN"] = k_role;
  CredentialChain web(testing::env_map(env), transport, system_clock());
  const auto rejected = web.resolve();
  ASSERT_FALSE(rejected.has_value());
  EXPECT_NE(rejected.error().message.find("HTTP 400 InvalidIdentityToken"), std::string::npos)
      << rejected.error().message;

  testing::write_text(tmp.path() / ".aws/config",
                      "[profile ci]\nrole_arn = " + std::string(k_role) +
                          "\nsource_profile = ci\naws_access_key_id = AKIAUNKNOWNKEY000001\n"
                          "aws_secret_access_key = " +
                          k_source_secret + "\n");
  env.erase("AWS_WEB_IDENTITY_TOKEN_FILE");
  env["AWS_PROFILE"] = "ci";
  CredentialChain unknown(testing::env_map(env), transport, system_clock());
  const auto refused = unknown.resolve();
  ASSERT_FALSE(refused.has_value());
  EXPECT_NE(refused.error().message.find("HTTP 403 InvalidClientTokenId"), std::string::npos)
      << refused.error().message;
  for (const auto& message : {rejected.error().message, refused.error().message}) {
    for (const char* canary :
         {k_source_secret, k_issued_secret, k_web_token, "CANARY-WRONG-TOKEN-aab3238922"}) {
      EXPECT_EQ(message.find(canary), std::string::npos) << message;
    }
  }
}

}  // namespace
}  // namespace labctl::providers::aws
