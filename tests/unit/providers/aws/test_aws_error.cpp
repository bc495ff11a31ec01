#include "providers/aws/aws_error.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/text.hpp"

namespace labctl::providers::aws {
namespace {

std::string error_body(const std::string& code, const std::string& message) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>" + code +
         "</Code><Message>" + message +
         "</Message></Error></Errors>"
         "<RequestID>ea966190-f9aa-478e-9ede-example</RequestID></Response>";
}

TEST(AwsError, ParsesCodeMessageAndRequestId) {
  const AwsError error = parse_error_response(
      "RunInstances", "us-east-1", 400,
      error_body("InvalidParameterValue", "Value (x) for parameter instanceType is invalid."));
  EXPECT_EQ(error.kind, AwsErrorKind::service);
  EXPECT_FALSE(error.retryable);
  EXPECT_EQ(error.code, "InvalidParameterValue");
  EXPECT_EQ(error.request_id, "ea966190-f9aa-478e-9ede-example");
  EXPECT_EQ(error.describe(),
            "aws ec2 RunInstances (us-east-1): HTTP 400 InvalidParameterValue: Value (x) for "
            "parameter instanceType is invalid. (request id ea966190-f9aa-478e-9ede-example)");
  EXPECT_EQ(error.to_error().code, ExitCode::provider);
}

TEST(AwsError, ClassifiesThrottlingAuthAndServerErrors) {
  const auto throttled =
      parse_error_response("DescribeInstances", "eu-west-1", 503,
                           error_body("RequestLimitExceeded", "Request limit exceeded."));
  EXPECT_EQ(throttled.kind, AwsErrorKind::throttled);
  EXPECT_TRUE(throttled.retryable);
  const auto auth =
      parse_error_response("RunInstances", "eu-west-1", 403,
                           error_body("UnauthorizedOperation", "You are not authorized."));
  EXPECT_EQ(auth.kind, AwsErrorKind::auth);
  EXPECT_FALSE(auth.retryable);
  const auto server = parse_error_response("RunInstances", "eu-west-1", 500,
                                           error_body("InternalError", "An internal error."));
  EXPECT_EQ(server.kind, AwsErrorKind::service);
  EXPECT_TRUE(server.retryable);
  const auto dependency = parse_error_response("DeleteSecurityGroup", "eu-west-1", 400,
                                               error_body("DependencyViolation", "in use"));
  EXPECT_FALSE(dependency.retryable);
  // Found by fuzz_aws_error: a 5xx carrying an auth code is still the endpoint's failure.
  const auto gateway = parse_error_response("RunInstances", "eu-west-1", 504,
                                            error_body("UnauthorizedOperation", "no"));
  EXPECT_TRUE(gateway.retryable);
}

// Given a non-XML body (a proxy's HTML page), expect an error that still has the status.
TEST(AwsError, UnparseableBodyKeepsStatus) {
  const auto error = parse_error_response("DescribeRegions", "us-east-1", 502, "<html>bad gateway");
  EXPECT_EQ(error.http_status, 502);
  EXPECT_TRUE(error.retryable);
  EXPECT_NE(error.describe().find("HTTP 502 error: unparseable error response"), std::string::npos);
}

TEST(AwsError, BareForbiddenIsAuth) {
  EXPECT_EQ(parse_error_response("X", "r", 403, "").kind, AwsErrorKind::auth);
  EXPECT_EQ(parse_error_response("X", "r", 404, "").kind, AwsErrorKind::service);
}

TEST(AwsError, TransportErrorsRetryOnlyTimeoutsAndResets) {
  const auto timeout = from_transport_error("X", "r", {TransportErrorKind::timeout, "slow"});
  EXPECT_EQ(timeout.kind, AwsErrorKind::timeout);
  EXPECT_TRUE(timeout.retryable);
  const auto reset = from_transport_error("X", "r", {TransportErrorKind::connection_reset, "gone"});
  EXPECT_EQ(reset.kind, AwsErrorKind::transport);
  EXPECT_TRUE(reset.retryable);
  const auto refused = from_transport_error("X", "r", {TransportErrorKind::transport, "refused"});
  EXPECT_FALSE(refused.retryable);
  AwsError retried = timeout;
  retried.attempts = 5;
  EXPECT_EQ(retried.describe(), "aws ec2 X (r): timeout: slow after 5 attempts");
}

TEST(AwsError, RefusedExitsWithRefusedCode) {
  AwsError error;
  error.kind = AwsErrorKind::refused;
  EXPECT_EQ(error.to_error().code, ExitCode::refused);
}

// Given error texts that are not UTF-8 (in Code, Message and RequestID) with a terminal escape,
// expect every field valid UTF-8 with the escape made visible, and the whole error serialisable
// by nlohmann's default (throwing) dump.
TEST(AwsError, EndpointBytesBecomePrintableUtf8) {
  const std::string bad = "\xff\xfe\x80\xc3(";
  const AwsError error = parse_error_response(
      "TerminateInstances", "us-east-1", 400,
      "<Response><Errors><Error><Code>Bad" + bad + "</Code><Message>Value " + bad +
          " \x1b[31mred</Message></Error></Errors><RequestID>r-" + bad + "</RequestID></Response>");
  for (const auto& field : {error.code, error.message, error.request_id, error.describe()}) {
    EXPECT_TRUE(::labctl::text::is_valid_utf8(field)) << field;
    EXPECT_EQ(field.find('\x1b'), std::string::npos) << field;
  }
  EXPECT_NE(error.message.find("\\x1b"), std::string::npos) << error.message;
  const nlohmann::json serialised{{"error", error.describe()}};
  EXPECT_NO_THROW((void)serialised.dump());
}

// Given a megabyte-long Message, expect the error to keep a bounded prefix.
TEST(AwsError, LongMessageIsBounded) {
  const AwsError error = parse_error_response(
      "RunInstances", "us-east-1", 400,
      "<Response><Errors><Error><Code>" + std::string(10000, 'C') + "</Code><Message>" +
          std::string(1 << 20, 'm') + "</Message></Error></Errors></Response>");
  EXPECT_LE(error.message.size(), 1024U + 3U);
  EXPECT_LE(error.code.size(), 128U + 3U);
}

// Given a transport failure whose text is not UTF-8, expect valid UTF-8.
TEST(AwsError, TransportTextBecomesUtf8) {
  const AwsError error = from_transport_error(
      "DescribeTags", "us-east-1", TransportError{TransportErrorKind::timeout, "host \xff\xfe"});
  EXPECT_TRUE(::labctl::text::is_valid_utf8(error.message)) << error.message;
}

}  // namespace
}  // namespace labctl::providers::aws
