#include "providers/aws/sts.hpp"

#include <gtest/gtest.h>

#include "providers/aws/query.hpp"
#include "tests/fakes/env_map.hpp"
#include "tests/fakes/fake_http_transport.hpp"
#include "tests/fakes/manual_clock.hpp"

namespace labctl::providers::aws {
namespace {

using testing::env_map;
using testing::FakeHttpTransport;

constexpr const char* k_canary_secret = "CANARY-STS-SECRET-1679091c";
constexpr const char* k_canary_token = "CANARY-STS-TOKEN-c81e728d";
constexpr const char* k_canary_web_token = "CANARY-WEB-IDENTITY-eccbc87e";
constexpr const char* k_role = "arn:aws:iam::123456789012:role/lab-ci";

std::string answer(const std::string& action, const std::string& key_id,
                   const std::string& expiration, const std::string& token = k_canary_token) {
  return "<" + action + "Response xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><" + action +
         "Result><Credentials><AccessKeyId>" + key_id + "</AccessKeyId><SecretAccessKey>" +
         k_canary_secret + "</SecretAccessKey><SessionToken>" + token +
         "</SessionToken><Expiration>" + expiration + "</Expiration></Credentials></" + action +
         "Result><ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></" + action +
         "Response>";
}

std::string error_answer(const std::string& code, const std::string& message) {
  return "<ErrorResponse><Error><Type>Sender</Type><Code>" + code + "</Code><Message>" + message +
         "</Message></Error><RequestId>req-9</RequestId></ErrorResponse>";
}

class StsTest : public ::testing::Test {
 protected:
  std::string in_an_hour() const { return format_rfc3339(clock->now() + std::chrono::hours(1)); }
  AssumeRoleParams params() const {
    return AssumeRoleParams{k_role, "labctl-test", 3600, "ext-id-42", "test profile"};
  }
  StsTarget target{"http://127.0.0.1:9", "eu-west-1"};
  std::shared_ptr<FakeHttpTransport> transport = std::make_shared<FakeHttpTransport>();
  std::shared_ptr<testing::ManualClock> clock = std::make_shared<testing::ManualClock>();
  Credentials source{"AKIASOURCE0000000001", "source-secret-value", "source-session-token"};
};

TEST(StsEndpoint, OverridesThenRegional) {
  EXPECT_EQ(resolve_sts_endpoint("eu-west-1", env_map({})), "https://sts.eu-west-1.amazonaws.com");
  EXPECT_EQ(resolve_sts_endpoint("cn-north-1", env_map({})),
            "https://sts.cn-north-1.amazonaws.com.cn");
  EXPECT_EQ(resolve_sts_endpoint("eu-west-1", env_map({{"AWS_ENDPOINT_URL", "http://a:1/"}})),
            "http://a:1");
  EXPECT_EQ(resolve_sts_endpoint("eu-west-1", env_map({{"AWS_ENDPOINT_URL", "http://a:1"},
                                                       {"AWS_ENDPOINT_URL_STS", "http://s:2"}})),
            "http://s:2");
}

// Given AssumeRole with every parameter, expect one POST signed for service "sts" in the
// target's region with the source's session token, carrying exactly the model's names.
TEST_F(StsTest, AssumeRoleIsSignedForStsWithTheModelsParameters) {
  transport->push(
      FakeHttpTransport::respond(200, answer("AssumeRole", "ASIAROLE000000000001", in_an_hour())));
  const auto credentials = sts_assume_role(*transport, *clock, target, params(), source);
  ASSERT_TRUE(credentials.has_value()) << credentials.error().message;
  EXPECT_EQ(credentials->access_key_id(), "ASIAROLE000000000001");
  EXPECT_EQ(credentials->session_token(), k_canary_token);
  ASSERT_TRUE(credentials->expiration().has_value());
  EXPECT_EQ(*credentials->expiration(), *parse_rfc3339(in_an_hour()));

  ASSERT_EQ(transport->requests().size(), 1U);
  const auto request = transport->requests()[0];
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.url, "http://127.0.0.1:9/");
  EXPECT_EQ(request.body,
            "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3A"
            "role%2Flab-ci&RoleSessionName=labctl-test&DurationSeconds=3600&ExternalId=ext-id-42");
  const auto authorization = find_header(request.headers, "Authorization");
  ASSERT_TRUE(authorization.has_value());
  EXPECT_NE(authorization->find("Credential=AKIASOURCE0000000001/"), std::string::npos);
  EXPECT_NE(authorization->find("/eu-west-1/sts/aws4_request"), std::string::npos);
  EXPECT_EQ(find_header(request.headers, "X-Amz-Security-Token"), "source-session-token");
}

// Given AssumeRoleWithWebIdentity, expect no Authorization header (the token is the proof).
TEST_F(StsTest, WebIdentityIsUnsigned) {
  transport->push(FakeHttpTransport::respond(
      200, answer("AssumeRoleWithWebIdentity", "ASIAWEBID00000000001", in_an_hour())));
  auto web_params = params();
  web_params.external_id.clear();
  const auto credentials =
      sts_assume_role_with_web_identity(*transport, *clock, target, web_params, k_canary_web_token);
  ASSERT_TRUE(credentials.has_value()) << credentials.error().message;
  EXPECT_EQ(credentials->access_key_id(), "ASIAWEBID00000000001");
  const auto request = transport->requests().at(0);
  EXPECT_FALSE(find_header(request.headers, "Authorization").has_value());
  EXPECT_NE(request.body.find("Action=AssumeRoleWithWebIdentity&"), std::string::npos);
  EXPECT_NE(request.body.find(std::string("WebIdentityToken=") + k_canary_web_token),
            std::string::npos);
}

// Given 503, a timeout, then success, expect three attempts; given a 400, expect one.
TEST_F(StsTest, RetriesOnlyWhatIsWorthIt) {
  transport->push(FakeHttpTransport::respond(503, error_answer("ServiceUnavailable", "busy")));
  transport->push(FakeHttpTransport::transport_failure(TransportErrorKind::timeout));
  transport->push(
      FakeHttpTransport::respond(200, answer("AssumeRole", "ASIAROLE000000000002", in_an_hour())));
  ASSERT_TRUE(sts_assume_role(*transport, *clock, target, params(), source).has_value());
  EXPECT_EQ(transport->requests().size(), 3U);
  EXPECT_EQ(clock->sleeps().size(), 2U);

  transport->push(FakeHttpTransport::respond(403, error_answer("AccessDenied", "not trusted")));
  const auto denied = sts_assume_role(*transport, *clock, target, params(), source);
  ASSERT_FALSE(denied.has_value());
  EXPECT_EQ(transport->requests().size(), 4U);
  EXPECT_NE(denied.error().message.find("HTTP 403 AccessDenied: not trusted (request id req-9)"),
            std::string::npos)
      << denied.error().message;
}

// Given parameters outside STS's model, expect a usage error naming where, and nothing sent.
TEST_F(StsTest, BadParametersAreRefusedBeforeSending) {
  for (const auto& change : std::vector<std::function<void(AssumeRoleParams&)>>{
           [](AssumeRoleParams& p) { p.role_arn = "lab-ci"; },
           [](AssumeRoleParams& p) { p.role_session_name = "has space"; },
           [](AssumeRoleParams& p) { p.role_session_name = "x"; },
           [](AssumeRoleParams& p) { p.duration_seconds = 60; },
           [](AssumeRoleParams& p) { p.external_id = "bad\nid"; }}) {
    auto bad = params();
    change(bad);
    const auto result = sts_assume_role(*transport, *clock, target, bad, source);
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().code, ExitCode::usage);
    EXPECT_TRUE(result.error().message.starts_with("test profile: ")) << result.error().message;
  }
  EXPECT_TRUE(transport->requests().empty());
}

