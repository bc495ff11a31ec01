#include "providers/azure/credentials.hpp"

#include <gtest/gtest.h>

#include "core/text.hpp"
#include "tests/fakes/env_map.hpp"
#include "tests/fakes/fake_http_transport.hpp"
#include "tests/fakes/manual_clock.hpp"
#include "tests/support/temp_dir.hpp"

namespace labctl::providers::azure {
namespace {

using std::chrono::minutes;
using testing::env_map;
using testing::FakeHttpTransport;

constexpr const char* k_canary_secret = "CANARY-CLIENT-SECRET-8277e091";
constexpr const char* k_canary_token = "CANARY-ACCESS-TOKEN-e4da3b7f";
constexpr const char* k_tenant = "11111111-2222-3333-4444-555555555555";
constexpr const char* k_client = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";
constexpr const char* k_authority = "http://127.0.0.1:9";
constexpr const char* k_imds = "http://127.0.0.1:10";

FakeHttpTransport::Result token_answer(const std::string& token = k_canary_token,
                                       int expires_in = 3600) {
  return FakeHttpTransport::respond(200, R"({"token_type":"Bearer","expires_in":)" +
                                             std::to_string(expires_in) + R"(,"access_token":")" +
                                             token + "\"}");
}

class AzureCredentialsTest : public testing::TempDirTest {
 protected:
  CredentialChain chain(std::map<std::string, std::string> values) {
    values.emplace("AZURE_AUTHORITY_HOST", k_authority);
    values.emplace("AZURE_IMDS_ENDPOINT", k_imds);  // never the link-local address in tests
    return CredentialChain(env_map(std::move(values)), transport, clock);
  }
  std::shared_ptr<FakeHttpTransport> transport = std::make_shared<FakeHttpTransport>();
  std::shared_ptr<testing::ManualClock> clock = std::make_shared<testing::ManualClock>();
};

// Given a client secret, a federated token file and a managed identity endpoint all set,
// expect the client secret used (the SDK's order): a form POST to the tenant's v2 endpoint.
TEST_F(AzureCredentialsTest, ClientSecretComesFirst) {
  const auto file = tmp.path() / "token.jwt";
  testing::write_text(file, "assertion-1\n");
  transport->push(token_answer());
  auto source = chain({{"AZURE_TENANT_ID", k_tenant},
                       {"AZURE_CLIENT_ID", k_client},
                       {"AZURE_CLIENT_SECRET", k_canary_secret},
                       {"AZURE_FEDERATED_TOKEN_FILE", file.string()},
                       {"IDENTITY_ENDPOINT", "http://127.0.0.1:11/msi"},
                       {"IDENTITY_HEADER", "h"}});
  const auto token = source.token();
  ASSERT_TRUE(token.has_value()) << token.error().message;
  EXPECT_EQ(token->value.reveal(), k_canary_token);
  const auto requests = transport->requests();
  ASSERT_EQ(requests.size(), 1U);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].url, std::string(k_authority) + "/" + k_tenant + "/oauth2/v2.0/token");
  EXPECT_EQ(requests[0].body, std::string("grant_type=client_credentials&client_id=") + k_client +
                                  "&client_secret=" + k_canary_secret +
                                  "&scope=https%3A%2F%2Fmanagement.azure.com%2F.default");
  EXPECT_EQ(find_header(requests[0].headers, "Content-Type"), "application/x-www-form-urlencoded");
}

