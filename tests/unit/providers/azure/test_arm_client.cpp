#include "providers/azure/arm_client.hpp"

#include <gtest/gtest.h>

#include "tests/fakes/fake_http_transport.hpp"
#include "tests/fakes/manual_clock.hpp"

namespace labctl::providers::azure {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::FakeHttpTransport;

constexpr const char* k_canary_token = "CANARY-ARM-TOKEN-5d41402abc4b2a76";
constexpr const char* k_endpoint = "http://127.0.0.1:8";
constexpr const char* k_rg =
    "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg";

FakeHttpTransport::Result answer(long status, std::string body, HttpHeaders headers = {}) {
  return HttpResponse{status, std::move(headers), std::move(body)};
}

ArmRequest put_group() {
  return ArmRequest{"PUT", k_rg, k_api_resources, {}, nlohmann::json{{"location", "westeurope"}}};
}

ArmRequest get_group() { return ArmRequest{"GET", k_rg, k_api_resources}; }

class ArmClientTest : public ::testing::Test {
 protected:
  ArmClient make_client(bool live, int max_attempts = 5, bool debug_log = false) {
    ArmClientOptions options;
    options.endpoint = k_endpoint;
    options.live = live;
    options.retry.max_attempts = max_attempts;
    options.limits.wait_timeout = seconds(60);
    options.debug_log = debug_log;
    ArmClientDeps deps{transport,
                       [this]() -> Expected<std::string> {
                         ++token_calls;
                         return std::string(k_canary_token) + std::to_string(refreshes);
                       },
                       clock,
                       [] { return 0.5; },
                       deadline,
                       [this] { ++refreshes; }};
    return ArmClient(std::move(options), std::move(deps));
  }
  std::shared_ptr<FakeHttpTransport> transport = std::make_shared<FakeHttpTransport>();
  std::shared_ptr<testing::ManualClock> clock = std::make_shared<testing::ManualClock>();
  std::shared_ptr<CloudDeadline> deadline =
      std::make_shared<CloudDeadline>("Azure", "CE_AZURE_COMMAND_TIMEOUT");
  int token_calls = 0;
  int refreshes = 0;
};

// Given a PUT with a body and a query, expect one request to endpoint + path + api-version +
// the encoded query, a bearer token, JSON headers and a fresh client request id.
TEST_F(ArmClientTest, SendsBearerJsonAndApiVersion) {
  transport->push(answer(200, R"({"id":"x"})"));
  ArmRequest request = put_group();
  request.query = {{"$filter", "tagName eq 'a b'"}};
  const auto response = make_client(true).send(request);
  ASSERT_TRUE(response.has_value()) << response.error().describe();
  EXPECT_EQ(response->body["id"], "x");
  const auto requests = transport->requests();
  ASSERT_EQ(requests.size(), 1U);
  EXPECT_EQ(requests[0].method, "PUT");
  EXPECT_EQ(requests[0].url, std::string(k_endpoint) + k_rg +
                                 "?api-version=2022-09-01&$filter=tagName%20eq%20%27a%20b%27");
  EXPECT_EQ(find_header(requests[0].headers, "Authorization"),
            std::string("Bearer ") + k_canary_token + "0");
  EXPECT_EQ(find_header(requests[0].headers, "Accept"), "application/json");
  EXPECT_EQ(find_header(requests[0].headers, "Content-Type"), "application/json");
  EXPECT_EQ(requests[0].body, R"({"location":"westeurope"})");
  const auto id = find_header(requests[0].headers, "x-ms-client-request-id");
  ASSERT_TRUE(id.has_value());
  EXPECT_EQ(id->size(), 36U);
  EXPECT_EQ(id->at(14), '4');
}

// Given a GET, expect no Content-Type and an empty 200 body read as null.
TEST_F(ArmClientTest, GetHasNoBodyAndEmptyAnswerIsNull) {
  transport->push(answer(200, ""));
  const auto response = make_client(false).send(get_group());
  ASSERT_TRUE(response.has_value());
  EXPECT_TRUE(response->body.is_null());
  EXPECT_FALSE(find_header(transport->requests().at(0).headers, "Content-Type").has_value());
}

// Given 429 with Retry-After: 7, then 429 with Retry-After: 999, then 200, expect waits of 7 s
// and of the policy's cap (20 s), not the endpoint's 999 s.
TEST_F(ArmClientTest, ThrottlingHonoursRetryAfterCappedByPolicy) {
  transport->push(answer(429, R"({"error":{"code":"TooManyRequests","message":"slow"}})",
                         {{"Retry-After", "7"}}));
  transport->push(answer(429, "{}", {{"Retry-After", "999"}}));
  transport->push(answer(200, "{}"));
  const auto response = make_client(false).send(get_group());
  ASSERT_TRUE(response.has_value()) << response.error().describe();
  EXPECT_EQ(transport->requests().size(), 3U);
  EXPECT_EQ(clock->sleeps(), (std::vector<milliseconds>{seconds(7), seconds(20)}));
}

// Given 500 and 503 then 200, expect three sends and the shared backoff (0.5 * 200, 0.5 * 400).
TEST_F(ArmClientTest, ServerErrorsRetriedWithBackoff) {
  transport->push(answer(500, "{}"));
  transport->push(answer(503, "{}"));
  transport->push(answer(200, "{}"));
  ASSERT_TRUE(make_client(false).send(get_group()).has_value());
  EXPECT_EQ(clock->sleeps(), (std::vector<milliseconds>{milliseconds(100), milliseconds(200)}));
}

// Given timeouts every time and 3 attempts, expect a timeout error after 3 attempts naming the
// bounds.
TEST_F(ArmClientTest, TimeoutsRetriedUpToMaxAttempts) {
  transport->set_handler([](const FakeHttpTransport::Request&) {
    return FakeHttpTransport::transport_failure(TransportErrorKind::timeout);
  });
  const auto response = make_client(false, 3).send(get_group());
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().kind, ArmErrorKind::timeout);
  EXPECT_EQ(response.error().attempts, 3);
  EXPECT_NE(response.error().describe().find("CE_AZURE_REQUEST_TIMEOUT"), std::string::npos);
}