// Given hostile answers, expect each refused with a reason and no secret in the message.
TEST_F(StsTest, HostileAnswersAreRefused) {
  const SystemTime now = clock->now();
  const std::vector<std::string> secrets{k_canary_secret, k_canary_web_token};
  const std::vector<std::pair<std::string, std::string>> cases{
      {answer("GetCallerIdentity", "ASIAROLE000000000001", in_an_hour()), "not an <AssumeRole"},
      {answer("AssumeRole", "short", in_an_hour()), "AccessKeyId"},
      {answer("AssumeRole", "ASIAROLE000000000001", in_an_hour(), ""), "SessionToken"},
      {answer("AssumeRole", "ASIAROLE000000000001", in_an_hour(), "tok en"), "SessionToken"},
      {answer("AssumeRole", "ASIAROLE000000000001", "tomorrow"), "RFC 3339"},
      {answer("AssumeRole", "ASIAROLE000000000001", format_rfc3339(now - std::chrono::hours(1))),
       "expired"},
      {"<<<", "not an <AssumeRoleResponse>"},
      {std::string(k_max_sts_answer_bytes + 1, ' '), "refused"}};
  for (const auto& [body, reason] : cases) {
    const auto result = parse_sts_answer("AssumeRole", 200, body, now, secrets, "s");
    ASSERT_FALSE(result.has_value()) << body.substr(0, 200);
    EXPECT_NE(result.error().message.find(reason), std::string::npos) << result.error().message;
    EXPECT_EQ(result.error().message.find(k_canary_secret), std::string::npos);
  }
}

// Given an error answer echoing the token and the secret, with control bytes, expect the
// message printable and both cut out (the canary).
TEST_F(StsTest, ErrorAnswersNeverEchoSecrets) {
  const std::string body =
      error_answer("InvalidIdentityToken", std::string("token ") + k_canary_web_token + " key " +
                                               k_canary_secret + " \x1b[31mred");
  const auto result = parse_sts_answer("AssumeRoleWithWebIdentity", 400, body, clock->now(),
                                       {k_canary_web_token, k_canary_secret}, "s");
  ASSERT_FALSE(result.has_value());
  const std::string& message = result.error().message;
  EXPECT_EQ(message.find(k_canary_web_token), std::string::npos) << message;
  EXPECT_EQ(message.find(k_canary_secret), std::string::npos) << message;
  EXPECT_EQ(message.find('\x1b'), std::string::npos) << message;
  EXPECT_NE(message.find("InvalidIdentityToken"), std::string::npos);
  EXPECT_NE(message.find("<redacted>"), std::string::npos);
}

}  // namespace
}  // namespace labctl::providers::aws
