#include <nlohmann/json.hpp>

#include "core/json_io.hpp"
#include "core/text.hpp"
#include "providers/azure/arm_client.hpp"
#include "providers/azure/arm_view.hpp"

namespace labctl::providers::azure {

namespace {

// Bounds on what an error keeps of the endpoint's text: enough to diagnose, never a megabyte
// of body in a log line or a state row.
constexpr std::size_t k_max_code_bytes = 128;
constexpr std::size_t k_max_message_bytes = 1024;
constexpr std::size_t k_max_request_id_bytes = 128;

}  // namespace

std::string_view to_string(ArmErrorKind kind) {
  switch (kind) {
    case ArmErrorKind::transport:
      return "transport";
    case ArmErrorKind::timeout:
      return "timeout";
    case ArmErrorKind::throttled:
      return "throttled";
    case ArmErrorKind::auth:
      return "auth";
    case ArmErrorKind::conflict:
      return "conflict";
    case ArmErrorKind::not_found:
      return "not_found";
    case ArmErrorKind::refused:
      return "refused";
    case ArmErrorKind::bad_answer:
      return "bad_answer";
    case ArmErrorKind::service:
      break;
  }
  return "service";
}

std::string ArmError::describe() const {
  // Printable again here: fields may have been set by code other than the parser.
  std::string text = "azure " + ::labctl::text::printable(operation, 256);
  if (http_status != 0) {
    text +=
        " (HTTP " + std::to_string(http_status) +
        (code.empty() ? std::string() : " " + ::labctl::text::printable(code, k_max_code_bytes)) +
        ")";
  } else {
    text += " (" + std::string(to_string(kind)) + ")";
  }
  text += ": " + ::labctl::text::printable(message, k_max_message_bytes + 512);
  if (!request_id.empty()) {
    text += " (request id " + ::labctl::text::printable(request_id, k_max_request_id_bytes) + ")";
  }
  if (attempts > 1) text += " after " + std::to_string(attempts) + " attempts";
  return text;
}

Error ArmError::to_error() const {
  if (kind == ArmErrorKind::refused) return Error{ExitCode::refused, describe()};
  return Error{exit_code.value_or(ExitCode::provider), describe()};
}

ArmError parse_arm_error(std::string operation, long http_status, const HttpHeaders& headers,
                         std::string_view body) {
  ArmError error;
  error.operation = std::move(operation);
  error.http_status = static_cast<int>(http_status);
  if (http_status == 429) {
    error.kind = ArmErrorKind::throttled;
  } else if (http_status == 401 || http_status == 403) {
    error.kind = ArmErrorKind::auth;
  } else if (http_status == 409) {
    error.kind = ArmErrorKind::conflict;
  } else if (http_status == 404) {
    error.kind = ArmErrorKind::not_found;
  } else {
    error.kind = ArmErrorKind::service;
  }
  // Ill-formed UTF-8 would make the whole document unparseable: read it repaired (U+FFFD).
  // Bounded in size and depth like every answer; unparseable: no code, no message.
  const auto json = json_io::parse(::labctl::text::to_utf8(body), "azure error answer")
                        .value_or(nlohmann::json());
  std::string code;
  std::string message;
  if (json.is_object()) {
    const auto inner = json.find("error");
    if (inner != json.end() && inner->is_object()) {
      code = fields::text_at(*inner, "code");
      message = fields::text_at(*inner, "message");
    } else if (inner != json.end() && inner->is_string()) {
      code = inner->get<std::string>();
      message = fields::text_at(json, "error_description");
    } else {
      code = fields::text_at(json, "code");
      message = fields::text_at(json, "message");
    }
  }
  error.code = ::labctl::text::printable(code, k_max_code_bytes);
  error.message = message.empty()
                      ? "no error message in the answer (" + std::to_string(body.size()) + " bytes)"
                      : ::labctl::text::printable(message, k_max_message_bytes);
  if (const auto id = find_header(headers, "x-ms-request-id")) {
    error.request_id = ::labctl::text::printable(*id, k_max_request_id_bytes);
  }
  return error;
}

}  // namespace labctl::providers::azure
