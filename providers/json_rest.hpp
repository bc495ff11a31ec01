#pragma once

#include <chrono>
#include <cstddef>
#include <expected>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/clock.hpp"
#include "core/json_io.hpp"
#include "providers/http_transport.hpp"
#include "providers/retry.hpp"

// What the JSON REST clouds' clients (azure's ArmClient, oci's OciClient) share: the bounds on
// an answer, the shape of a failed call, reading an error answer, parsing a 2xx answer, and the
// retry decision, wait and log line. Each cloud keeps its own error kinds, names, log events and
// the fields it reads out of an error body.
namespace labctl::providers::rest {

// A list page of a thousand resources is a few MiB; 16 MiB is the documented JSON bound. The
// transport's bound adds room for the headers.
inline constexpr std::size_t k_max_answer_bytes = json_io::k_max_document_bytes;
inline constexpr std::size_t k_max_header_bytes = std::size_t{1} << 20U;
inline constexpr std::size_t k_max_response_bytes = k_max_answer_bytes + k_max_header_bytes;

// Bounds on what an error keeps of the endpoint's text: enough to diagnose, never a megabyte of
// body in a log line or a state row.
inline constexpr std::size_t k_max_code_bytes = 128;
inline constexpr std::size_t k_max_message_bytes = 1024;
inline constexpr std::size_t k_max_request_id_bytes = 128;

// One failed call. `Kind` is the cloud's own error kind enum, which has (at least) transport,
// timeout, throttled, auth, conflict, not_found, service, refused and bad_answer, and a
// to_string(Kind) beside it. "= {}" everywhere: callers may brace-initialise the leading fields
// only.
template <class Kind>
struct RestError {
  Kind kind = Kind::service;
  int http_status = 0;          // 0 when no response arrived
  std::string operation = {};   // the cloud's name for the call, e.g. "PUT virtualNetworks/v"
  std::string code = {};        // the answer's error code; "" if none
  std::string message = {};     // the answer's error message, or the transport's description
  std::string request_id = {};  // the cloud's request id header: what its support asks for
  int attempts = 1;