// Given 409 Conflict, expect one request: conflicts are the caller's to retry.
TEST_F(ArmClientTest, ConflictIsNotRetried) {
  transport->push(answer(409, R"({"error":{"code":"AnotherOperationInProgress","message":"busy"}})",
                         {{"x-ms-request-id", "req-1"}}));
  const auto response = make_client(true).send(put_group());
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().kind, ArmErrorKind::conflict);
  EXPECT_EQ(response.error().code, "AnotherOperationInProgress");
  EXPECT_EQ(transport->requests().size(), 1U);
  EXPECT_EQ(response.error().describe(),
            "azure PUT resourceGroups/rg (HTTP 409 AnotherOperationInProgress): busy (request id "
            "req-1)");
  EXPECT_EQ(response.error().to_error().code, ExitCode::provider);
}

// Given a dry-run client, expect PUT, DELETE and a mutating POST refused (exit 4) before a
// token is asked for or anything is sent, while a read-only POST goes out.
TEST_F(ArmClientTest, DryRunRefusesMutationsAndSendsNothing) {
  const ArmClient client = make_client(false);
  for (const char* method : {"PUT", "PATCH", "DELETE", "POST"}) {
    ArmRequest request = put_group();
    request.method = method;
    const auto refused = client.send_and_wait(request);
    ASSERT_FALSE(refused.has_value()) << method;
    EXPECT_EQ(refused.error().kind, ArmErrorKind::refused);
    EXPECT_EQ(refused.error().to_error().code, ExitCode::refused);
  }
  EXPECT_TRUE(transport->requests().empty());
  EXPECT_EQ(token_calls, 0);

  transport->push(answer(200, R"({"data":[]})"));
  ArmRequest query{"POST", "/providers/Microsoft.ResourceGraph/resources", k_api_resource_graph};
  query.body = nlohmann::json{{"query", "Resources"}};
  query.read_only_post = true;
  EXPECT_TRUE(client.send(query).has_value());
  EXPECT_EQ(transport->requests().size(), 1U);
}

// Given a path that is not an ARM path (a query, a traversal), expect a refusal, nothing sent.
TEST_F(ArmClientTest, NonArmPathsAreRefused) {
  for (const char* path :
       {"/subscriptions/x?api-version=1", "/subscriptions/../x", "/other", "/subscriptions/a b"}) {
    const auto refused = make_client(true).send(ArmRequest{"GET", path, k_api_resources});
    ASSERT_FALSE(refused.has_value()) << path;
    EXPECT_EQ(refused.error().kind, ArmErrorKind::refused) << path;
  }
  EXPECT_TRUE(transport->requests().empty());
}

