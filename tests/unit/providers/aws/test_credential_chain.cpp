// The credential chain's STS and process sources (providers/aws/credentials.hpp): the chain's
// order, ~/.aws/config role profiles, web identity, credential_process, refresh before expiry
// and the secret canaries. STS and IMDS are a scripted FakeHttpTransport; processes a
// RecordingProcessRunner; time a ManualClock.

#include <atomic>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "providers/aws/credentials.hpp"
#include "providers/aws/shared_config.hpp"
#include "tests/fakes/env_map.hpp"
#include "tests/fakes/fake_http_transport.hpp"
#include "tests/fakes/manual_clock.hpp"
#include "tests/fakes/recording_process_runner.hpp"
#include "tests/support/temp_dir.hpp"

namespace labctl::providers::aws {
namespace {

using std::chrono::minutes;
using testing::env_map;
using testing::FakeHttpTransport;
using testing::RecordingProcessRunner;

constexpr const char* k_canary_secret = "CANARY-CHAIN-SECRET-a1d0c6e8";
constexpr const char* k_canary_token = "CANARY-CHAIN-TOKEN-17e62166";
constexpr const char* k_canary_web_token = "CANARY-CHAIN-WEBID-f7177163";
constexpr const char* k_role = "arn:aws:iam::123456789012:role/lab-ci";

// Form field `name` of a request body ("" if absent), percent-decoding only what tests use.
std::string field(const std::string& body, const std::string& name) {
  const auto at = ("&" + body).find("&" + name + "=");
  if (at == std::string::npos) return {};
  const auto start = at + name.size() + 1;
  std::string value = body.substr(start, body.find('&', start) - start);
  for (const auto& [from, to] : {std::pair{"%3A", ":"}, {"%2F", "/"}}) {
    for (auto pos = value.find(from); pos != std::string::npos; pos = value.find(from)) {
      value.replace(pos, 3, to);
    }
  }
  return value;
}

// The access key id in a SigV4 Authorization header ("" when unsigned).
std::string signed_by(const FakeHttpTransport::Request& request) {
  const auto authorization = find_header(request.headers, "Authorization").value_or("");
  const auto start = authorization.find("Credential=");
  if (start == std::string::npos) return {};
  return authorization.substr(start + 11, authorization.find('/', start) - start - 11);
}

class ChainTest : public testing::TempDirTest {
 protected:
  void SetUp() override {
    // STS issues ASIASTS0000000000N (N counts the calls) valid `lifetime` from now; IMDS the
    // instance role's ASIAIMDS000000000001.
    transport->set_handler([this](const FakeHttpTransport::Request& request) {
      if (request.url.find("/latest/") != std::string::npos) return imds(request);
      const std::string action = field(request.body, "Action");
      const int serial = ++sts_calls;
      if (sts_failing) return FakeHttpTransport::respond(400, "<ErrorResponse/>");
      char key_id[32];
      std::snprintf(key_id, sizeof key_id, "ASIASTS%013d", serial);
      return FakeHttpTransport::respond(
          200, "<" + action + "Response><" + action + "Result><Credentials><AccessKeyId>" + key_id +
                   "</AccessKeyId><SecretAccessKey>" + k_canary_secret +
                   "</SecretAccessKey><SessionToken>" + k_canary_token +
                   "</SessionToken><Expiration>" + format_rfc3339(clock->now() + lifetime) +
                   "</Expiration></Credentials></" + action + "Result></" + action + "Response>");
    });
  }

  FakeHttpTransport::Result imds(const FakeHttpTransport::Request& request) {
    if (request.method == "PUT") return FakeHttpTransport::respond(200, "tok");
    if (request.url.ends_with("/security-credentials/")) {
      return FakeHttpTransport::respond(200, "lab-role");
    }
    return FakeHttpTransport::respond(
        200, std::string(R"({"Code":"Success","AccessKeyId":"ASIAIMDS000000000001",)") +
                 R"("SecretAccessKey":"imds-secret","Token":"imds-token","Expiration":")" +
                 format_rfc3339(clock->now() + std::chrono::hours(6)) + "\"}");
  }