// Given a federated token file (no secret), expect a client assertion read from the file, and
// read again at the next fetch (the file is rotated).
TEST_F(AzureCredentialsTest, WorkloadIdentityRereadsTheFileAtEachFetch) {
  const auto file = tmp.path() / "token.jwt";
  testing::write_text(file, "assertion-1\n");
  transport->push(token_answer("t1", 600));
  transport->push(token_answer("t2", 600));
  auto source = chain({{"AZURE_TENANT_ID", k_tenant},
                       {"AZURE_CLIENT_ID", k_client},
                       {"AZURE_FEDERATED_TOKEN_FILE", file.string()},
                       {"IDENTITY_ENDPOINT", "http://127.0.0.1:11/msi"},
                       {"IDENTITY_HEADER", "h"}});
  ASSERT_TRUE(source.token().has_value());
  testing::write_text(file, "assertion-2");
  clock->advance(minutes(6));  // within 5 min of the 10 min expiry
  const auto second = source.token();
  ASSERT_TRUE(second.has_value()) << second.error().message;
  EXPECT_EQ(second->value.reveal(), "t2");
  const auto requests = transport->requests();
  ASSERT_EQ(requests.size(), 2U);
  EXPECT_NE(requests[0].body.find("client_assertion=assertion-1&client_assertion_type=urn%3Aietf"
                                  "%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer"),
            std::string::npos)
      << requests[0].body;
  EXPECT_NE(requests[1].body.find("client_assertion=assertion-2&"), std::string::npos);
  EXPECT_EQ(requests[0].body.find("client_secret"), std::string::npos);
}

// Given IDENTITY_ENDPOINT/IDENTITY_HEADER and AZURE_CLIENT_ID only, expect the App Service
// managed identity GET with the header and the user-assigned client id, expires_on honoured.
TEST_F(AzureCredentialsTest, AppServiceManagedIdentityBeforeImds) {
  transport->push(FakeHttpTransport::respond(
      200, R"({"access_token":"mi-token","expires_on":")" +
               std::to_string(
                   std::chrono::duration_cast<std::chrono::seconds>(clock->now().time_since_epoch())
                       .count() +
                   3600) +
               R"(","resource":"https://management.azure.com/","token_type":"Bearer"})"));
  auto source = chain({{"AZURE_CLIENT_ID", k_client},
                       {"IDENTITY_ENDPOINT", "http://127.0.0.1:11/msi/token"},
                       {"IDENTITY_HEADER", "header-secret-value"}});
  const auto token = source.token();
  ASSERT_TRUE(token.has_value()) << token.error().message;
  EXPECT_EQ(token->expires_at, clock->now() + std::chrono::hours(1));
  const auto requests = transport->requests();
  ASSERT_EQ(requests.size(), 1U);
  EXPECT_EQ(requests[0].url,
            std::string("http://127.0.0.1:11/msi/token?api-version=2019-08-01&resource=https%3A%2F%"
                        "2Fmanagement.azure.com%2F&client_id=") +
                k_client);
  EXPECT_EQ(find_header(requests[0].headers, "X-IDENTITY-HEADER"), "header-secret-value");
}

// Given nothing but AZURE_IMDS_ENDPOINT, expect the IMDS GET with Metadata: true and a 1 s
// connect timeout.
TEST_F(AzureCredentialsTest, ImdsLast) {
  transport->push(token_answer("imds-token"));
  auto source = chain({});
  ASSERT_TRUE(source.token().has_value());
  const auto requests = transport->requests();
  ASSERT_EQ(requests.size(), 1U);
  EXPECT_EQ(requests[0].url, std::string(k_imds) +
                                 "/metadata/identity/oauth2/token?api-version=2018-02-01&"
                                 "resource=https%3A%2F%2Fmanagement.azure.com%2F");
  EXPECT_EQ(find_header(requests[0].headers, "Metadata"), "true");
  EXPECT_EQ(requests[0].connect_timeout, std::chrono::milliseconds(1000));
}

// Given no configuration and an IMDS that does not answer, expect the usage error listing the
// sources tried, and IMDS not asked again by the next call.
TEST_F(AzureCredentialsTest, NoCredentialsIsAUsageErrorAndImdsIsAskedOnce) {
  transport->set_handler([](const FakeHttpTransport::Request&) {
    return FakeHttpTransport::transport_failure(TransportErrorKind::transport);
  });
  auto source = chain({});
  for (int i = 0; i < 2; ++i) {
    const auto token = source.token();
    ASSERT_FALSE(token.has_value());
    EXPECT_EQ(token.error().code, ExitCode::usage);
    EXPECT_TRUE(token.error().message.starts_with(
        "azure: no credentials (tried: environment client secret"))
        << token.error().message;
    EXPECT_NE(token.error().message.find("workload identity"), std::string::npos);
    EXPECT_NE(token.error().message.find("not available"), std::string::npos);
    EXPECT_NE(token.error().message.find("; set AZURE_TENANT_ID"), std::string::npos);
  }
  EXPECT_EQ(transport->requests().size(), 1U);
}