// Given a PUT answered 201 with Azure-AsyncOperation (and Location) and Retry-After: 3, then
// InProgress, then Succeeded, expect the status URL polled (not Location) after 3 s and 2 s,
// progress called per poll, and the resource's final GET returned.
TEST_F(ArmClientTest, AsyncOperationPolledToSuccessThenResourceRead) {
  const std::string status_url = std::string(k_endpoint) + "/op/1?api-version=2022-09-01";
  transport->push(answer(201, R"({"properties":{"provisioningState":"Creating"}})",
                         {{"Azure-AsyncOperation", status_url},
                          {"Location", std::string(k_endpoint) + "/loc/1"},
                          {"Retry-After", "3"}}));
  transport->push(answer(200, R"({"status":"InProgress"})"));
  transport->push(answer(200, R"({"status":"Succeeded"})"));
  transport->push(answer(200, R"({"id":"rg","properties":{"provisioningState":"Succeeded"}})"));
  int polls = 0;
  const auto response = make_client(true).send_and_wait(put_group(), [&polls] { ++polls; });
  ASSERT_TRUE(response.has_value()) << response.error().describe();
  EXPECT_EQ(response->body["id"], "rg");
  EXPECT_EQ(polls, 2);
  const auto requests = transport->requests();
  ASSERT_EQ(requests.size(), 4U);
  EXPECT_EQ(requests[1].url, status_url);
  EXPECT_EQ(requests[1].method, "GET");
  EXPECT_EQ(requests[3].url, std::string(k_endpoint) + k_rg + "?api-version=2022-09-01");
  EXPECT_EQ(clock->sleeps(), (std::vector<milliseconds>{seconds(3), seconds(2)}));
}

// Given an operation that ends Failed, expect an error carrying the operation's code/message.
TEST_F(ArmClientTest, AsyncOperationFailureCarriesItsError) {
  transport->push(answer(202, "", {{"Azure-AsyncOperation", std::string(k_endpoint) + "/op/2"}}));
  transport->push(answer(
      200,
      R"({"status":"Failed","error":{"code":"InUseSubnetCannotBeDeleted","message":"in use"}})"));
  ArmRequest request = get_group();
  request.method = "DELETE";
  const auto response = make_client(true).send_and_wait(request);
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().kind, ArmErrorKind::service);
  EXPECT_EQ(response.error().code, "InUseSubnetCannotBeDeleted");
  EXPECT_NE(response.error().message.find("ended Failed: in use"), std::string::npos);
}

// Given a Location-only DELETE answered 202 twice then 200, expect success after three polls;
// Retry-After: 0 polls at the 200 ms floor, not in a tight loop.
TEST_F(ArmClientTest, LocationPolledUntilNot202) {
  transport->push(
      answer(202, "", {{"Location", std::string(k_endpoint) + "/loc/3"}, {"Retry-After", "0"}}));
  transport->push(answer(202, ""));
  transport->push(answer(202, ""));
  transport->push(answer(200, ""));
  ArmRequest request = get_group();
  request.method = "DELETE";
  ASSERT_TRUE(make_client(true).send_and_wait(request).has_value());
  EXPECT_EQ(transport->requests().size(), 4U);
  EXPECT_EQ(clock->sleeps(),
            (std::vector<milliseconds>{milliseconds(200), seconds(2), seconds(2)}));
}

// Given an operation forever InProgress and a 60 s wait bound, expect a timeout naming
// CE_AZURE_WAIT_TIMEOUT after about 30 polls, and no poll past the bound.
TEST_F(ArmClientTest, AsyncOperationTimesOutAtWaitTimeout) {
  transport->push(answer(201, "{}", {{"Azure-AsyncOperation", std::string(k_endpoint) + "/op/4"}}));
  transport->set_handler(
      [](const FakeHttpTransport::Request&) { return answer(200, R"({"status":"InProgress"})"); });
  const auto start = clock->steady_now();
  const auto response = make_client(true).send_and_wait(put_group());
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().kind, ArmErrorKind::timeout);
  EXPECT_NE(response.error().message.find("CE_AZURE_WAIT_TIMEOUT=60 s"), std::string::npos)
      << response.error().message;
  EXPECT_EQ(clock->steady_now() - start, seconds(60));
  EXPECT_EQ(transport->requests().size(), 31U);
}

