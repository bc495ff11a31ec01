#include <gtest/gtest.h>

#include "providers/aws/ec2_client.hpp"
#include "tests/fakes/fake_http_transport.hpp"
#include "tests/fakes/env_map.hpp"
#include "tests/fakes/manual_clock.hpp"

namespace labctl::providers::aws {
namespace {

using testing::FakeHttpTransport;

// Given env credentials and an endpoint override, expect one cached client per region that
// signs with those credentials, sends to the override and keeps the dry-run refusal.
TEST(Ec2ClientFactory, BuildsCachedRegionClientsFromTheEnvironment) {
  auto transport = std::make_shared<FakeHttpTransport>();
  transport->set_handler([](const FakeHttpTransport::Request&) {
    return FakeHttpTransport::respond(200, "<DescribeRegionsResponse/>");
  });
  Ec2ClientFactory factory(testing::env_map({{"AWS_ACCESS_KEY_ID", "AKIAFACTORYTEST0ABCD"},
                                             {"AWS_SECRET_ACCESS_KEY", "factory-secret"},
                                             {"AWS_ENDPOINT_URL_EC2", "http://127.0.0.1:7/"},
                                             {"AWS_EC2_METADATA_DISABLED", "true"}}),
                           /*live=*/false, RetryPolicy{}, std::make_shared<testing::ManualClock>(),
                           transport);
  const auto east = *factory.client("us-east-1");
  EXPECT_EQ(east, *factory.client("us-east-1"));
  EXPECT_NE(east, *factory.client("eu-west-1"));
  EXPECT_EQ(east->region(), "us-east-1");
  EXPECT_FALSE(east->live());
  EXPECT_EQ(factory.credentials()->access_key_id(), "AKIAFACTORYTEST0ABCD");

  ASSERT_TRUE(east->call("DescribeRegions", {}).has_value());
  const auto requests = transport->requests();
  ASSERT_EQ(requests.size(), 1U);
  EXPECT_EQ(requests[0].url, "http://127.0.0.1:7/");
  EXPECT_NE(find_header(requests[0].headers, "Authorization")->find("AKIAFACTORYTEST0ABCD/"),
            std::string::npos);
  EXPECT_EQ(east->call("DeleteKeyPair", {{"KeyName", "k"}}).error().kind, AwsErrorKind::refused);
  EXPECT_EQ(transport->requests().size(), 1U);
}

TEST(Ec2ClientFactory, RejectsNonRegionNames) {
  Ec2ClientFactory factory(testing::env_map({}), false, RetryPolicy{},
                           std::make_shared<testing::ManualClock>(),
                           std::make_shared<FakeHttpTransport>());
  for (const char* bad : {"", "US-EAST-1", "us-east-1.evil.com", "us-east-1/x", "1us"}) {
    const auto client = factory.client(bad);
    ASSERT_FALSE(client.has_value()) << bad;
    EXPECT_EQ(client.error().code, ExitCode::usage);
  }
  EXPECT_TRUE(is_region_name("ap-southeast-4"));
}

}  // namespace
}  // namespace labctl::providers::aws