  std::map<std::string, std::string> base_env() const {
    return {{"HOME", tmp.path().string()},
            {"AWS_REGION", "eu-west-1"},
            {"AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9"},
            {"AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:8"}};
  }
  void config(const std::string& text) const {
    testing::write_text(tmp.path() / ".aws/config", text);
  }
  void credentials_file(const std::string& text) const {
    testing::write_text(tmp.path() / ".aws/credentials", text);
  }
  CredentialChain chain(std::map<std::string, std::string> env) {
    return CredentialChain(env_map(std::move(env)), transport, clock, processes);
  }
  Expected<Credentials> resolve(std::map<std::string, std::string> env) {
    return chain(std::move(env)).resolve();
  }
  std::vector<FakeHttpTransport::Request> sts_requests() const {
    std::vector<FakeHttpTransport::Request> out;
    for (const auto& request : transport->requests()) {
      if (request.url.find("/latest/") == std::string::npos) out.push_back(request);
    }
    return out;
  }
  static std::string process_json(const std::string& key_id, const std::string& expiration = "") {
    return R"({"Version": 1, "AccessKeyId": ")" + key_id + R"(", "SecretAccessKey": ")" +
           k_canary_secret + R"(", "SessionToken": ")" + k_canary_token + "\"" +
           (expiration.empty() ? "" : R"(, "Expiration": ")" + expiration + "\"") + "}";
  }

  std::shared_ptr<FakeHttpTransport> transport = std::make_shared<FakeHttpTransport>();
  std::shared_ptr<testing::ManualClock> clock = std::make_shared<testing::ManualClock>();
  std::shared_ptr<RecordingProcessRunner> processes = std::make_shared<RecordingProcessRunner>();
  std::atomic<int> sts_calls{0};
  std::atomic<bool> sts_failing{false};
  std::chrono::seconds lifetime{3600};
};

// Given every source configured for one profile, expect botocore's order: environment, assume
// role, web identity, credentials file, credential_process, config keys, IMDS; each removed in
// turn hands over to the next.
TEST_F(ChainTest, OrderIsBotocoresAndEachSourceHandsOverToTheNext) {
  processes->set_handler([](const ProcessRequest&) {
    return Expected<ProcessResult>(
        RecordingProcessRunner::exited(0, process_json("AKIAPROCESS000000001")));
  });
  testing::write_text(tmp.path() / "token", std::string(k_canary_web_token) + "\n");
  const std::string role = "role_arn = " + std::string(k_role) + "\nsource_profile = keys\n";
  const std::string process = "credential_process = /usr/bin/creds --profile ci\n";
  const std::string config_keys =
      "aws_access_key_id = AKIACONFIG0000000001\naws_secret_access_key = config-secret\n";
  const std::string keys_profile =
      "[keys]\naws_access_key_id = AKIASOURCE0000000001\naws_secret_access_key = s\n";
  credentials_file(keys_profile +
                   "[ci]\naws_access_key_id = AKIACREDFILE00000001\naws_secret_access_key = c\n");
  config("[profile ci]\n" + role + process + config_keys);
  auto env = base_env();
  env["AWS_PROFILE"] = "ci";
  env["AWS_WEB_IDENTITY_TOKEN_FILE"] = (tmp.path() / "token").string();
  env["AWS_ROLE_ARN"] = k_role;
  env["AWS_ACCESS_KEY_ID"] = "AKIAENVIRONMENT00001";
  env["AWS_SECRET_ACCESS_KEY"] = "env-secret";

  const auto source_of = [&] {
    const auto resolved = resolve(env);
    return resolved ? resolved->source() + " " + resolved->access_key_id()
                    : "error: " + resolved.error().message;
  };
  EXPECT_EQ(source_of(), "environment AKIAENVIRONMENT00001");
  env.erase("AWS_ACCESS_KEY_ID");
  EXPECT_EQ(source_of(), "role " + std::string(k_role) + " assumed for " +
                             (tmp.path() / ".aws/config").string() +
                             " profile \"ci\" ASIASTS0000000000001");
  EXPECT_EQ(signed_by(sts_requests().back()), "AKIASOURCE0000000001");
  config("[profile ci]\n" + process + config_keys);
  EXPECT_EQ(source_of(), "web identity role " + std::string(k_role) +
                             " for AWS_WEB_IDENTITY_TOKEN_FILE/profile \"ci\" "
                             "ASIASTS0000000000002");
  EXPECT_EQ(field(sts_requests().back().body, "WebIdentityToken"), k_canary_web_token);
  env.erase("AWS_WEB_IDENTITY_TOKEN_FILE");
  EXPECT_EQ(source_of(), "shared credentials file profile \"ci\" AKIACREDFILE00000001");
  credentials_file(keys_profile);
  EXPECT_EQ(source_of(), "credential_process of profile \"ci\" AKIAPROCESS000000001");
  config("[profile ci]\n" + config_keys);
  EXPECT_EQ(source_of(), "config file profile \"ci\" AKIACONFIG0000000001");
  config("[profile ci]\nregion = eu-west-1\n");
  EXPECT_EQ(source_of(), "instance metadata role lab-role ASIAIMDS000000000001");
  EXPECT_EQ(sts_calls, 2);
}

