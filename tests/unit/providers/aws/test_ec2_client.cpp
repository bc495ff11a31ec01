#include "providers/aws/ec2_client.hpp"

#include <gtest/gtest.h>

#include "providers/aws/sigv4.hpp"
#include "tests/fakes/fake_http_transport.hpp"
#include "tests/fakes/env_map.hpp"
#include "tests/fakes/manual_clock.hpp"

namespace labctl::providers::aws {
namespace {

using testing::FakeHttpTransport;

constexpr const char* k_canary_secret = "CANARY-SECRET-0cc175b9";
constexpr const char* k_canary_token = "CANARY-TOKEN-92eb5ffe";

std::string error_xml(const std::string& code) {
  return "<Response><Errors><Error><Code>" + code + "</Code><Message>msg " + code +
         "</Message></Error></Errors><RequestID>rid</RequestID></Response>";
}

class Ec2ClientTest : public ::testing::Test {
 protected:
  Ec2Client make_client(bool live, int max_attempts = 5, bool debug_log = false) {
    Ec2ClientOptions options;
    options.debug_log = debug_log;
    options.region = "us-east-1";
    options.endpoint = "http://127.0.0.1:8";
    options.live = live;
    options.retry.max_attempts = max_attempts;
    Ec2ClientDeps deps{
        transport,
        [] { return Credentials("AKIATESTKEY00000LAST", k_canary_secret, k_canary_token); }, clock,
        std::make_shared<RateLimiter>(), [] { return 0.5; }};
    return Ec2Client(std::move(options), std::move(deps));
  }
  std::shared_ptr<FakeHttpTransport> transport = std::make_shared<FakeHttpTransport>();
  std::shared_ptr<testing::ManualClock> clock = std::make_shared<testing::ManualClock>();
};

TEST(Ec2Endpoint, OverridesThenRegional) {
  using testing::env_map;
  EXPECT_EQ(resolve_ec2_endpoint("us-east-1", env_map({})), "https://ec2.us-east-1.amazonaws.com");
  EXPECT_EQ(resolve_ec2_endpoint("cn-north-1", env_map({})),
            "https://ec2.cn-north-1.amazonaws.com.cn");
  EXPECT_EQ(resolve_ec2_endpoint("x", env_map({{"AWS_ENDPOINT_URL", "http://127.0.0.1:5/"}})),
            "http://127.0.0.1:5");
  EXPECT_EQ(resolve_ec2_endpoint("x", env_map({{"AWS_ENDPOINT_URL", "http://a"},
                                               {"AWS_ENDPOINT_URL_EC2", "http://b"}})),
            "http://b");
}

// Given a describe call, expect one signed form POST with Action and Version first.
TEST_F(Ec2ClientTest, SendsASignedFormPost) {
  transport->push(FakeHttpTransport::respond(
      200,
      "<DescribeRegionsResponse><requestId>r1</requestId><regionInfo><item><regionName>"
      "us-east-1</regionName></item></regionInfo></DescribeRegionsResponse>"));
  const auto response = make_client(false).call("DescribeRegions", {{"AllRegions", "true"}});
  ASSERT_TRUE(response.has_value()) << response.error().describe();
  EXPECT_EQ(response->request_id(), "r1");
  EXPECT_EQ(text_at(response->items("regionInfo/item").at(0), "regionName"), "us-east-1");

  const auto requests = transport->requests();
  ASSERT_EQ(requests.size(), 1U);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].url, "http://127.0.0.1:8/");
  EXPECT_EQ(requests[0].body, "Action=DescribeRegions&Version=2016-11-15&AllRegions=true");
  EXPECT_EQ(find_header(requests[0].headers, "Host"), "127.0.0.1:8");
  EXPECT_EQ(find_header(requests[0].headers, "X-Amz-Security-Token"), k_canary_token);
  const auto authorization = find_header(requests[0].headers, "Authorization");
  ASSERT_TRUE(authorization.has_value());
  EXPECT_TRUE(authorization->starts_with("AWS4-HMAC-SHA256 Credential=AKIATESTKEY00000LAST/"));
  EXPECT_NE(authorization->find("/us-east-1/ec2/aws4_request"), std::string::npos);
}