// Given a phase deadline 5 s away and a poll interval of 30 s, expect the wait cut to the
// deadline and a timeout naming CE_AZURE_COMMAND_TIMEOUT.
TEST_F(ArmClientTest, AsyncOperationStopsAtTheDeadline) {
  deadline->arm_phase(clock->steady_now() + seconds(5), seconds(5));
  transport->push(
      answer(201, "{}",
             {{"Azure-AsyncOperation", std::string(k_endpoint) + "/op/5"}, {"Retry-After", "30"}}));
  transport->set_handler(
      [](const FakeHttpTransport::Request&) { return answer(200, R"({"status":"InProgress"})"); });
  const auto response = make_client(true).send_and_wait(put_group());
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().kind, ArmErrorKind::timeout);
  EXPECT_NE(response.error().message.find("CE_AZURE_COMMAND_TIMEOUT=5 s"), std::string::npos)
      << response.error().message;
  EXPECT_EQ(clock->sleeps(), (std::vector<milliseconds>{seconds(5)}));
  EXPECT_EQ(transport->requests().size(), 1U);
}

// Given a deadline already passed, expect nothing sent and a timeout error.
TEST_F(ArmClientTest, NothingSentAfterTheDeadline) {
  deadline->arm_hard(clock->steady_now(), seconds(9));
  const auto response = make_client(false).send(get_group());
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().kind, ArmErrorKind::timeout);
  EXPECT_NE(response.error().message.find("CE_JANITOR_TIMEOUT=9 s"), std::string::npos);
  EXPECT_TRUE(transport->requests().empty());
}

// Given status URLs on another host, another port or another scheme (a hostile endpoint
// redirecting our bearer token), expect bad_answer and nothing sent there.
TEST_F(ArmClientTest, PollUrlOnAnotherOriginIsRefused) {
  for (const char* url : {"http://evil.example:8/op", "http://127.0.0.1:9/op",
                          "https://127.0.0.1:8/op", "http://user@127.0.0.1:8/op"}) {
    transport->push(answer(201, "{}", {{"Azure-AsyncOperation", url}}));
    const auto response = make_client(true).send_and_wait(put_group());
    ASSERT_FALSE(response.has_value()) << url;
    EXPECT_EQ(response.error().kind, ArmErrorKind::bad_answer) << url;
  }
  for (const auto& request : transport->requests()) {
    EXPECT_TRUE(request.url.starts_with(std::string(k_endpoint) + "/subscriptions/"));
  }
  EXPECT_EQ(transport->requests().size(), 4U);
}

