#include <gtest/gtest.h>

#include "providers/azure/arm_client.hpp"
#include "tests/fakes/env_map.hpp"
#include "tests/fakes/fake_http_transport.hpp"
#include "tests/fakes/manual_clock.hpp"

namespace labctl::providers::azure {
namespace {

using testing::env_map;
using testing::FakeHttpTransport;

constexpr const char* k_subscription = "00000000-0000-0000-0000-0000000000aa";

TEST(AzureLimits, DefaultsAndOverrides) {
  const auto defaults = azure_limits_from_env(env_map({}));
  ASSERT_TRUE(defaults.has_value());
  EXPECT_EQ(defaults->wait_timeout, std::chrono::seconds(900));
  EXPECT_EQ(defaults->conflict_retries, 8);
  const auto set = azure_limits_from_env(env_map({{"CE_AZURE_WAIT_TIMEOUT", "5"},
                                                  {"CE_AZURE_CONFLICT_RETRIES", "0"},
                                                  {"CE_JANITOR_TIMEOUT", "60"}}));
  ASSERT_TRUE(set.has_value());
  EXPECT_EQ(set->wait_timeout, std::chrono::seconds(5));
  EXPECT_EQ(set->conflict_retries, 0);
  EXPECT_EQ(set->janitor_timeout, std::chrono::seconds(60));
  for (const char* name : {"CE_AZURE_REQUEST_TIMEOUT", "CE_AZURE_STALL_TIMEOUT",
                           "CE_AZURE_COMMAND_TIMEOUT", "CE_AZURE_CONFLICT_RETRIES"}) {
    const auto bad = azure_limits_from_env(env_map({{name, "ten"}}));
    ASSERT_FALSE(bad.has_value()) << name;
    EXPECT_EQ(bad.error().code, ExitCode::usage);
    EXPECT_NE(bad.error().message.find(name), std::string::npos) << bad.error().message;
  }
}

// Given endpoint overrides, expect https anywhere, http only to loopback, no userinfo or query,
// trailing slashes stripped; the error names the variable.
TEST(AzureArmEndpoint, HttpsOrLoopbackOnly) {
  EXPECT_EQ(resolve_arm_endpoint(env_map({})), "https://management.azure.com");
  EXPECT_EQ(resolve_arm_endpoint(env_map({{"CE_AZURE_ARM_ENDPOINT", "http://127.0.0.1:5//"}})),
            "http://127.0.0.1:5");
  EXPECT_EQ(resolve_arm_endpoint(
                env_map({{"CE_AZURE_ARM_ENDPOINT", "https://management.usgovcloudapi.net/"}})),
            "https://management.usgovcloudapi.net");
  EXPECT_EQ(resolve_arm_endpoint(env_map({{"CE_AZURE_ARM_ENDPOINT", "http://localhost:7"}})),
            "http://localhost:7");
  for (const char* bad :
       {"http://arm.example", "https://u:p@arm.example", "https://arm.example/?x=1",
        "ftp://127.0.0.1", "http://127.0.0.1.evil.example", "arm.example"}) {
    const auto endpoint = resolve_arm_endpoint(env_map({{"CE_AZURE_ARM_ENDPOINT", bad}}));
    ASSERT_FALSE(endpoint.has_value()) << bad;
    EXPECT_EQ(endpoint.error().code, ExitCode::usage);
    EXPECT_NE(endpoint.error().message.find("CE_AZURE_ARM_ENDPOINT"), std::string::npos);
  }
}

TEST(AzureSubscriptionInId, GuidAfterSubscriptions) {
  EXPECT_EQ(
      subscription_in_id(std::string("/subscriptions/") + k_subscription + "/resourceGroups/rg"),
      k_subscription);
  EXPECT_EQ(subscription_in_id(std::string("/SUBSCRIPTIONS/") + k_subscription), k_subscription);
  EXPECT_EQ(subscription_in_id("/subscriptions/not-a-guid/resourceGroups/rg"), std::nullopt);
  EXPECT_EQ(subscription_in_id("subscriptions/x"), std::nullopt);
  EXPECT_EQ(subscription_in_id(""), std::nullopt);
}

TEST(AzureArmClientFactory, SubscriptionFromEnvironmentThenProfile) {
  auto clock = std::make_shared<testing::ManualClock>();
  auto transport = std::make_shared<FakeHttpTransport>();
  const auto from_env = ArmClientFactory::from_env(
      env_map({{"AZURE_SUBSCRIPTION_ID", k_subscription}}), clock, transport);
  EXPECT_EQ(from_env->subscription("11111111-1111-1111-1111-111111111111"), k_subscription);
  const auto from_profile = ArmClientFactory::from_env(env_map({}), clock, transport);
  EXPECT_EQ(from_profile->subscription(k_subscription), k_subscription);
  const auto none = from_profile->subscription("");
  ASSERT_FALSE(none.has_value());
  EXPECT_EQ(none.error().code, ExitCode::usage);
  EXPECT_NE(none.error().message.find("AZURE_SUBSCRIPTION_ID"), std::string::npos);
  EXPECT_NE(none.error().message.find("azure.subscription"), std::string::npos);
  const auto bad =
      ArmClientFactory::from_env(env_map({{"AZURE_SUBSCRIPTION_ID", "x"}}), clock, transport)
          ->subscription(k_subscription);
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().message.find("AZURE_SUBSCRIPTION_ID=\"x\""), std::string::npos);
}

// Given no credentials anywhere (IMDS unreachable), expect a client all the same, whose first
// call fails with the chain's usage error ("no credentials"), as the janitor relies on.
TEST(AzureArmClientFactory, ClientWithoutCredentialsFailsWithUsage) {
  auto clock = std::make_shared<testing::ManualClock>();
  auto transport = std::make_shared<FakeHttpTransport>();
  transport->set_handler([](const FakeHttpTransport::Request&) {
    return FakeHttpTransport::transport_failure(TransportErrorKind::transport);
  });
  const auto factory =
      ArmClientFactory::from_env(env_map({{"AZURE_IMDS_ENDPOINT", "http://127.0.0.1:10"},
                                          {"CE_AZURE_ARM_ENDPOINT", "http://127.0.0.1:8"}}),
                                 clock, transport);
  const auto client = factory->client(false);
  ASSERT_TRUE(client.has_value()) << client.error().message;
  EXPECT_FALSE((*client)->live());
  const auto response = (*client)->send(ArmRequest{"GET", "/subscriptions", k_api_subscriptions});
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().to_error().code, ExitCode::usage);
  EXPECT_NE(response.error().message.find("azure: no credentials"), std::string::npos);
  for (const auto& request : transport->requests()) {
    EXPECT_TRUE(request.url.starts_with("http://127.0.0.1:10/metadata/")) << request.url;
  }
}