// Given throttling twice then success, expect three sends and two backoff sleeps within bounds.
TEST_F(Ec2ClientTest, RetriesThrottlingWithBackoff) {
  transport->push(FakeHttpTransport::respond(503, error_xml("RequestLimitExceeded")));
  transport->push(FakeHttpTransport::respond(500, error_xml("InternalError")));
  transport->push(FakeHttpTransport::respond(200, "<DescribeVpcsResponse/>"));
  const auto response = make_client(false).call("DescribeVpcs", {});
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(transport->requests().size(), 3U);
  const auto sleeps = clock->sleeps();
  ASSERT_EQ(sleeps.size(), 2U);
  EXPECT_EQ(sleeps[0], std::chrono::milliseconds(100));  // 0.5 * 200 ms
  EXPECT_EQ(sleeps[1], std::chrono::milliseconds(200));  // 0.5 * 400 ms
}

TEST_F(Ec2ClientTest, RetriesTimeoutsAndResetsUpToMaxAttempts) {
  transport->set_handler([](const FakeHttpTransport::Request&) {
    return FakeHttpTransport::transport_failure(TransportErrorKind::timeout);
  });
  const auto response = make_client(false, 3).call("DescribeVpcs", {});
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().kind, AwsErrorKind::timeout);
  EXPECT_EQ(response.error().attempts, 3);
  EXPECT_EQ(transport->requests().size(), 3U);
  EXPECT_NE(response.error().describe().find("after 3 attempts"), std::string::npos);
}

TEST_F(Ec2ClientTest, NonRetryableErrorsFailFast) {
  transport->push(FakeHttpTransport::respond(400, error_xml("InvalidParameterValue")));
  const auto response = make_client(true).call("RunInstances", {{"ImageId", "ami-1"}});
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(transport->requests().size(), 1U);
  EXPECT_EQ(response.error().describe(),
            "aws ec2 RunInstances (us-east-1): HTTP 400 InvalidParameterValue: msg "
            "InvalidParameterValue (request id rid)");
  EXPECT_TRUE(clock->sleeps().empty());
}

// Given a dry-run client, expect mutating actions refused before anything is sent, while a
// DryRun=true permission check and reads go out.
TEST_F(Ec2ClientTest, DryRunClientRefusesMutatingCalls) {
  const Ec2Client client = make_client(false);
  const auto refused = client.call("TerminateInstances", {{"InstanceId.1", "i-1"}});
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().kind, AwsErrorKind::refused);
  EXPECT_EQ(refused.error().to_error().code, ExitCode::refused);
  EXPECT_TRUE(transport->requests().empty());

  transport->push(FakeHttpTransport::respond(412, error_xml("DryRunOperation")));
  const auto checked =
      client.call("TerminateInstances", {{"InstanceId.1", "i-1"}, {"DryRun", "true"}});
  ASSERT_FALSE(checked.has_value());
  EXPECT_EQ(checked.error().code, "DryRunOperation");
  EXPECT_EQ(transport->requests().size(), 1U);
}

TEST_F(Ec2ClientTest, FollowsNextTokenAcrossPages) {
  transport->push(FakeHttpTransport::respond(200,
                                             "<DescribeInstancesResponse><keySet><item><n>a</n>"
                                             "</item><item><n>b</n></item></keySet><nextToken>t1"
                                             "</nextToken></DescribeInstancesResponse>"));
  transport->push(
      FakeHttpTransport::respond(200,
                                 "<DescribeInstancesResponse><keySet><item><n>c</n></item></keySet>"
                                 "</DescribeInstancesResponse>"));
  const auto pages = make_client(false).call_paged("DescribeInstances", {}, "keySet/item", 5);
  ASSERT_TRUE(pages.has_value());
  ASSERT_EQ(pages->items.size(), 3U);
  EXPECT_STREQ(pages->items[2].child_value("n"), "c");
  const auto requests = transport->requests();
  ASSERT_EQ(requests.size(), 2U);
  EXPECT_NE(requests[0].body.find("MaxResults=5"), std::string::npos);
  EXPECT_EQ(requests[0].body.find("NextToken"), std::string::npos);
  EXPECT_NE(requests[1].body.find("NextToken=t1"), std::string::npos);
}

TEST_F(Ec2ClientTest, RepeatedNextTokenStopsPagination) {
  transport->set_handler([](const FakeHttpTransport::Request&) {
    return FakeHttpTransport::respond(
        200, "<DescribeVolumesResponse><nextToken>same</nextToken></DescribeVolumesResponse>");
  });
  const auto pages = make_client(false).call_paged("DescribeVolumes", {}, "volumeSet/item");
  ASSERT_FALSE(pages.has_value());
  EXPECT_EQ(transport->requests().size(), 2U);
}

