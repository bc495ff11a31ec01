#include <nlohmann/json.hpp>

#include "core/json_fields.hpp"
#include "providers/azure/arm_client.hpp"

namespace labctl::providers::azure {

std::string_view to_string(ArmErrorKind kind) { return rest::kind_name(kind); }

std::string ArmError::describe() const { return describe_as("azure", "request id"); }

Error ArmError::to_error() const {
  if (kind == ArmErrorKind::refused) return Error{ExitCode::refused, describe()};
  return Error{exit_code.value_or(ExitCode::provider), describe()};
}

ArmError parse_arm_error(std::string operation, long http_status, const HttpHeaders& headers,
                         std::string_view body) {
  ArmError error;
  error.operation = std::move(operation);
  rest::read_error_answer(
      error, http_status, headers, body,
      {"azure error answer", "x-ms-request-id", [](const nlohmann::json& json) {
         // {"error":{"code","message"}}, OAuth's {"error","error_description"}, or a top-level
         // {"code","message"}.
         rest::ErrorFields out;
         if (!json.is_object()) return out;
         const auto inner = json.find("error");
         if (inner != json.end() && inner->is_object()) {
           out = {fields::text_at(*inner, "code"), fields::text_at(*inner, "message")};
         } else if (inner != json.end() && inner->is_string()) {
           out = {inner->get<std::string>(), fields::text_at(json, "error_description")};
         } else {
           out = {fields::text_at(json, "code"), fields::text_at(json, "message")};
         }
         return out;
       }});
  return error;
}

}  // namespace labctl::providers::azure
