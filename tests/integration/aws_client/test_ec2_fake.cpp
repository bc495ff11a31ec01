// Ec2Client through the real curl transport against the EC2 fake (tests/fakes/ec2/ec2_fake.py)
// on 127.0.0.1, which verifies every signature: pagination, injected throttling, a hang past the
// timeout and a connection dropped mid-response are retried to success.

#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "providers/aws/ec2_client.hpp"
#include "tests/integration/aws_client/fake_server.hpp"
#include "tests/support/temp_dir.hpp"

namespace labctl::providers::aws {
namespace {

using std::chrono::milliseconds;

constexpr const char* k_key_id = "AKIAFAKEINTEGRATION1";
constexpr const char* k_canary_secret = "CANARY-EC2-SECRET-a87ff679";
constexpr const char* k_canary_token = "CANARY-EC2-TOKEN-e4da3b7f";

class Ec2FakeTest : public testing::TempDirTest {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists("/usr/bin/python3")) GTEST_SKIP() << "/usr/bin/python3 is missing";
    const auto script = testing::source_dir() / "tests/fakes/ec2/ec2_fake.py";
    ASSERT_TRUE(std::filesystem::exists(script)) << script;
    std::string why;
    server = testing::FakeServer::start({"/usr/bin/python3", script.string(), "--verify-secret",
                                         std::string(k_key_id) + "=" + k_canary_secret, "--log",
                                         (tmp.path() / "fake.log").string()},
                                        tmp.path(), why);
    ASSERT_NE(server, nullptr) << "EC2 fake did not start: " << why;
  }

  // The 10 s default timeout leaves room for a loaded CI host; hang tests pass 1 s.
  Ec2Client client(bool live = true, int max_attempts = 5,
                   milliseconds timeout = milliseconds(10000)) {
    Ec2ClientOptions options;
    options.region = "us-east-1";
    options.endpoint = server->url();
    options.live = live;
    options.retry = RetryPolicy{max_attempts, milliseconds(20), milliseconds(200)};
    options.request_timeout = timeout;
    Ec2ClientDeps deps{transport,
                       [] { return Credentials(k_key_id, k_canary_secret, k_canary_token); },
                       system_clock(), std::make_shared<RateLimiter>(), nullptr};
    return Ec2Client(std::move(options), std::move(deps));
  }

  nlohmann::json control(const std::string& method, const std::string& path,
                         const nlohmann::json& body = nlohmann::json::object()) {
    HttpRequest request{method,
                        server->url() + path,
                        {{"Content-Type", "application/json"}},
                        method == "GET" ? "" : body.dump()};
    auto response = transport->send(request);
    EXPECT_TRUE(response.has_value());
    EXPECT_EQ(response ? response->status : 0, 200)
        << path << ": " << (response ? response->body : "");
    return nlohmann::json::parse(response ? response->body : "{}", nullptr, false);
  }

  // The EC2 calls the fake recorded for `action`.
  std::vector<nlohmann::json> calls(const std::string& action) {
    std::vector<nlohmann::json> out;
    const nlohmann::json recorded = control("GET", "/_fake/calls");
    for (const auto& call : recorded["calls"]) {
      if (call["action"] == action) out.push_back(call);
    }
    return out;
  }

  std::shared_ptr<HttpTransport> transport = make_curl_transport({});
  std::unique_ptr<testing::FakeServer> server;
};

// Given an answer larger than the request's bound, expect a transport error naming the bound
// (the answer is cut off, not held whole); the same request with the default bound succeeds.
TEST_F(Ec2FakeTest, AnswerLargerThanTheBoundIsRefused) {
  HttpRequest request{"GET", server->url() + "/_fake/state", {}, ""};
  request.max_response_bytes = 64;
  const auto cut = transport->send(request);
  ASSERT_FALSE(cut.has_value()) << cut->body;
  EXPECT_EQ(cut.error().kind, TransportErrorKind::transport);
  EXPECT_NE(cut.error().message.find("larger than 64 bytes"), std::string::npos)
      << cut.error().message;
  request.max_response_bytes = HttpRequest{}.max_response_bytes;
  const auto whole = transport->send(request);
  ASSERT_TRUE(whole.has_value()) << whole.error().message;
  EXPECT_EQ(whole->status, 200);
}

TEST_F(Ec2FakeTest, DescribeRegions) {
  const auto response = client().call("DescribeRegions", {});
  ASSERT_TRUE(response.has_value()) << response.error().describe();
  EXPECT_FALSE(response->items("regionInfo/item").empty());
  EXPECT_FALSE(response->request_id().empty());
  const auto recorded = calls("DescribeRegions");
  ASSERT_EQ(recorded.size(), 1U);
  EXPECT_EQ(recorded[0]["session_token"], true);
  EXPECT_EQ(recorded[0]["status"], 200);
}