// Given configurations set only in part, expect a usage error naming what is missing and
// nothing sent (no silent fall-through to another identity).
TEST_F(AzureCredentialsTest, PartialConfigurationNamesWhatIsMissing) {
  const std::vector<std::pair<std::map<std::string, std::string>, std::string>> cases = {
      {{{"AZURE_TENANT_ID", k_tenant}, {"AZURE_CLIENT_ID", k_client}}, "AZURE_CLIENT_SECRET"},
      {{{"AZURE_CLIENT_SECRET", k_canary_secret}, {"AZURE_CLIENT_ID", k_client}},
       "AZURE_TENANT_ID is not"},
      {{{"AZURE_CLIENT_SECRET", k_canary_secret}}, "AZURE_TENANT_ID and AZURE_CLIENT_ID are not"},
      {{{"AZURE_FEDERATED_TOKEN_FILE", "/x"}, {"AZURE_TENANT_ID", k_tenant}},
       "AZURE_CLIENT_ID is not"},
      {{{"IDENTITY_ENDPOINT", "http://127.0.0.1:11/msi"}}, "IDENTITY_HEADER is not"},
      {{{"AZURE_TENANT_ID", "a/b"},
        {"AZURE_CLIENT_ID", k_client},
        {"AZURE_CLIENT_SECRET", k_canary_secret}},
       "not a tenant id"},
      {{{"AZURE_TENANT_ID", k_tenant},
        {"AZURE_CLIENT_ID", k_client},
        {"AZURE_CLIENT_SECRET", k_canary_secret},
        {"AZURE_AUTHORITY_HOST", "http://login.example"}},
       "AZURE_AUTHORITY_HOST"},
  };
  for (const auto& [values, expected] : cases) {
    auto env = values;
    env.emplace("AZURE_IMDS_ENDPOINT", k_imds);
    CredentialChain source(env_map(env), transport, clock);
    const auto token = source.token();
    ASSERT_FALSE(token.has_value()) << expected;
    EXPECT_EQ(token.error().code, ExitCode::usage) << expected;
    EXPECT_NE(token.error().message.find(expected), std::string::npos) << token.error().message;
    EXPECT_EQ(token.error().message.find(k_canary_secret), std::string::npos);
  }
  EXPECT_TRUE(transport->requests().empty());
}

// Given a one-hour token, expect it cached for 55 minutes, fetched again within the last 5,
// and fetched again at once after invalidate() (a 401 from ARM).
TEST_F(AzureCredentialsTest, TokenRefreshedFiveMinutesBeforeExpiry) {
  transport->push(token_answer("t1"));
  transport->push(token_answer("t2"));
  transport->push(token_answer("t3"));
  auto source = chain({{"AZURE_TENANT_ID", k_tenant},
                       {"AZURE_CLIENT_ID", k_client},
                       {"AZURE_CLIENT_SECRET", k_canary_secret}});
  EXPECT_EQ(source.token()->value.reveal(), "t1");
  clock->advance(minutes(54));
  EXPECT_EQ(source.token()->value.reveal(), "t1");
  clock->advance(minutes(2));
  EXPECT_EQ(source.token()->value.reveal(), "t2");
  source.invalidate();
  EXPECT_EQ(source.token()->value.reveal(), "t3");
  EXPECT_EQ(transport->requests().size(), 3U);
}

