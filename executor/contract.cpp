#include "executor/contract.hpp"

#include "evidence/validate.hpp"
#include "executor/embedded_request_schema.hpp"
#include "executor/embedded_result_schema.hpp"

namespace labctl::executor {

Expected<ActionRequest> parse_request(const nlohmann::json& document) {
  auto errors = evidence::validate_against(evidence::embedded::k_executor_request_schema, document);
  if (!errors) return std::unexpected(errors.error());
  if (!errors->empty()) {
    std::string message = "ExecuteActionRequest does not match schemas/executor-request.schema.json:";
    for (const auto& e : *errors) message += "\n  - " + e.path + ": " + e.reason;
    return fail(ExitCode::usage, message);
  }
  const auto& spec = document.at("spec");
  ActionRequest request;
  request.action = spec.at("action").get<std::string>();
  request.provider = spec.at("provider").get<std::string>();
  request.provider_ref = spec.value("providerRef", "");
  request.target = target_from_json(spec.at("target"));
  request.parameters = spec.value("parameters", nlohmann::json::object());
  request.mode = spec.at("mode").get<std::string>();
  request.idempotency_key = spec.at("idempotencyKey").get<std::string>();
  request.context = spec.value("context", nlohmann::json::object());
  const bool ip_action = request.action == k_assign || request.action == k_unassign;
  if (ip_action && request.target.address.empty()) {
    return fail(ExitCode::usage, "ExecuteActionRequest: " + request.action +
                                     " needs spec.target.address (the secondary private IPv4)");
  }
  return request;
}

nlohmann::json target_json(const Target& target) {
  nlohmann::json out{{"nicRef", target.nic_ref}, {"region", target.region}};
  if (!target.address.empty()) out["address"] = target.address;
  return out;
}

Target target_from_json(const nlohmann::json& target) {
  return {target.value("nicRef", ""), target.value("address", ""), target.value("region", "")};
}

nlohmann::ordered_json to_json(const ActionRequest& request) {
  nlohmann::ordered_json spec{{"action", request.action},
                              {"provider", request.provider}};
  if (!request.provider_ref.empty()) spec["providerRef"] = request.provider_ref;
  spec["target"] = target_json(request.target);
  spec["parameters"] = request.parameters;
  spec["mode"] = request.mode;
  spec["idempotencyKey"] = request.idempotency_key;
  if (!request.context.empty()) spec["context"] = request.context;
  return {{"apiVersion", k_api_version}, {"kind", "ExecuteActionRequest"}, {"spec", spec}};
}

nlohmann::ordered_json to_json(const ActionResult& result) {
  nlohmann::ordered_json status{{"status", result.status}};
  if (!result.message.empty()) status["message"] = result.message;
  status["observed"] = result.observed;
  status["undoAvailable"] = result.undo_available;
  if (!result.error.empty()) status["error"] = result.error;
  return {{"apiVersion", k_api_version}, {"kind", "ExecuteActionResult"}, {"status", status}};
}

std::string undo_action_of(const std::string& action) {
  if (action == k_assign) return k_unassign;
  if (action == k_forwarding_on) return k_forwarding_off;
  return "";
}

}  // namespace labctl::executor