// Given a role profile with every AssumeRole setting, expect them all sent, signed by the
// source profile's keys in the STS region, and the STS answer's credentials returned.
TEST_F(ChainTest, AssumeRoleSendsTheProfilesSettings) {
  credentials_file(
      "[base]\naws_access_key_id = AKIABASE000000000001\n"
      "aws_secret_access_key = base-secret\n");
  config("[profile ci]\nrole_arn = " + std::string(k_role) +
         "\nsource_profile = base\nexternal_id = ext-42\nduration_seconds = 1800\n"
         "role_session_name = ci-run-7\n");
  auto env = base_env();
  env["AWS_PROFILE"] = "ci";
  const auto credentials = resolve(env);
  ASSERT_TRUE(credentials.has_value()) << credentials.error().message;
  EXPECT_EQ(credentials->access_key_id(), "ASIASTS0000000000001");
  EXPECT_EQ(credentials->session_token(), k_canary_token);
  const auto requests = sts_requests();
  ASSERT_EQ(requests.size(), 1U);
  EXPECT_EQ(requests[0].url, "http://127.0.0.1:9/");
  EXPECT_EQ(field(requests[0].body, "Action"), "AssumeRole");
  EXPECT_EQ(field(requests[0].body, "RoleArn"), k_role);
  EXPECT_EQ(field(requests[0].body, "RoleSessionName"), "ci-run-7");
  EXPECT_EQ(field(requests[0].body, "ExternalId"), "ext-42");
  EXPECT_EQ(field(requests[0].body, "DurationSeconds"), "1800");
  EXPECT_EQ(signed_by(requests[0]), "AKIABASE000000000001");
  EXPECT_NE(find_header(requests[0].headers, "Authorization")->find("/eu-west-1/sts/"),
            std::string::npos);
}

// Given ci -> mid (a role) -> base (keys), expect mid assumed with base's keys, then ci with
// mid's temporary credentials (session token sent); a profile naming itself uses its own keys.
TEST_F(ChainTest, ChainedRolesAndSelfReference) {
  credentials_file(
      "[base]\naws_access_key_id = AKIABASE000000000001\n"
      "aws_secret_access_key = base-secret\n");
  config("[profile ci]\nrole_arn = " + std::string(k_role) + "\nsource_profile = mid\n" +
         "[profile mid]\nrole_arn = arn:aws:iam::123456789012:role/mid\nsource_profile = base\n" +
         "[profile self]\nrole_arn = " + k_role + "\nsource_profile = self\n" +
         "aws_access_key_id = AKIASELF000000000001\naws_secret_access_key = self-secret\n");
  auto env = base_env();
  env["AWS_PROFILE"] = "ci";
  const auto credentials = resolve(env);
  ASSERT_TRUE(credentials.has_value()) << credentials.error().message;
  EXPECT_EQ(credentials->access_key_id(), "ASIASTS0000000000002");
  auto requests = sts_requests();
  ASSERT_EQ(requests.size(), 2U);
  EXPECT_EQ(field(requests[0].body, "RoleArn"), "arn:aws:iam::123456789012:role/mid");
  EXPECT_EQ(signed_by(requests[0]), "AKIABASE000000000001");
  EXPECT_EQ(signed_by(requests[1]), "ASIASTS0000000000001");
  EXPECT_EQ(find_header(requests[1].headers, "X-Amz-Security-Token"), k_canary_token);

  env["AWS_PROFILE"] = "self";
  ASSERT_TRUE(resolve(env).has_value());
  EXPECT_EQ(signed_by(sts_requests().back()), "AKIASELF000000000001");
}

