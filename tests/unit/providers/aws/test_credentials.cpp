#include "providers/aws/credentials.hpp"

#include <sstream>

#include <gtest/gtest.h>

#include "tests/fakes/fake_http_transport.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/fakes/env_map.hpp"
#include "tests/fakes/manual_clock.hpp"

namespace labctl::providers::aws {
namespace {

using testing::env_map;
using testing::FakeHttpTransport;

constexpr const char* k_canary_secret = "CANARY-SECRET-d41d8cd9";
constexpr const char* k_canary_token = "CANARY-TOKEN-8f00b204";

std::string imds_json(const std::string& key_id, SystemTime expires) {
  return R"({"Code":"Success","Type":"AWS-HMAC","AccessKeyId":")" + key_id +
         R"(","SecretAccessKey":")" + k_canary_secret + R"(","Token":")" + k_canary_token +
         R"(","Expiration":")" + format_rfc3339(expires) + R"("})";
}

// An IMDSv2 fake: token PUT must carry the TTL header, later GETs the token.
void serve_imds(FakeHttpTransport& transport, testing::ManualClock& clock, int& fetches) {
  transport.set_handler([&clock, &fetches](const FakeHttpTransport::Request& request) {
    if (request.method == "PUT" && request.url == "http://127.0.0.1:9/latest/api/token") {
      if (!find_header(request.headers, "X-aws-ec2-metadata-token-ttl-seconds")) {
        return FakeHttpTransport::respond(400, "");
      }
      return FakeHttpTransport::respond(200, "imds-token");
    }
    if (find_header(request.headers, "X-aws-ec2-metadata-token") != "imds-token") {
      return FakeHttpTransport::respond(401, "");
    }
    if (request.url == "http://127.0.0.1:9/latest/meta-data/iam/security-credentials/") {
      return FakeHttpTransport::respond(200, "lab-role\n");
    }
    if (request.url == "http://127.0.0.1:9/latest/meta-data/iam/security-credentials/lab-role") {
      ++fetches;
      return FakeHttpTransport::respond(200, imds_json("ASIAIMDS000" + std::to_string(fetches),
                                                       clock.now() + std::chrono::minutes(30)));
    }
    return FakeHttpTransport::respond(404, "");
  });
}

class CredentialsTest : public testing::TempDirTest {
 protected:
  std::map<std::string, std::string> base_env() {
    return {{"HOME", tmp.path().string()},
            {"AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:9"}};
  }
  Expected<Credentials> resolve(std::map<std::string, std::string> env) {
    return CredentialChain(env_map(std::move(env)), transport, clock).resolve();
  }
  std::shared_ptr<FakeHttpTransport> transport = std::make_shared<FakeHttpTransport>();
  std::shared_ptr<testing::ManualClock> clock = std::make_shared<testing::ManualClock>();
  int fetches = 0;
};

TEST(Credentials, PrintingShowsOnlyTheLastFourOfTheKeyId) {
  const Credentials credentials("AKIAABCDEFGHIJKLWXYZ", k_canary_secret, k_canary_token, {},
                                "environment");
  std::ostringstream out;
  out << credentials;
  EXPECT_EQ(out.str(), credentials.to_string());
  EXPECT_EQ(out.str(), "access key ...WXYZ (environment, session token)");
}

// Given env keys, a credentials file and IMDS all available, expect env to win, then files.
TEST_F(CredentialsTest, EnvironmentBeatsFilesBeatsImds) {
  serve_imds(*transport, *clock, fetches);
  testing::write_text(tmp.path() / ".aws/credentials",
                      "[default]\naws_access_key_id = AKIAFILE00000000FILE\n"
                      "aws_secret_access_key = file-secret\n");
  auto env = base_env();
  env["AWS_ACCESS_KEY_ID"] = "AKIAENV000000000ENVK";
  env["AWS_SECRET_ACCESS_KEY"] = "env-secret";
  env["AWS_SESSION_TOKEN"] = "env-token";
  auto from_env = resolve(env);
  ASSERT_TRUE(from_env.has_value()) << from_env.error().message;
  EXPECT_EQ(from_env->access_key_id(), "AKIAENV000000000ENVK");
  EXPECT_EQ(from_env->session_token(), "env-token");

  auto from_file = resolve(base_env());
  ASSERT_TRUE(from_file.has_value());
  EXPECT_EQ(from_file->access_key_id(), "AKIAFILE00000000FILE");
  EXPECT_EQ(from_file->secret_access_key(), "file-secret");

  std::filesystem::remove(tmp.path() / ".aws/credentials");
  auto from_imds = resolve(base_env());
  ASSERT_TRUE(from_imds.has_value()) << from_imds.error().message;
  EXPECT_EQ(from_imds->access_key_id(), "ASIAIMDS0001");
  EXPECT_EQ(from_imds->session_token(), k_canary_token);
  EXPECT_TRUE(transport->requests().size() >= 3U);
}