// Given a bad CE_AZURE_MAX_ATTEMPTS, expect client() to fail with it, every time.
TEST(AzureArmClientFactory, FirstErrorIsReturnedAgain) {
  const auto factory = ArmClientFactory::from_env(env_map({{"CE_AZURE_MAX_ATTEMPTS", "zero"}}),
                                                  std::make_shared<testing::ManualClock>(),
                                                  std::make_shared<FakeHttpTransport>());
  for (int i = 0; i < 2; ++i) {
    const auto client = factory->client(true);
    ASSERT_FALSE(client.has_value());
    EXPECT_NE(client.error().message.find("CE_AZURE_MAX_ATTEMPTS"), std::string::npos);
  }
}

// Given a started phase with CE_AZURE_COMMAND_TIMEOUT=5, expect the client's deadline 5 s out.
TEST(AzureArmClientFactory, PhaseArmsTheDeadline) {
  auto clock = std::make_shared<testing::ManualClock>();
  const auto factory = ArmClientFactory::from_env(env_map({{"CE_AZURE_COMMAND_TIMEOUT", "5"}}),
                                                  clock, std::make_shared<FakeHttpTransport>());
  const auto client = factory->client(true);
  ASSERT_TRUE(client.has_value());
  EXPECT_EQ((*client)->deadline(), std::nullopt);
  factory->start_phase();
  EXPECT_EQ((*client)->deadline(), clock->steady_now() + std::chrono::seconds(5));
}

}  // namespace
}  // namespace labctl::providers::azure