// Given broken role profiles, expect a usage error naming the file, the profile and the fix,
// and nothing sent to STS.
TEST_F(ChainTest, MisconfiguredRoleProfilesAreErrorsNotFallThrough) {
  credentials_file("[ci]\naws_access_key_id = AKIACREDFILE00000001\naws_secret_access_key = c\n");
  config("[profile neither]\nrole_arn = " + std::string(k_role) + "\n" +
         "[profile both]\nrole_arn = " + k_role + "\nsource_profile = ci\n" +
         "credential_source = Environment\n" + "[profile missing]\nrole_arn = " + k_role +
         "\nsource_profile = nowhere\n" + "[profile loop-a]\nrole_arn = " + k_role +
         "\nsource_profile = loop-b\n" + "[profile loop-b]\nrole_arn = " + k_role +
         "\nsource_profile = loop-a\n" + "[profile ecs]\nrole_arn = " + k_role +
         "\ncredential_source = EcsContainer\n" + "[profile duration]\nrole_arn = " + k_role +
         "\nsource_profile = ci\n" + "duration_seconds = 1h\n" +
         "[profile empty-source]\nrole_arn = " + k_role + "\nsource_profile = bare\n" +
         "[profile bare]\nregion = eu-west-1\n");
  const std::vector<std::pair<std::string, std::string>> cases{
      {"neither", "needs exactly one of source_profile or credential_source (it has neither)"},
      {"both", "(it has both)"},
      {"missing", "source_profile \"nowhere\" is in neither"},
      {"loop-a", "source_profile loop \"loop-a\" -> \"loop-b\" -> \"loop-a\""},
      {"ecs", "credential_source \"EcsContainer\" is not supported"},
      {"duration", "duration_seconds \"1h\" is not a whole number"},
      {"empty-source", "source_profile \"bare\" has no credentials"}};
  for (const auto& [profile, reason] : cases) {
    auto env = base_env();
    env["AWS_PROFILE"] = profile;
    const auto result = resolve(env);
    ASSERT_FALSE(result.has_value()) << profile;
    EXPECT_EQ(result.error().code, ExitCode::usage) << profile;
    EXPECT_NE(result.error().message.find(reason), std::string::npos) << result.error().message;
    EXPECT_NE(result.error().message.find("\"" + profile + "\""), std::string::npos)
        << result.error().message;
  }
  EXPECT_TRUE(sts_requests().empty());
}

// Given credential_source Ec2InstanceMetadata, expect the instance role's keys to sign the
// AssumeRole; with IMDS disabled, an error saying so and no metadata request.
TEST_F(ChainTest, CredentialSourceInstanceMetadataAndEnvironment) {
  config("[profile ci]\nrole_arn = " + std::string(k_role) +
         "\ncredential_source = Ec2InstanceMetadata\n[profile env]\nrole_arn = " + k_role +
         "\ncredential_source = Environment\n");
  auto env = base_env();
  env["AWS_PROFILE"] = "ci";
  const auto credentials = resolve(env);
  ASSERT_TRUE(credentials.has_value()) << credentials.error().message;
  EXPECT_EQ(signed_by(sts_requests().back()), "ASIAIMDS000000000001");
  EXPECT_EQ(find_header(sts_requests().back().headers, "X-Amz-Security-Token"), "imds-token");

  const auto before = transport->requests().size();
  env["AWS_EC2_METADATA_DISABLED"] = "true";
  const auto disabled = resolve(env);
  ASSERT_FALSE(disabled.has_value());
  EXPECT_NE(disabled.error().message.find("AWS_EC2_METADATA_DISABLED=true"), std::string::npos);
  EXPECT_EQ(transport->requests().size(), before);

  env["AWS_PROFILE"] = "env";
  const auto no_env = resolve(env);
  ASSERT_FALSE(no_env.has_value());
  EXPECT_NE(no_env.error().message.find("credential_source Environment, but AWS_ACCESS_KEY_ID"),
            std::string::npos);
}