TEST_F(CredentialsTest, NamedProfilesFromCredentialsAndConfigFiles) {
  testing::write_text(
      tmp.path() / "creds",
      "# comment\n[default]\naws_access_key_id=AKIADEFAULT\naws_secret_access_key=s\n"
      "[lab]\naws_access_key_id = AKIALAB\naws_secret_access_key = lab-secret\n"
      "aws_session_token = lab-token\n");
  testing::write_text(tmp.path() / "config",
                      "[default]\nregion = us-west-2\n[profile cfg]\nregion = eu-central-1\n"
                      "aws_access_key_id = AKIACFG\naws_secret_access_key = cfg-secret\n"
                      "s3 =\n  max_concurrent_requests = 4\n");
  auto env = base_env();
  env["AWS_SHARED_CREDENTIALS_FILE"] = (tmp.path() / "creds").string();
  env["AWS_CONFIG_FILE"] = (tmp.path() / "config").string();
  env["AWS_PROFILE"] = "lab";
  auto lab = resolve(env);
  ASSERT_TRUE(lab.has_value());
  EXPECT_EQ(lab->access_key_id(), "AKIALAB");
  EXPECT_EQ(lab->session_token(), "lab-token");
  EXPECT_EQ(lab->source(), "shared credentials file profile \"lab\"");

  env["AWS_PROFILE"] = "cfg";
  auto cfg = resolve(env);
  ASSERT_TRUE(cfg.has_value());
  EXPECT_EQ(cfg->access_key_id(), "AKIACFG");
  EXPECT_EQ(resolve_region(env_map(env)), "eu-central-1");

  env.erase("AWS_PROFILE");
  EXPECT_EQ(resolve_region(env_map(env)), "us-west-2");
  env["AWS_DEFAULT_REGION"] = "ap-south-1";
  EXPECT_EQ(resolve_region(env_map(env)), "ap-south-1");
  env["AWS_REGION"] = "sa-east-1";
  EXPECT_EQ(resolve_region(env_map(env)), "sa-east-1");
}

TEST_F(CredentialsTest, MissingRegionNamesTheVariables) {
  const auto region = resolve_region(env_map(base_env()));
  ASSERT_FALSE(region.has_value());
  EXPECT_NE(region.error().message.find("AWS_REGION"), std::string::npos);
  EXPECT_NE(region.error().message.find("AWS_DEFAULT_REGION"), std::string::npos);
  EXPECT_NE(region.error().message.find("AWS_CONFIG_FILE"), std::string::npos);
}

// Given nothing anywhere and IMDS disabled, expect an error listing each source and the fix,
// and no request to the metadata service at all.
TEST_F(CredentialsTest, NothingFoundExplainsEverySource) {
  auto env = base_env();
  env["AWS_EC2_METADATA_DISABLED"] = "true";
  env["AWS_SECRET_ACCESS_KEY"] = k_canary_secret;  // half-configured env: must not be echoed
  const auto result = resolve(env);
  ASSERT_FALSE(result.has_value());
  const std::string& message = result.error().message;
  EXPECT_NE(message.find("environment: only one of AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY"),
            std::string::npos);
  EXPECT_NE(message.find("shared credentials file"), std::string::npos);
  EXPECT_NE(message.find("file not found"), std::string::npos);
  EXPECT_NE(message.find("AWS_EC2_METADATA_DISABLED=true"), std::string::npos);
  EXPECT_NE(message.find("fix: export AWS_ACCESS_KEY_ID"), std::string::npos);
  EXPECT_EQ(message.find(k_canary_secret), std::string::npos);
  EXPECT_TRUE(transport->requests().empty());
}

TEST_F(CredentialsTest, ImdsFailureIsReportedWithoutBodies) {
  transport->set_handler([](const FakeHttpTransport::Request& request) {
    if (request.method == "PUT") return FakeHttpTransport::respond(200, "tok");
    if (request.url.ends_with("/security-credentials/"))
      return FakeHttpTransport::respond(200, "role");
    return FakeHttpTransport::respond(
        200, std::string("{\"Code\":\"Failure\",\"SecretAccessKey\":\"") + k_canary_secret + "\"}");
  });
  const auto result = resolve(base_env());
  ASSERT_FALSE(result.has_value());
  EXPECT_NE(result.error().message.find("credentials of role role are malformed"),
            std::string::npos);
  EXPECT_EQ(result.error().message.find(k_canary_secret), std::string::npos);
}

// Given IMDS credentials valid 30 min, expect them cached until 5 min before expiry, then
// fetched again; the old ones are kept if the refresh fails while they are still valid.
TEST_F(CredentialsTest, ImdsCredentialsRefreshBeforeExpiry) {
  serve_imds(*transport, *clock, fetches);
  CredentialChain chain(env_map(base_env()), transport, clock);
  EXPECT_EQ(chain.resolve()->access_key_id(), "ASIAIMDS0001");
  clock->advance(std::chrono::minutes(20));
  EXPECT_EQ(chain.resolve()->access_key_id(), "ASIAIMDS0001");
  clock->advance(std::chrono::minutes(6));  // 4 min left: inside the refresh margin
  EXPECT_EQ(chain.resolve()->access_key_id(), "ASIAIMDS0002");
  EXPECT_EQ(fetches, 2);

  clock->advance(std::chrono::minutes(26));
  transport->set_handler([](const FakeHttpTransport::Request&) {
    return FakeHttpTransport::transport_failure(TransportErrorKind::timeout);
  });
  EXPECT_EQ(chain.resolve()->access_key_id(), "ASIAIMDS0002");
  clock->advance(std::chrono::minutes(5));  // now expired: the failure surfaces
  const auto expired = chain.resolve();
  ASSERT_FALSE(expired.has_value());
  EXPECT_NE(expired.error().message.find("timeout"), std::string::npos);
}

TEST_F(CredentialsTest, ImdsRequestsUseShortTimeouts) {
  serve_imds(*transport, *clock, fetches);
  ASSERT_TRUE(resolve(base_env()).has_value());
  for (const auto& request : transport->requests()) {
    EXPECT_LE(request.total_timeout, std::chrono::milliseconds(1000));
    EXPECT_EQ(request.url.find("169.254"), std::string::npos);
  }
}

}  // namespace
}  // namespace labctl::providers::aws
