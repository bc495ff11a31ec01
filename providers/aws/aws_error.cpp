#include "providers/aws/aws_error.hpp"

#include <algorithm>
#include <array>

#include "core/text.hpp"
#include "providers/aws/xml.hpp"

namespace labctl::providers::aws {

namespace {

// Bounds on what an error keeps of the endpoint's text: enough to diagnose, never a megabyte of
// body in a log line or a state row.
constexpr std::size_t k_max_code_bytes = 128;
constexpr std::size_t k_max_message_bytes = 1024;
constexpr std::size_t k_max_request_id_bytes = 128;

constexpr std::array<std::string_view, 8> k_throttling_codes = {
    "RequestLimitExceeded",      "Throttling",       "ThrottlingException",
    "ThrottledException",        "RequestThrottled", "TooManyRequestsException",
    "RequestThrottledException", "SlowDown"};

constexpr std::array<std::string_view, 9> k_auth_codes = {
    "AuthFailure",  "UnauthorizedOperation", "InvalidClientTokenId",       "SignatureDoesNotMatch",
    "ExpiredToken", "RequestExpired",        "MissingAuthenticationToken", "IncompleteSignature",
    "OptInRequired"};

}  // namespace

std::string_view to_string(AwsErrorKind kind) {
  switch (kind) {
    case AwsErrorKind::transport:
      return "transport";
    case AwsErrorKind::timeout:
      return "timeout";
    case AwsErrorKind::throttled:
      return "throttled";
    case AwsErrorKind::auth:
      return "auth";
    case AwsErrorKind::refused:
      return "refused";
    case AwsErrorKind::service:
      break;
  }
  return "service";
}

bool is_throttling_code(std::string_view code) {
  return std::ranges::find(k_throttling_codes, code) != k_throttling_codes.end();
}

bool is_auth_code(std::string_view code) {
  return std::ranges::find(k_auth_codes, code) != k_auth_codes.end();
}

std::string AwsError::describe() const {
  std::string text = "aws ec2 " + action + " (" + region + "): ";
  if (http_status != 0) {
    text += "HTTP " + std::to_string(http_status) + " " + (code.empty() ? "error" : code) + ": " +
            message;
  } else {
    text += std::string(to_string(kind)) + ": " + message;
  }
  if (!request_id.empty()) text += " (request id " + request_id + ")";
  if (attempts > 1) text += " after " + std::to_string(attempts) + " attempts";
  return text;
}

Error AwsError::to_error() const {
  return Error{kind == AwsErrorKind::refused ? ExitCode::refused : ExitCode::provider, describe()};
}

AwsError parse_error_response(std::string_view action, std::string_view region, long http_status,
                              std::string_view body) {
  AwsError error;
  error.action = action;
  error.region = region;
  error.http_status = static_cast<int>(http_status);
  pugi::xml_document doc;
  if (doc.load_buffer(body.data(), body.size())) {
    const pugi::xml_node root = doc.document_element();
    const pugi::xml_node first = root.first_element_by_path("Errors/Error");
    // Printable at the edge: the endpoint's bytes may be anything (not UTF-8, control
    // characters, megabytes), and these texts end up in logs, JSON and the state.
    error.code = ::labctl::text::printable(first.child_value("Code"), k_max_code_bytes);
    error.message = ::labctl::text::printable(first.child_value("Message"), k_max_message_bytes);
    error.request_id = ::labctl::text::printable(
        text_of_any(root, {"RequestID", "RequestId", "requestId"}), k_max_request_id_bytes);
  }
  if (error.message.empty()) {
    error.message = "unparseable error response (" + std::to_string(body.size()) + " bytes)";
  }
  if (is_throttling_code(error.code) || http_status == 429) {
    error.kind = AwsErrorKind::throttled;
    error.retryable = true;
  } else if (is_auth_code(error.code) ||
             (error.code.empty() && (http_status == 401 || http_status == 403))) {
    error.kind = AwsErrorKind::auth;
  } else {
    error.kind = AwsErrorKind::service;
  }
  // A 5xx is the endpoint's failure whatever its body claims (a gateway's page may carry any
  // code, found by fuzz_aws_error: 504 with UnauthorizedOperation): always worth another try.
  if (http_status >= 500) error.retryable = true;
  return error;
}

AwsError from_transport_error(std::string_view action, std::string_view region,
                              const TransportError& transport) {
  AwsError error;
  error.action = action;
  error.region = region;
  error.message = ::labctl::text::printable(transport.message, k_max_message_bytes);
  error.kind = transport.kind == TransportErrorKind::timeout ? AwsErrorKind::timeout
                                                             : AwsErrorKind::transport;
  error.retryable = transport.kind != TransportErrorKind::transport;
  if (transport.kind == TransportErrorKind::connection_reset) {
    error.message = "connection reset: " + error.message;
  }
  return error;
}

}  // namespace labctl::providers::aws
