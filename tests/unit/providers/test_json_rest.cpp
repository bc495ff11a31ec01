#include "providers/json_rest.hpp"

#include <gtest/gtest.h>

#include "core/json_fields.hpp"
#include "tests/fakes/manual_clock.hpp"

namespace labctl::providers::rest {
namespace {

using std::chrono::milliseconds;

enum class Kind {
  transport,
  timeout,
  throttled,
  auth,
  conflict,
  not_found,
  service,
  refused,
  bad_answer
};
std::string_view to_string(Kind kind) { return kind_name(kind); }

TEST(JsonRest, BlankAnswerIsNullAndJsonIsParsed) {
  EXPECT_TRUE(parse_answer(200, " \r\n\t", "t answer")->is_null());
  EXPECT_TRUE(parse_answer(204, "", "t answer")->is_null());
  EXPECT_EQ((*parse_answer(200, R"({"a":1})", "t answer"))["a"], 1);
}

// Given an answer that is not JSON, or nested deeper than 64, expect the bounded message that
// names status and size and never quotes the body.
TEST(JsonRest, MalformedOrTooDeepAnswerIsAMessage) {
  const auto bad = parse_answer(201, "secret-echo{", "t answer");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error(),
            "HTTP 201 answer of 12 bytes is not JSON within the bounds (16 MiB, nesting depth 64)");
  const std::string deep = std::string(65, '[') + std::string(65, ']');
  EXPECT_FALSE(parse_answer(200, deep, "t answer"));
  const std::string ok = std::string(64, '[') + std::string(64, ']');
  EXPECT_TRUE(parse_answer(200, ok, "t answer"));
}

TEST(JsonRest, RetryDecision) {
  RetryPolicy policy;
  policy.max_attempts = 3;
  EXPECT_TRUE(should_retry(policy, true, false, 2));
  EXPECT_FALSE(should_retry(policy, true, false, 3));
  EXPECT_FALSE(should_retry(policy, false, true, 1));
  policy.throttling_only = true;
  EXPECT_FALSE(should_retry(policy, true, false, 1));
  EXPECT_TRUE(should_retry(policy, true, true, 1));
}

// Given a throttled answer with Retry-After, expect it (capped at the policy's cap) instead of
// the backoff; given a deadline, expect no wait past it.
TEST(JsonRest, RetryDelayFromBackoffRetryAfterAndDeadline) {
  testing::ManualClock clock;
  RetryPolicy policy{5, milliseconds(100), milliseconds(5000)};
  const HttpHeaders after{{"Retry-After", "3"}};
  EXPECT_EQ(retry_delay(policy, 3, 0.5, nullptr, std::nullopt, clock), milliseconds(200));
  EXPECT_EQ(retry_delay(policy, 3, 0.5, &after, std::nullopt, clock), milliseconds(3000));
  policy.cap = milliseconds(1000);
  EXPECT_EQ(retry_delay(policy, 3, 0.5, &after, std::nullopt, clock), milliseconds(1000));
  const auto deadline = clock.steady_now() + milliseconds(150);
  EXPECT_EQ(retry_delay(policy, 3, 0.5, &after, deadline, clock), milliseconds(150));
  clock.advance(milliseconds(500));
  EXPECT_EQ(retry_delay(policy, 3, 0.5, &after, deadline, clock), milliseconds(0));
}

// Given hostile error bodies, expect the status's kind, printable bounded fields, and the
// "no error message" text when the body holds none.
TEST(JsonRest, ErrorAnswerIsReadBoundedAndPrintable) {
  const ErrorAnswerShape shape{"t error answer", "x-req", [](const nlohmann::json& json) {
                                 return ErrorFields{::labctl::fields::text_at(json, "code"),
                                                    ::labctl::fields::text_at(json, "message")};
                               }};
  RestError<Kind> error;
  read_error_answer(error, 409,
                    {{"X-Req",
                      "r\x01"
                      "1"}},
                    R"({"code":"C\u0007","message":")" + std::string(3000, 'm') + "\"}", shape);
  EXPECT_EQ(error.kind, Kind::conflict);
  EXPECT_EQ(error.http_status, 409);
  EXPECT_EQ(error.code.find('\x07'), std::string::npos);
  EXPECT_LE(error.message.size(), k_max_message_bytes + 8);
  EXPECT_EQ(error.request_id.find('\x01'), std::string::npos);
  read_error_answer(error, 429, {}, "not json", shape);
  EXPECT_EQ(error.kind, Kind::throttled);
  EXPECT_EQ(error.message, "no error message in the answer (8 bytes)");
  EXPECT_EQ(error.request_id, "");
  EXPECT_EQ(kind_of_status<Kind>(401), Kind::auth);
  EXPECT_EQ(kind_of_status<Kind>(404), Kind::not_found);
  EXPECT_EQ(kind_of_status<Kind>(503), Kind::service);
}

TEST(JsonRest, DescribeNamesCloudStatusAndRequestId) {
  RestError<Kind> error;
  error.operation = "GET x";
  error.http_status = 409;
  error.code = "Conflict";
  error.message = "busy";
  error.request_id = "R";
  error.attempts = 3;
  EXPECT_EQ(error.describe_as("t", "req id"),
            "t GET x (HTTP 409 Conflict): busy (req id R) after 3 attempts");
  error.http_status = 0;
  error.kind = Kind::timeout;
  error.request_id.clear();
  error.attempts = 1;
  EXPECT_EQ(error.describe_as("t", "req id"), "t GET x (timeout): busy");
}

}  // namespace
}  // namespace labctl::providers::rest