// Given web identity from the environment, expect the token file read and trimmed, the session
// name from AWS_ROLE_SESSION_NAME (else labctl-<unix seconds>), and a rotated token used at
// the next refresh.
TEST_F(ChainTest, WebIdentityReadsTheTokenFileAtEachFetch) {
  testing::write_text(tmp.path() / "token", std::string(k_canary_web_token) + "-1\n");
  auto env = base_env();
  env["AWS_WEB_IDENTITY_TOKEN_FILE"] = (tmp.path() / "token").string();
  env["AWS_ROLE_ARN"] = k_role;
  CredentialChain credentials = chain(env);
  ASSERT_TRUE(credentials.resolve().has_value());
  auto requests = sts_requests();
  ASSERT_EQ(requests.size(), 1U);
  EXPECT_EQ(field(requests[0].body, "Action"), "AssumeRoleWithWebIdentity");
  EXPECT_EQ(field(requests[0].body, "WebIdentityToken"), std::string(k_canary_web_token) + "-1");
  EXPECT_EQ(field(requests[0].body, "RoleSessionName"), "labctl-1790000000");
  EXPECT_FALSE(find_header(requests[0].headers, "Authorization").has_value());

  testing::write_text(tmp.path() / "token", std::string(k_canary_web_token) + "-2");
  clock->advance(minutes(56));
  ASSERT_TRUE(credentials.resolve().has_value());
  requests = sts_requests();
  ASSERT_EQ(requests.size(), 2U);
  EXPECT_EQ(field(requests[1].body, "WebIdentityToken"), std::string(k_canary_web_token) + "-2");

  env["AWS_ROLE_SESSION_NAME"] = "gha-run-1";
  ASSERT_TRUE(resolve(env).has_value());
  EXPECT_EQ(field(sts_requests().back().body, "RoleSessionName"), "gha-run-1");

  env.erase("AWS_ROLE_ARN");
  const auto no_role = resolve(env);
  ASSERT_FALSE(no_role.has_value());
  EXPECT_NE(no_role.error().message.find("set AWS_ROLE_ARN"), std::string::npos);

  env["AWS_ROLE_ARN"] = k_role;
  env["AWS_WEB_IDENTITY_TOKEN_FILE"] = (tmp.path() / "absent").string();
  const auto no_file = resolve(env);
  ASSERT_FALSE(no_file.has_value());
  EXPECT_NE(no_file.error().message.find("web identity token file"), std::string::npos);
}

// Given role credentials valid 60 min, expect one STS call until 5 min before expiry, then one
// more; a failed refresh keeps the old credentials until they expire, then the error shows;
// an answer valid 8 min is refreshed at half-life, not on every call.
TEST_F(ChainTest, TemporaryCredentialsRefreshBeforeExpiry) {
  testing::write_text(tmp.path() / "token", k_canary_web_token);
  auto env = base_env();
  env["AWS_WEB_IDENTITY_TOKEN_FILE"] = (tmp.path() / "token").string();
  env["AWS_ROLE_ARN"] = k_role;
  CredentialChain credentials = chain(env);
  EXPECT_EQ(credentials.resolve()->access_key_id(), "ASIASTS0000000000001");
  clock->advance(minutes(54));
  EXPECT_EQ(credentials.resolve()->access_key_id(), "ASIASTS0000000000001");
  clock->advance(minutes(2));  // 4 min left: inside the margin
  EXPECT_EQ(credentials.resolve()->access_key_id(), "ASIASTS0000000000002");
  EXPECT_EQ(sts_calls, 2);

  sts_failing = true;
  clock->advance(minutes(57));  // 3 min left of the second credentials
  EXPECT_EQ(credentials.resolve()->access_key_id(), "ASIASTS0000000000002");
  clock->advance(minutes(4));  // expired: the failure surfaces
  const auto expired = credentials.resolve();
  ASSERT_FALSE(expired.has_value());
  EXPECT_NE(expired.error().message.find("AssumeRoleWithWebIdentity"), std::string::npos);

  sts_failing = false;
  lifetime = std::chrono::seconds(8 * 60);
  const int before = sts_calls;
  ASSERT_TRUE(credentials.resolve().has_value());
  clock->advance(minutes(3));
  ASSERT_TRUE(credentials.resolve().has_value());
  EXPECT_EQ(sts_calls, before + 1);
  clock->advance(minutes(2));  // past half of 8 min
  ASSERT_TRUE(credentials.resolve().has_value());
  EXPECT_EQ(sts_calls, before + 2);
}