// Given pages whose nextToken alternates A, B, A, ..., expect the listing to stop at the third
// page (the first repeat, not only a token equal to the previous one) and name the token.
TEST_F(Ec2ClientTest, AlternatingNextTokenStopsPagination) {
  int page = 0;
  transport->set_handler([&page](const FakeHttpTransport::Request&) {
    const char* token = page++ % 2 == 0 ? "tokA" : "tokB";
    return FakeHttpTransport::respond(200, std::string("<DescribeTagsResponse><nextToken>") +
                                               token + "</nextToken></DescribeTagsResponse>");
  });
  const auto pages = make_client(false).call_paged("DescribeTags", {}, "tagSet/item");
  ASSERT_FALSE(pages.has_value());
  EXPECT_EQ(transport->requests().size(), 3U);
  EXPECT_NE(pages.error().message.find("\"tokA\""), std::string::npos) << pages.error().message;
}

// Given an endpoint whose every page carries a new token, expect the listing to stop at
// k_max_pages pages instead of following it forever.
TEST_F(Ec2ClientTest, EndlessDistinctTokensStopAtThePageBound) {
  int page = 0;
  transport->set_handler([&page](const FakeHttpTransport::Request&) {
    return FakeHttpTransport::respond(200, "<DescribeTagsResponse><nextToken>t" +
                                               std::to_string(page++) +
                                               "</nextToken></DescribeTagsResponse>");
  });
  const auto pages = make_client(false).call_paged("DescribeTags", {}, "tagSet/item");
  ASSERT_FALSE(pages.has_value());
  EXPECT_EQ(transport->requests().size(), static_cast<std::size_t>(k_max_pages));
  EXPECT_NE(pages.error().message.find("pages in one listing"), std::string::npos);
}

// Given a 200 answer to another action (a replayed body), expect a service error, not an
// empty result that reads as "nothing there".
TEST_F(Ec2ClientTest, AnswerToAnotherActionIsAnError) {
  transport->push(FakeHttpTransport::respond(
      200, "<DescribeImagesResponse><imagesSet/></DescribeImagesResponse>"));
  const auto response = make_client(false).call("DescribeTags", {});
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().kind, AwsErrorKind::service);
  EXPECT_NE(response.error().message.find("<DescribeImagesResponse>"), std::string::npos);
  EXPECT_EQ(transport->requests().size(), 1U);
}

class Ec2ClientDeadlineTest : public Ec2ClientTest {
 protected:
  Ec2Client make_bounded_client(int max_attempts) {
    Ec2ClientOptions options;
    options.region = "us-east-1";
    options.endpoint = "http://127.0.0.1:8";
    options.retry.max_attempts = max_attempts;
    options.retry.base = std::chrono::milliseconds(10000);
    options.retry.cap = std::chrono::milliseconds(10000);
    options.request_timeout = std::chrono::milliseconds(30000);
    options.stall_timeout = std::chrono::milliseconds(15000);
    Ec2ClientDeps deps{transport,
                       [] { return Credentials("AKIATESTKEY00000LAST", k_canary_secret); },
                       clock,
                       std::make_shared<RateLimiter>(),
                       [] { return 1.0; },
                       deadline};
    return Ec2Client(std::move(options), std::move(deps));
  }
  std::shared_ptr<CloudDeadline> deadline = std::make_shared<CloudDeadline>("AWS", "CE_AWS_COMMAND_TIMEOUT");
};

// Given a phase deadline 5 s away and a 10 s backoff, expect the request's total timeout and
// the backoff cut to the deadline, then a timeout naming CE_AWS_COMMAND_TIMEOUT with nothing
// more sent.
TEST_F(Ec2ClientDeadlineTest, RequestsAndBackoffStopAtThePhaseDeadline) {
  deadline->arm_phase(clock->steady_now() + std::chrono::seconds(5), std::chrono::seconds(5));
  transport->set_handler([](const FakeHttpTransport::Request&) {
    return FakeHttpTransport::respond(500, error_xml("InternalError"));
  });
  const auto response = make_bounded_client(5).call("DescribeRegions", {});
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().kind, AwsErrorKind::timeout);
  EXPECT_NE(response.error().describe().find("CE_AWS_COMMAND_TIMEOUT=5 s"), std::string::npos)
      << response.error().describe();
  const auto requests = transport->requests();
  ASSERT_EQ(requests.size(), 1U);
  EXPECT_EQ(requests[0].total_timeout, std::chrono::milliseconds(5000));
  EXPECT_EQ(requests[0].stall_timeout, std::chrono::milliseconds(15000));
  EXPECT_EQ(clock->sleeps(),
            std::vector<std::chrono::milliseconds>{std::chrono::milliseconds(5000)});
}