TEST_F(Ec2FakeTest, CreateKeyPairThenDescribeIt) {
  const Ec2Client ec2 = client();
  const auto created =
      ec2.call("CreateKeyPair", {{"KeyName", "labctl-it-key"}, {"KeyType", "ed25519"}});
  ASSERT_TRUE(created.has_value()) << created.error().describe();
  EXPECT_EQ(created->text("keyName"), "labctl-it-key");
  EXPECT_FALSE(created->text("keyMaterial").empty());
  QueryParams filter;
  filter.add_list("KeyName", {"labctl-it-key"});
  const auto described = ec2.call("DescribeKeyPairs", filter);
  ASSERT_TRUE(described.has_value()) << described.error().describe();
  const auto keys = described->items("keySet/item");
  ASSERT_EQ(keys.size(), 1U);
  EXPECT_EQ(text_at(keys[0], "keyPairId"), created->text("keyPairId"));
}

// Given 12 tagged instances and MaxResults 5, expect three pages and all 12 instances.
TEST_F(Ec2FakeTest, DescribeInstancesPaginates) {
  control("POST", "/_fake/seed",
          {{"region", "us-east-1"},
           {"instances", {{{"count", 12}, {"tags", {{"routerd.cloudedge.run_id", "it-run"}}}}}}});
  QueryParams params;
  params.add_filters({{"tag:routerd.cloudedge.run_id", {"it-run"}}});
  const auto pages = client().call_paged("DescribeInstances", params, "reservationSet/item", 5);
  ASSERT_TRUE(pages.has_value()) << pages.error().describe();
  std::set<std::string> ids;
  for (const auto& reservation : pages->items) {
    for (const auto& instance : nodes_at(reservation, "instancesSet/item")) {
      ids.insert(text_at(instance, "instanceId"));
    }
  }
  EXPECT_EQ(ids.size(), 12U);
  EXPECT_EQ(pages->pages.size(), 3U);
  EXPECT_EQ(calls("DescribeInstances").size(), 3U);
}

TEST_F(Ec2FakeTest, ThrottlingIsRetriedToSuccess) {
  control("POST", "/_fake/faults",
          {{"kind", "throttle"}, {"action", "DescribeRegions"}, {"count", 3}});
  const auto response = client().call("DescribeRegions", {});
  ASSERT_TRUE(response.has_value()) << response.error().describe();
  const auto recorded = calls("DescribeRegions");
  ASSERT_EQ(recorded.size(), 4U);
  EXPECT_EQ(recorded[0]["error_code"], "RequestLimitExceeded");
  EXPECT_EQ(recorded[3]["status"], 200);
}

// Given a fake that hangs 3 s on the first call and a 1 s timeout, expect a timeout then a
// successful retry: the answer is the retry's (the fake logs a call when it has answered, so
// the retry is logged first and the hung call after it). Counts and order, not wall-clock
// upper bounds, which flake on a loaded 2-core host.
TEST_F(Ec2FakeTest, HangPastTheTimeoutIsRetried) {
  control("POST", "/_fake/faults",
          {{"kind", "hang"}, {"action", "DescribeRegions"}, {"count", 1}, {"hang_seconds", 3}});
  const auto started = std::chrono::steady_clock::now();
  const auto response = client(true, 5, milliseconds(1000)).call("DescribeRegions", {});
  ASSERT_TRUE(response.has_value()) << response.error().describe();
  EXPECT_GE(std::chrono::steady_clock::now() - started, milliseconds(900));
  std::vector<nlohmann::json> recorded;
  for (int i = 0; i < 100 && recorded.size() < 2; ++i) {
    std::this_thread::sleep_for(milliseconds(100));
    recorded = calls("DescribeRegions");
  }
  ASSERT_EQ(recorded.size(), 2U) << "no retry was sent while the first call hung";
  EXPECT_EQ(recorded[0]["request_id"], response->request_id());
  EXPECT_NE(recorded[1]["request_id"], response->request_id());
}

TEST_F(Ec2FakeTest, HangOnEveryAttemptEndsAsTimeout) {
  control("POST", "/_fake/faults",
          {{"kind", "hang"}, {"action", "DescribeRegions"}, {"count", 2}, {"hang_seconds", 2}});
  const auto response = client(true, 2, milliseconds(1000)).call("DescribeRegions", {});
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().kind, AwsErrorKind::timeout);
  EXPECT_EQ(response.error().attempts, 2);
}