// Given 8 threads resolving at once while a refresh is due, expect a single STS call.
TEST_F(ChainTest, ConcurrentCallersShareOneFetch) {
  credentials_file(
      "[base]\naws_access_key_id = AKIABASE000000000001\n"
      "aws_secret_access_key = base-secret\n");
  config("[profile ci]\nrole_arn = " + std::string(k_role) + "\nsource_profile = base\n");
  auto env = base_env();
  env["AWS_PROFILE"] = "ci";
  CredentialChain credentials = chain(env);
  for (int round = 1; round <= 2; ++round) {
    std::vector<std::thread> threads;
    std::atomic<int> ok{0};
    for (int i = 0; i < 8; ++i) {
      threads.emplace_back([&] {
        if (credentials.resolve().has_value()) ++ok;
      });
    }
    for (auto& thread : threads) thread.join();
    EXPECT_EQ(ok, 8);
    EXPECT_EQ(sts_calls, round);
    clock->advance(minutes(56));
  }
}

// Given credential_process, expect its command split like a shell, run with the 30 s bound,
// its JSON used and cached until 5 min before its Expiration.
TEST_F(ChainTest, CredentialProcessRunsOnceUntilNearExpiry) {
  processes->set_handler([this](const ProcessRequest&) {
    return Expected<ProcessResult>(RecordingProcessRunner::exited(
        0, process_json("AKIAPROCESS000000001",
                        format_rfc3339(clock->now() + std::chrono::hours(1)))));
  });
  config("[profile ci]\ncredential_process = /opt/bin/creds \"--role name\" 'a b' c\\ d\n");
  auto env = base_env();
  env["AWS_PROFILE"] = "ci";
  CredentialChain credentials = chain(env);
  const auto resolved = credentials.resolve();
  ASSERT_TRUE(resolved.has_value()) << resolved.error().message;
  EXPECT_EQ(resolved->access_key_id(), "AKIAPROCESS000000001");
  EXPECT_EQ(resolved->secret_access_key(), k_canary_secret);
  EXPECT_EQ(resolved->session_token(), k_canary_token);
  ASSERT_TRUE(credentials.resolve().has_value());
  ASSERT_EQ(processes->requests().size(), 1U);
  const auto request = processes->requests()[0];
  EXPECT_EQ(request.argv,
            (std::vector<std::string>{"/opt/bin/creds", "--role name", "a b", "c d"}));
  EXPECT_EQ(request.timeout, std::chrono::seconds(30));
  clock->advance(minutes(56));
  ASSERT_TRUE(credentials.resolve().has_value());
  EXPECT_EQ(processes->requests().size(), 2U);
}