  // "<cloud> <operation> (HTTP 409 Code): <message> (<request_id_label> R) after 3 attempts",
  // or "(<kind>)" instead of the HTTP part when no answer arrived. Every part printable
  // (text::printable) and bounded, again: fields may have been set by code other than a parser.
  [[nodiscard]] std::string describe_as(std::string_view cloud,
                                        std::string_view request_id_label) const;
};

// The name of a cloud's error kind: "transport", "timeout", "throttled", "auth", "conflict",
// "not_found", "refused", "bad_answer", else "service" (each cloud's to_string(Kind)).
template <class Kind>
[[nodiscard]] std::string_view kind_name(Kind kind) {
  switch (kind) {
    case Kind::transport:
      return "transport";
    case Kind::timeout:
      return "timeout";
    case Kind::throttled:
      return "throttled";
    case Kind::auth:
      return "auth";
    case Kind::conflict:
      return "conflict";
    case Kind::not_found:
      return "not_found";
    case Kind::refused:
      return "refused";
    case Kind::bad_answer:
      return "bad_answer";
    case Kind::service:
      break;
  }
  return "service";
}

// The kind of a non-2xx status: 429 throttled, 401/403 auth, 409 conflict, 404 not_found, else
// service.
template <class Kind>
[[nodiscard]] Kind kind_of_status(long http_status) {
  if (http_status == 429) return Kind::throttled;
  if (http_status == 401 || http_status == 403) return Kind::auth;
  if (http_status == 409) return Kind::conflict;
  if (http_status == 404) return Kind::not_found;
  return Kind::service;
}

// The code and message of an error body, as one cloud's shape holds them ("" when absent).
struct ErrorFields {
  std::string code;
  std::string message;
};
// Reads ErrorFields out of a parsed error body (any JSON value: hostile, maybe not an object).
using ErrorFieldsReader = std::function<ErrorFields(const nlohmann::json&)>;

// How a cloud's error answer is read: the parser's name for the body ("oci error answer"), the
// request id header, and where code and message sit in the body.
struct ErrorAnswerShape {
  std::string_view what;
  std::string_view request_id_header;
  ErrorFieldsReader read_fields;
};

// Fills `error` from a non-2xx answer: http_status, kind (kind_of_status), code and message
// (shape.read_fields over the body repaired to UTF-8, U+FFFD, so hostile bytes cannot hide the
// fields, parsed with json_io's bounds; a body that is not JSON gives neither) and request_id.
// Every text printable and bounded (k_max_code_bytes, ..., k_max_request_id_bytes); no message
// reads "no error message in the answer (N bytes)".
template <class Kind>
void read_error_answer(RestError<Kind>& error, long http_status, const HttpHeaders& headers,
                       std::string_view body, const ErrorAnswerShape& shape);

// The body of a 2xx answer: null when blank (spaces, tabs, CR, LF), else its JSON, parsed within
// k_max_answer_bytes and json_io::k_max_depth (`what` names it for the parser). Otherwise a
// message naming the status and size, never quoting the body (it may echo anything).
[[nodiscard]] std::expected<nlohmann::json, std::string> parse_answer(long http_status,
                                                                      std::string_view body,
                                                                      std::string_view what);

// Whether a failed attempt `attempt` (1-based) is tried again: it is `retryable` (the caller's
// judgement: no answer but a timeout or reset, 429, 5xx), the policy allows it (throttling_only
// retries `throttled` alone) and attempts remain.
[[nodiscard]] bool should_retry(const RetryPolicy& policy, bool retryable, bool throttled,
                                int attempt);

// The wait before retry `attempt`: the policy's backoff for `unit_random` in [0, 1); when
// `throttled_answer` (the headers of a 429; null otherwise) carries Retry-After, that instead,
// capped at the policy's cap; never past `deadline` (0 when it has passed).
[[nodiscard]] std::chrono::milliseconds retry_delay(
    const RetryPolicy& policy, int attempt, double unit_random, const HttpHeaders* throttled_answer,
    std::optional<std::chrono::steady_clock::time_point> deadline, const Clock& clock);

// `source()` when set, else a draw from a per-thread seeded engine: [0, 1) for backoff jitter.
[[nodiscard]] double unit_random(const std::function<double()>& source);

// The warn line `event` ("azure.retry") before a retry: "<described>; retrying in D ms (retry
// n of m)", with fields operation, kind, code, attempt, delay_ms.
void log_retry(std::string_view event, const std::string& described, const std::string& operation,
               std::string_view kind, const std::string& code, int attempt,
               const RetryPolicy& policy, std::chrono::milliseconds delay);

// log_retry for a cloud's error `failure` (a RestError<Kind> with describe()).
template <class Error>
void log_retry(std::string_view event, const Error& failure, const RetryPolicy& policy,
               std::chrono::milliseconds delay) {
  log_retry(event, failure.describe(), failure.operation, to_string(failure.kind), failure.code,
            failure.attempts, policy, delay);
}

// The non-template parts of RestError::describe_as and read_error_answer.
[[nodiscard]] std::string describe_error(std::string_view cloud, std::string_view operation,
                                         int http_status, std::string_view code,
                                         std::string_view kind, std::string_view message,
                                         std::string_view request_id_label,
                                         std::string_view request_id, int attempts);
struct ErrorAnswer {
  std::string code;
  std::string message;
  std::string request_id;
};
[[nodiscard]] ErrorAnswer read_error_answer(const HttpHeaders& headers, std::string_view body,
                                            const ErrorAnswerShape& shape);

template <class Kind>
std::string RestError<Kind>::describe_as(std::string_view cloud,
                                         std::string_view request_id_label) const {
  return describe_error(cloud, operation, http_status, code, to_string(kind), message,
                        request_id_label, request_id, attempts);
}

template <class Kind>
void read_error_answer(RestError<Kind>& error, long http_status, const HttpHeaders& headers,
                       std::string_view body, const ErrorAnswerShape& shape) {
  error.http_status = static_cast<int>(http_status);
  error.kind = kind_of_status<Kind>(http_status);
  ErrorAnswer answer = read_error_answer(headers, body, shape);
  error.code = std::move(answer.code);
  error.message = std::move(answer.message);
  error.request_id = std::move(answer.request_id);
}

}  // namespace labctl::providers::rest