// Given a janitor bound earlier than the phase's, expect the janitor's to decide and be named;
// a later janitor bound never extends it.
TEST_F(Ec2ClientDeadlineTest, JanitorBoundWinsWhenEarlier) {
  deadline->arm_phase(clock->steady_now() + std::chrono::seconds(60), std::chrono::seconds(60));
  deadline->arm_hard(clock->steady_now(), std::chrono::seconds(7));
  deadline->arm_hard(clock->steady_now() + std::chrono::seconds(100), std::chrono::seconds(100));
  const auto response = make_bounded_client(3).call("DescribeRegions", {});
  ASSERT_FALSE(response.has_value());
  EXPECT_NE(response.error().message.find("CE_JANITOR_TIMEOUT=7 s"), std::string::npos)
      << response.error().message;
  EXPECT_TRUE(transport->requests().empty());
}

// Given failures of every kind, expect no error text to contain the canary secret or token.
TEST_F(Ec2ClientTest, CanaryNeverAppearsInErrors) {
  transport->push(FakeHttpTransport::respond(403, error_xml("AuthFailure")));
  transport->push(FakeHttpTransport::transport_failure(TransportErrorKind::transport));
  transport->push(FakeHttpTransport::respond(200, "not xml"));
  const Ec2Client client = make_client(true, 1);
  for (int i = 0; i < 3; ++i) {
    const auto response = client.call("CreateKeyPair", {{"KeyName", "k"}});
    ASSERT_FALSE(response.has_value());
    const std::string text = response.error().describe() + response.error().to_error().message;
    EXPECT_EQ(text.find(k_canary_secret), std::string::npos);
    EXPECT_EQ(text.find(k_canary_token), std::string::npos);
    EXPECT_EQ(text.find("AKIATESTKEY"), std::string::npos);
  }
}

// Given debug logging and a throttled-then-successful call, expect the request and retry lines
// on stderr without the canary secret, the token or the signature.
TEST_F(Ec2ClientTest, LogsCarryNoSecrets) {
  transport->push(FakeHttpTransport::respond(503, error_xml("RequestLimitExceeded")));
  transport->push(FakeHttpTransport::respond(200, "<CreateTagsResponse/>"));
  ::testing::internal::CaptureStderr();
  const auto response =
      make_client(true, 5, /*debug_log=*/true).call("CreateTags", {{"ResourceId.1", "i-1"}});
  const std::string logged = ::testing::internal::GetCapturedStderr();
  ASSERT_TRUE(response.has_value());
  EXPECT_NE(logged.find("aws ec2 CreateTags (us-east-1) POST http://127.0.0.1:8/"),
            std::string::npos);
  EXPECT_NE(logged.find("Signature=<redacted>"), std::string::npos);
  EXPECT_NE(logged.find("RequestLimitExceeded"), std::string::npos);
  EXPECT_EQ(logged.find(k_canary_secret), std::string::npos);
  EXPECT_EQ(logged.find(k_canary_token), std::string::npos);
  const auto authorization = *find_header(transport->requests().at(0).headers, "Authorization");
  EXPECT_EQ(logged.find(authorization.substr(authorization.find("Signature=") + 10)),
            std::string::npos);
}

TEST_F(Ec2ClientTest, CredentialFailureIsAnAuthError) {
  Ec2ClientOptions options;
  options.region = "us-east-1";
  options.endpoint = "http://127.0.0.1:8";
  const Ec2Client client(options, Ec2ClientDeps{transport,
                                                [] -> Expected<Credentials> {
                                                  return fail(ExitCode::provider,
                                                              "no AWS credentials found");
                                                },
                                                clock, std::make_shared<RateLimiter>(), nullptr});
  const auto response = client.call("DescribeRegions", {});
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().kind, AwsErrorKind::auth);
  EXPECT_TRUE(transport->requests().empty());
}

}  // namespace
}  // namespace labctl::providers::aws