// Given two pages, expect the values of both collected.
TEST_F(ArmClientTest, ListFollowsNextLink) {
  transport->push(answer(200, R"({"value":[{"n":1},{"n":2}],"nextLink":"http://127.0.0.1:8/p2"})"));
  transport->push(answer(200, R"({"value":[{"n":3}]})"));
  const auto items = make_client(false).list(get_group());
  ASSERT_TRUE(items.has_value()) << items.error().describe();
  ASSERT_EQ(items->size(), 3U);
  EXPECT_EQ(items->at(2)["n"], 3);
  EXPECT_EQ(transport->requests().at(1).url, "http://127.0.0.1:8/p2");
}

// Given nextLinks alternating between two pages, expect bad_answer at the first repeat.
TEST_F(ArmClientTest, ListRefusesARepeatedNextLink) {
  int page = 0;
  transport->set_handler([&page](const FakeHttpTransport::Request&) {
    return answer(200, std::string(R"({"value":[],"nextLink":"http://127.0.0.1:8/p)") +
                           (page++ % 2 == 0 ? "A" : "B") + "\"}");
  });
  const auto items = make_client(false).list(get_group());
  ASSERT_FALSE(items.has_value());
  EXPECT_EQ(items.error().kind, ArmErrorKind::bad_answer);
  EXPECT_EQ(transport->requests().size(), 3U);
}

// Given an endless series of distinct nextLinks, expect bad_answer at 1000 pages.
TEST_F(ArmClientTest, ListStopsAtThePageBound) {
  int page = 0;
  transport->set_handler([&page](const FakeHttpTransport::Request&) {
    return answer(
        200, R"({"value":[],"nextLink":"http://127.0.0.1:8/p)" + std::to_string(page++) + "\"}");
  });
  const auto items = make_client(false).list(get_group());
  ASSERT_FALSE(items.has_value());
  EXPECT_EQ(items.error().kind, ArmErrorKind::bad_answer);
  EXPECT_EQ(transport->requests().size(), 1000U);
}

// Given a nextLink on another host, expect bad_answer and nothing sent there.
TEST_F(ArmClientTest, ListRefusesAForeignNextLink) {
  transport->push(answer(200, R"({"value":[],"nextLink":"https://elsewhere.example/p2"})"));
  const auto items = make_client(false).list(get_group());
  ASSERT_FALSE(items.has_value());
  EXPECT_EQ(items.error().kind, ArmErrorKind::bad_answer);
  EXPECT_EQ(transport->requests().size(), 1U);
}

// Given a 401, expect one token refresh and one more try; a second 401 is final.
TEST_F(ArmClientTest, Unauthorized401RefreshesTheTokenOnce) {
  transport->push(answer(401, R"({"error":{"code":"ExpiredAuthenticationToken","message":"x"}})"));
  transport->push(answer(200, "{}"));
  const ArmClient client = make_client(false);
  ASSERT_TRUE(client.send(get_group()).has_value());
  EXPECT_EQ(refreshes, 1);
  const auto requests = transport->requests();
  ASSERT_EQ(requests.size(), 2U);
  EXPECT_EQ(find_header(requests[1].headers, "Authorization"),
            std::string("Bearer ") + k_canary_token + "1");

  transport->push(answer(401, "{}"));
  transport->push(answer(401, "{}"));
  const auto denied = client.send(get_group());
  ASSERT_FALSE(denied.has_value());
  EXPECT_EQ(denied.error().kind, ArmErrorKind::auth);
  EXPECT_EQ(refreshes, 2);
  EXPECT_EQ(transport->requests().size(), 4U);
}

// Given a token source that fails with a usage error (no credentials), expect an auth error
// that keeps exit code 2, and nothing sent.
TEST_F(ArmClientTest, TokenSourceFailureKeepsItsExitCode) {
  ArmClientOptions options;
  options.endpoint = k_endpoint;
  const ArmClient client(options, ArmClientDeps{transport,
                                                []() -> Expected<std::string> {
                                                  return fail(ExitCode::usage,
                                                              "azure: no credentials (tried: x)");
                                                },
                                                clock, nullptr, nullptr});
  const auto response = client.send(get_group());
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().kind, ArmErrorKind::auth);
  EXPECT_EQ(response.error().to_error().code, ExitCode::usage);
  EXPECT_NE(response.error().describe().find("azure: no credentials"), std::string::npos);
  EXPECT_TRUE(transport->requests().empty());
}

// Given debug logging and answers that echo the bearer token (in an error message, in an
// operation error, in a malformed body), expect the token in no error and no log line, while
// the request line and the rate-limit headers are logged.
TEST_F(ArmClientTest, CanaryTokenNeverInErrorsOrLogs) {
  const std::string token = std::string(k_canary_token) + "0";
  transport->push(
      answer(429, R"({"error":{"code":"T","message":"you sent )" + token + "\"}}",
             {{"Retry-After", "1"}, {"x-ms-ratelimit-remaining-subscription-writes", "1199"}}));
  transport->push(
      answer(400, R"({"error":{"code":")" + token + R"(","message":")" + token + "\"}}"));
  transport->push(answer(200, "not json " + token));
  transport->push(answer(201, "{}", {{"Azure-AsyncOperation", std::string(k_endpoint) + "/op"}}));
  transport->push(
      answer(200, R"({"status":"Failed","error":{"code":"C","message":")" + token + "\"}}"));
  ::testing::internal::CaptureStderr();
  std::string errors;
  const ArmClient client = make_client(true, 2, /*debug_log=*/true);
  for (int i = 0; i < 2; ++i) {
    const auto response = client.send(put_group());
    ASSERT_FALSE(response.has_value());
    errors += response.error().describe() + response.error().to_error().message;
  }
  const auto waited = client.send_and_wait(put_group());
  ASSERT_FALSE(waited.has_value());
  errors += waited.error().describe();
  const std::string logged = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(errors.find(k_canary_token), std::string::npos) << errors;
  EXPECT_EQ(logged.find(k_canary_token), std::string::npos) << logged;
  EXPECT_NE(logged.find("azure PUT http://127.0.0.1:8/subscriptions/"), std::string::npos)
      << logged;
  EXPECT_NE(logged.find("1199"), std::string::npos) << logged;
  EXPECT_NE(errors.find("<redacted>"), std::string::npos) << errors;
}

TEST(ArmOperationName, TypeAndNameOfThePath) {
  EXPECT_EQ(operation_name("PUT", k_rg), "PUT resourceGroups/rg");
  EXPECT_EQ(operation_name("POST",
                           "/subscriptions/s/resourceGroups/rg/providers/"
                           "Microsoft.Compute/virtualMachines/vm/powerOff"),
            "POST virtualMachines/vm/powerOff");
  EXPECT_EQ(operation_name("GET", "/subscriptions"), "GET subscriptions");
}

}  // namespace
}  // namespace labctl::providers::azure
