#pragma once

#include <string>
#include <string_view>

#include "core/error.hpp"
#include "providers/http_transport.hpp"

namespace labctl::providers::aws {

// transport: no response (refused, DNS, TLS, reset); timeout: no response in time; throttled:
// RequestLimitExceeded and friends; auth: credentials missing or rejected; service: any other
// AWS error code; refused: labctl itself declined to send (a mutating call in dry-run).
enum class AwsErrorKind { transport, timeout, throttled, auth, service, refused };

[[nodiscard]] std::string_view to_string(AwsErrorKind kind);

struct AwsError {
  AwsErrorKind kind = AwsErrorKind::service;
  int http_status = 0;  // 0 when no response arrived
  std::string action;
  std::string region;
  std::string code;     // AWS <Code>, e.g. "InvalidParameterValue"; "" for transport errors
  std::string message;  // AWS <Message>, or the transport's description
  std::string request_id;
  bool retryable = false;
  int attempts = 1;

  // "aws ec2 RunInstances (us-east-1): HTTP 400 InvalidParameterValue: <Message> (request id R)";
  // transport errors read "aws ec2 X (r): timeout: <detail>"; "after N attempts" when retried.
  [[nodiscard]] std::string describe() const;
  // As a labctl Error: refused exits 4, auth/usage-like problems and the rest exit 3.
  [[nodiscard]] Error to_error() const;
};

// Throttling codes (retryable with backoff).
[[nodiscard]] bool is_throttling_code(std::string_view code);
// Codes meaning the credentials are missing, wrong, expired or lack permission.
[[nodiscard]] bool is_auth_code(std::string_view code);

// Parses an EC2 error body (<Response><Errors><Error><Code/><Message/></Error></Errors>
// <RequestID/></Response>) and classifies it; a body that is not that shape still yields an
// error carrying the HTTP status. 5xx and throttling are retryable. Code, Message and RequestID
// come back as printable UTF-8 (text::printable), bounded (128 / 1024 / 128 bytes).
[[nodiscard]] AwsError parse_error_response(std::string_view action, std::string_view region,
                                            long http_status, std::string_view body);

// Classifies a transport failure: timeouts and connection resets are retryable.
[[nodiscard]] AwsError from_transport_error(std::string_view action, std::string_view region,
                                            const TransportError& error);

}  // namespace labctl::providers::aws