// Given a failed refresh while the cached token is still valid, expect the cached one.
TEST_F(AzureCredentialsTest, FailedRefreshKeepsAValidToken) {
  transport->push(token_answer("t1"));
  transport->set_handler(
      [](const FakeHttpTransport::Request&) { return FakeHttpTransport::respond(503, "{}"); });
  auto source = chain({{"AZURE_TENANT_ID", k_tenant},
                       {"AZURE_CLIENT_ID", k_client},
                       {"AZURE_CLIENT_SECRET", k_canary_secret}});
  ASSERT_TRUE(source.token().has_value());
  clock->advance(minutes(57));
  const auto token = source.token();
  ASSERT_TRUE(token.has_value());
  EXPECT_EQ(token->value.reveal(), "t1");
  EXPECT_EQ(transport->requests().size(), 4U);  // one fetch, then three tries of the refresh
}

// Given a token endpoint that rejects the secret and echoes it (with control characters and
// ill-formed UTF-8), expect an error without the secret, printable, with the OAuth code.
TEST_F(AzureCredentialsTest, TokenErrorsNeverEchoTheSecret) {
  transport->push(FakeHttpTransport::respond(
      401, std::string(R"({"error":"invalid_client","error_description":"AADSTS7000215: bad )") +
               k_canary_secret + "\\u001b[2J \xff\"}"));
  auto source = chain({{"AZURE_TENANT_ID", k_tenant},
                       {"AZURE_CLIENT_ID", k_client},
                       {"AZURE_CLIENT_SECRET", k_canary_secret}});
  ::testing::internal::CaptureStderr();
  const auto token = source.token();
  const std::string logged = ::testing::internal::GetCapturedStderr();
  ASSERT_FALSE(token.has_value());
  EXPECT_EQ(token.error().code, ExitCode::provider);
  const std::string& message = token.error().message;
  EXPECT_NE(message.find("HTTP 401 invalid_client: AADSTS7000215: bad <redacted>"),
            std::string::npos)
      << message;
  EXPECT_EQ(message.find(k_canary_secret), std::string::npos);
  EXPECT_EQ(logged.find(k_canary_secret), std::string::npos);
  EXPECT_TRUE(::labctl::text::is_valid_utf8(message));
  EXPECT_EQ(message.find('\x1b'), std::string::npos);
  EXPECT_EQ(transport->requests().size(), 1U);  // a 4xx is not retried
}

// Given hostile 200 answers, expect each refused with a reason and never the token in it.
TEST(AzureTokenAnswer, ShapeChecked) {
  const SystemTime now{std::chrono::seconds(1'790'000'000)};
  const std::string canary = k_canary_token;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"not json " + canary, "not a JSON object"},
      {R"({"access_token":")" + canary + "\"}", "neither expires_in"},
      {R"({"access_token":")" + canary + R"(","expires_in":-5})", "neither expires_in"},
      {R"({"access_token":")" + canary + R"(","expires_on":"1000"})", "expired"},
      {R"({"access_token":")" + canary + R"(","token_type":"PoP","expires_in":60})", "Bearer"},
      {R"({"access_token":"a b","expires_in":60})", "printable ASCII"},
      {R"({"expires_in":60})", "no access_token"},
      {std::string(70000, ' '), "more than"},
  };
  for (const auto& [body, expected] : cases) {
    const auto token = parse_token_answer("azure token", 200, body, now, {}, "test");
    ASSERT_FALSE(token.has_value()) << expected;
    EXPECT_NE(token.error().message.find(expected), std::string::npos) << token.error().message;
    EXPECT_EQ(token.error().message.find(canary), std::string::npos);
  }
  const auto good = parse_token_answer(
      "azure token", 200, R"({"access_token":"abc","expires_in":"3599","token_type":"bearer"})",
      now, {}, "test");
  ASSERT_TRUE(good.has_value());
  EXPECT_EQ(good->expires_at, now + std::chrono::seconds(3599));
  EXPECT_EQ(good->describe().find("abc"), std::string::npos);
}

}  // namespace
}  // namespace labctl::providers::azure