// Given credential_process failures, expect each reported with its reason, stderr shown,
// stdout (which holds the secret) never, and no process runner meaning a clear error.
TEST_F(ChainTest, CredentialProcessFailuresNeverShowStdout) {
  config("[profile ci]\ncredential_process = /opt/bin/creds\n");
  auto env = base_env();
  env["AWS_PROFILE"] = "ci";
  const std::string leaky =
      std::string("{\"Version\": 1, \"SecretAccessKey\": \"") + k_canary_secret + "\", oops";
  const std::vector<std::pair<ProcessResult, std::string>> cases{
      {RecordingProcessRunner::exited(3, leaky, "sso session expired\x1b[0m"),
       "exited with 3: sso session expired\\x1b[0m"},
      {RecordingProcessRunner::exited(0, leaky), "stdout is not a JSON object"},
      {RecordingProcessRunner::exited(
           0, R"({"Version": 2, "AccessKeyId": "A", "SecretAccessKey": "S"})"),
       "\"Version\" must be the number 1"},
      {RecordingProcessRunner::exited(0, R"({"Version": 1, "AccessKeyId": "A"})"),
       "must be non-empty strings"},
      {RecordingProcessRunner::exited(0, process_json("AKIAX", "2001-01-01T00:00:00Z")),
       "expired at 2001-01-01T00:00:00Z"},
      {RecordingProcessRunner::exited(
           0, std::string(CredentialChain::k_max_process_output_bytes + 1, ' ')),
       "more than 65536"},
      {ProcessResult{-1, 9, true, leaky, ""}, "no answer within 30 s; killed"}};
  for (const auto& [result, reason] : cases) {
    processes->push(result);
    const auto resolved = resolve(env);
    ASSERT_FALSE(resolved.has_value()) << reason;
    EXPECT_NE(resolved.error().message.find("credential_process `/opt/bin/creds`"),
              std::string::npos)
        << resolved.error().message;
    EXPECT_NE(resolved.error().message.find(reason), std::string::npos) << resolved.error().message;
    EXPECT_EQ(resolved.error().message.find(k_canary_secret), std::string::npos);
  }
  const auto no_runner = CredentialChain(env_map(env), transport, clock).resolve();
  ASSERT_FALSE(no_runner.has_value());
  EXPECT_NE(no_runner.error().message.find("cannot run here"), std::string::npos);
}

// The canary across the chain: every credential's printable form and every error of every
// source carry no secret key, session token or web identity token.
TEST_F(ChainTest, SecretsNeverReachPrintableForms) {
  testing::write_text(tmp.path() / "token", k_canary_web_token);
  auto env = base_env();
  env["AWS_WEB_IDENTITY_TOKEN_FILE"] = (tmp.path() / "token").string();
  env["AWS_ROLE_ARN"] = k_role;
  std::vector<std::string> shown;
  const auto credentials = resolve(env);
  ASSERT_TRUE(credentials.has_value());
  shown.push_back(credentials->to_string());
  transport->set_handler([](const FakeHttpTransport::Request&) {
    return FakeHttpTransport::respond(
        400, std::string("<ErrorResponse><Error><Code>InvalidIdentityToken</Code><Message>bad ") +
                 k_canary_web_token + "</Message></Error></ErrorResponse>");
  });
  const auto rejected = resolve(env);
  ASSERT_FALSE(rejected.has_value());
  shown.push_back(rejected.error().message);
  for (const auto& text : shown) {
    for (const char* canary : {k_canary_secret, k_canary_token, k_canary_web_token}) {
      EXPECT_EQ(text.find(canary), std::string::npos) << text;
    }
  }
}

TEST(SharedConfig, SplitCommandLineLikeAShell) {
  EXPECT_EQ(split_command_line(R"(a "b c" 'd "e"' f\ g "h\"i" "j\k")"),
            (std::vector<std::string>{"a", "b c", "d \"e\"", "f g", "h\"i", "j\\k"}));
  EXPECT_EQ(split_command_line("  x  ''  "), (std::vector<std::string>{"x", ""}));
  EXPECT_FALSE(split_command_line("a 'b").has_value());
  EXPECT_FALSE(split_command_line("a \"b").has_value());
  EXPECT_FALSE(split_command_line("   ").has_value());
}

// Given a profile in both files, expect the credentials file's values to win key by key.
TEST_F(ChainTest, ProfileSettingsMergeBothFiles) {
  config("[profile ci]\nrole_arn = from-config\nregion = eu-west-1\n");
  credentials_file("[ci]\nrole_arn = from-credentials\n[other]\nx = 1\n");
  const SharedFiles files = shared_files(env_map(base_env()));
  const auto ci = profile_settings(files, "ci");
  ASSERT_TRUE(ci.has_value());
  EXPECT_EQ(setting(*ci, "role_arn"), "from-credentials");
  EXPECT_EQ(setting(*ci, "region"), "eu-west-1");
  EXPECT_TRUE(profile_settings(files, "other").has_value());
  EXPECT_FALSE(profile_settings(files, "absent").has_value());
}

}  // namespace
}  // namespace labctl::providers::aws