// Given answers that stall for 30 s after their headers and a 1 s stall bound (well below the
// 10 s request timeout), expect each attempt cut as a timeout, retried, and the error to name
// the action, the region and the bounds to raise.
TEST_F(Ec2FakeTest, StallAfterHeadersIsCutAsATimeout) {
  control("POST", "/_fake/faults",
          {{"kind", "stall_after_headers"},
           {"action", "DescribeRegions"},
           {"count", 0},
           {"hang_seconds", 30}});
  Ec2ClientOptions options;
  options.region = "us-east-1";
  options.endpoint = server->url();
  options.retry = RetryPolicy{2, milliseconds(20), milliseconds(200)};
  options.request_timeout = milliseconds(10000);
  options.stall_timeout = milliseconds(1000);
  const Ec2Client ec2(std::move(options),
                      {transport, [] { return Credentials(k_key_id, k_canary_secret); },
                       system_clock(), std::make_shared<RateLimiter>(), nullptr});
  const auto response = ec2.call("DescribeRegions", {});
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().kind, AwsErrorKind::timeout);
  EXPECT_EQ(response.error().attempts, 2);
  const std::string text = response.error().describe();
  EXPECT_NE(text.find("DescribeRegions (us-east-1): timeout"), std::string::npos) << text;
  EXPECT_NE(text.find("CE_AWS_STALL_TIMEOUT"), std::string::npos) << text;
  EXPECT_EQ(calls("DescribeRegions").size(), 2U);
}

TEST_F(Ec2FakeTest, DropMidResponseIsRetried) {
  control("POST", "/_fake/faults", {{"kind", "drop"}, {"action", "DescribeRegions"}, {"count", 2}});
  const auto response = client().call("DescribeRegions", {});
  ASSERT_TRUE(response.has_value()) << response.error().describe();
  EXPECT_EQ(calls("DescribeRegions").size(), 3U);
}

// Given an unknown instance id, expect the fake's NotFound error after exactly one call.
TEST_F(Ec2FakeTest, ServiceErrorsFailFastWithCodeAndMessage) {
  QueryParams params;
  params.add_list("InstanceId", {"i-0123456789abcdef0"});
  const auto response = client().call("DescribeInstances", params);
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().code, "InvalidInstanceID.NotFound");
  EXPECT_EQ(response.error().http_status, 400);
  EXPECT_FALSE(response.error().request_id.empty());
  EXPECT_EQ(calls("DescribeInstances").size(), 1U);
  const std::string text = response.error().describe();
  EXPECT_EQ(text.find(k_canary_secret), std::string::npos);
  EXPECT_EQ(text.find(k_canary_token), std::string::npos);
}

// Given a dry-run client, expect a mutating call to leave no trace at the fake, and a
// DryRun=true permission check to come back as DryRunOperation.
TEST_F(Ec2FakeTest, DryRunClientSendsNoMutation) {
  const Ec2Client ec2 = client(/*live=*/false);
  const auto refused = ec2.call("CreateKeyPair", {{"KeyName", "never"}});
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().kind, AwsErrorKind::refused);
  EXPECT_TRUE(calls("CreateKeyPair").empty());
  const auto checked = ec2.call("CreateKeyPair", {{"KeyName", "never"}, {"DryRun", "true"}});
  ASSERT_FALSE(checked.has_value());
  EXPECT_EQ(checked.error().code, "DryRunOperation");
  const auto recorded = calls("CreateKeyPair");
  ASSERT_EQ(recorded.size(), 1U);
  EXPECT_EQ(recorded[0]["dry_run"], true);
}

// Given 8 threads sharing one client, expect every call to succeed (one curl handle per thread).
TEST_F(Ec2FakeTest, ConcurrentCallsShareOneClient) {
  const Ec2Client ec2 = client();
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10; ++i) {
        if (!ec2.call("DescribeRegions", {}).has_value()) ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(calls("DescribeRegions").size(), 80U);
}

// Given a throttling storm on RunInstances (burst 5, 2/s) from two threads, expect every call to
// complete and the client's own bucket to space them: 6 calls + 2 throttled retries = 8 tokens,
// so at least (8 - 5) / 2 = 1.5 s.
TEST_F(Ec2FakeTest, ThrottlingStormCompletesWithinTheBucketRate) {
  control("POST", "/_fake/faults",
          {{"kind", "throttle"}, {"action", "RunInstances"}, {"count", 2}});
  const Ec2Client ec2 = client();
  const auto started = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  std::atomic<int> throttled{0};
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 3; ++i) {
        const auto response = ec2.call("RunInstances", {{"ImageId", "ami-0abcdef1234567890"},
                                                        {"MinCount", "1"},
                                                        {"MaxCount", "1"},
                                                        {"DryRun", "true"}});
        if (!response && response.error().kind == AwsErrorKind::throttled) ++throttled;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(throttled.load(), 0);
  EXPECT_EQ(calls("RunInstances").size(), 8U);
  EXPECT_GE(std::chrono::steady_clock::now() - started, milliseconds(1450));
}

TEST_F(Ec2FakeTest, WrongSecretIsAnAuthError) {
  Ec2ClientOptions options;
  options.region = "us-east-1";
  options.endpoint = server->url();
  options.live = true;
  const Ec2Client ec2(options, {transport, [] { return Credentials(k_key_id, "wrong-secret"); },
                                system_clock(), std::make_shared<RateLimiter>(), nullptr});
  const auto response = ec2.call("DescribeRegions", {});
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().kind, AwsErrorKind::auth);
  EXPECT_EQ(response.error().attempts, 1);
}

}  // namespace
}  // namespace labctl::providers::aws
