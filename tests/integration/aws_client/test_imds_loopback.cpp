// IMDSv2 through the real curl transport against tests/fakes/imds/imds_fake.py on 127.0.0.1.

#include <thread>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "providers/aws/credentials.hpp"
#include "tests/integration/aws_client/fake_server.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/fakes/env_map.hpp"

namespace labctl::providers::aws {
namespace {

class ImdsLoopbackTest : public testing::TempDirTest {
 protected:
  void start(int expires_in) {
    if (!std::filesystem::exists("/usr/bin/python3")) GTEST_SKIP() << "/usr/bin/python3 is missing";
    std::string why;
    server = testing::FakeServer::start(
        {"/usr/bin/python3", (testing::source_dir() / "tests/fakes/imds/imds_fake.py").string(),
         "--expires-in", std::to_string(expires_in), "--secret", "CANARY-IMDS-SECRET-45c48cce"},
        tmp.path(), why);
    ASSERT_NE(server, nullptr) << "IMDS fake did not start: " << why;
  }
  CredentialChain chain() {
    return CredentialChain(testing::env_map({{"HOME", tmp.path().string()},
                                             {"AWS_EC2_METADATA_SERVICE_ENDPOINT", server->url()}}),
                           transport, system_clock());
  }
  nlohmann::json stats() {
    auto response = transport->send({"GET", server->url() + "/_fake/stats", {}, ""});
    EXPECT_TRUE(response.has_value());
    return nlohmann::json::parse(response ? response->body : "{}");
  }
  std::shared_ptr<HttpTransport> transport = make_curl_transport({});
  std::unique_ptr<testing::FakeServer> server;
};

// Given credentials valid for an hour, expect one fetch serving repeated resolves.
TEST_F(ImdsLoopbackTest, FetchesOnceWhileFresh) {
  start(3600);
  if (IsSkipped() || HasFatalFailure()) return;
  CredentialChain credentials = chain();
  const auto first = credentials.resolve();
  ASSERT_TRUE(first.has_value()) << first.error().message;
  EXPECT_EQ(first->access_key_id(), "ASIAFAKEIMDS0001");
  EXPECT_EQ(first->secret_access_key(), "CANARY-IMDS-SECRET-45c48cce");
  EXPECT_EQ(first->session_token(), "fake-imds-token-0001");
  EXPECT_EQ(first->source(), "instance metadata role lab-role");
  EXPECT_EQ(credentials.resolve()->access_key_id(), "ASIAFAKEIMDS0001");
  EXPECT_EQ(stats()["credential_fetches"], 1);
  EXPECT_EQ(stats()["unauthorized"], 0);
  EXPECT_EQ(first->to_string().find("CANARY"), std::string::npos);
}

// Given credentials issued for 1 second (shorter than twice the 5-minute margin), expect them
// refreshed once half their lifetime has passed.
TEST_F(ImdsLoopbackTest, RefreshesInsideTheMargin) {
  start(1);
  if (IsSkipped() || HasFatalFailure()) return;
  CredentialChain credentials = chain();
  EXPECT_EQ(credentials.resolve()->access_key_id(), "ASIAFAKEIMDS0001");
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  EXPECT_EQ(credentials.resolve()->access_key_id(), "ASIAFAKEIMDS0002");
  EXPECT_EQ(stats()["credential_fetches"], 2);
}

// Given nine IMDS requests from one thread, expect a single kept-alive TCP connection.
TEST_F(ImdsLoopbackTest, ReusesOneConnection) {
  start(1);
  if (IsSkipped() || HasFatalFailure()) return;
  CredentialChain credentials = chain();
  for (int i = 0; i < 3; ++i) {
    if (i > 0) std::this_thread::sleep_for(std::chrono::milliseconds(600));  // past half-life
    ASSERT_TRUE(credentials.resolve().has_value());
  }
  const auto counters = stats();
  EXPECT_EQ(counters["token_puts"], 3);
  EXPECT_EQ(counters["connections"], 1);
}

TEST_F(ImdsLoopbackTest, UnreachableEndpointFailsFastAndExplains) {
  // A port nothing listens on (the fake is not started): connection refused, well under 1 s.
  CredentialChain credentials(
      testing::env_map({{"HOME", tmp.path().string()},
                        {"AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:1"}}),
      transport, system_clock());
  const auto started = std::chrono::steady_clock::now();
  const auto result = credentials.resolve();
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(3));
  ASSERT_FALSE(result.has_value());
  EXPECT_NE(result.error().message.find("instance metadata at http://127.0.0.1:1"),
            std::string::npos);
}

}  // namespace
}  // namespace labctl::providers::aws
