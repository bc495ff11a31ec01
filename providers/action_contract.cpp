#include "providers/action_contract.hpp"

#include "core/json_io.hpp"
#include "core/json_schema.hpp"
#include "core/run_id.hpp"
#include "core/tags.hpp"
#include "core/text.hpp"
#include "providers/embedded_request_schema.hpp"
#include "providers/embedded_result_schema.hpp"

namespace labctl::providers {
namespace {

// C0 controls, DEL and the C1 controls (U+0080..U+009F, UTF-8 C2 80..C2 9F): bytes that would
// forge a table row, a log line or a terminal escape when the key is printed.
bool has_control_character(std::string_view text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte < 0x20 || byte == 0x7F) return true;
    if (byte == 0xC2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
        static_cast<unsigned char>(text[i + 1]) <= 0x9F) {
      return true;
    }
  }
  return false;
}

}  // namespace

Expected<RequestParser> RequestParser::create() {
  auto schema = json_schema::SchemaValidator::compile(embedded::k_executor_request_schema);
  if (!schema) return std::unexpected(schema.error());
  return RequestParser(std::move(*schema));
}

Expected<ActionRequest> RequestParser::parse(const nlohmann::json& document) {
  const auto errors = m_schema.validate(document);
  if (!errors.empty()) {
    std::string message =
        "ExecuteActionRequest does not match schemas/executor-request.schema.json:";
    for (const auto& e : errors) message += "\n  - " + e.path + ": " + e.reason;
    return fail(ExitCode::usage, message);
  }
  // The schema held: every access below finds the key and the type it names.
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
  if (request.action == k_assign && !request.parameters.contains("ownershipEpoch")) {
    return fail(ExitCode::usage,
                "ExecuteActionRequest: " + request.action +
                    " needs spec.parameters.ownershipEpoch (a non-negative integer; without it "
                    "a stale capture could not be fenced — plan it with `labctl action plan`)");
  }
  if (has_control_character(request.idempotency_key) ||
      has_control_character(request.provider_ref)) {
    return fail(ExitCode::usage,
                "ExecuteActionRequest: spec.idempotencyKey and "
                "spec.providerRef must not contain control characters");
  }
  return request;
}

Expected<ActionRequest> parse_request(const nlohmann::json& document) {
  auto parser = RequestParser::create();
  if (!parser) return std::unexpected(parser.error());
  return parser->parse(document);
}

Expected<ActionRequest> read_request(std::string_view text, std::string_view what) {
  auto document = json_io::parse(text, what);
  if (!document) return std::unexpected(document.error());
  auto request = parse_request(*document);
  if (!request)
    return fail(request.error().code, std::string(what) + ": " + request.error().message);
  return request;
}

Expected<ActionPlan> read_plan(std::string_view text, std::string_view what) {
  const std::string name(what);
  auto document = json_io::parse(text, what);
  if (!document) return std::unexpected(document.error());
  auto parser = RequestParser::create();
  if (!parser) return std::unexpected(parser.error());
  const auto bad = [&](const std::string& why) { return fail(ExitCode::usage, name + ": " + why); };
  if (!document->is_object()) {
    return bad(
        "expected an ActionPlan ({\"kind\":\"ActionPlan\",\"actions\":[...]}, as `labctl "
        "action plan` writes) or one ExecuteActionRequest");
  }
  const auto kind = document->find("kind");
  if (kind != document->end() && *kind == "ExecuteActionRequest") {
    auto one = parser->parse(*document);
    if (!one) return bad(one.error().message);
    ActionPlan plan{one->context.value("runId", ""), {}};
    plan.actions.push_back(std::move(*one));
    return plan;
  }
  if (kind == document->end() || *kind != "ActionPlan") {
    return bad("\"kind\" must be \"ActionPlan\" or \"ExecuteActionRequest\"");
  }
  ActionPlan plan;
  for (const auto& [key, value] : document->items()) {
    if (key == "kind") continue;
    if (key == "apiVersion") {
      if (value != k_api_version) {
        return bad("\"apiVersion\" must be \"" + std::string(k_api_version) + "\"");
      }
    } else if (key == "runId") {
      if (!value.is_string() || !is_valid_run_id(value.get<std::string>())) {
        return bad("\"runId\" must be a run id (YYYYMMDDTHHMMSSZ-cloudedge-<scenario>)");
      }
      plan.run_id = value.get<std::string>();
    } else if (key != "actions") {
      return bad("unknown key " + json_io::dump(nlohmann::json(key)) +
                 " (an ActionPlan has apiVersion, kind, runId and actions)");
    }
  }
  const auto actions = document->find("actions");
  if (actions == document->end() || !actions->is_array()) {
    return bad("\"actions\" must be an array of ExecuteActionRequests");
  }
  if (actions->size() > k_max_plan_actions) {
    return bad(std::to_string(actions->size()) + " actions, more than the limit of " +
               std::to_string(k_max_plan_actions) + "; split the plan");
  }
  plan.actions.reserve(actions->size());
  for (std::size_t i = 0; i < actions->size(); ++i) {
    auto parsed = parser->parse((*actions)[i]);
    if (!parsed) return bad("actions[" + std::to_string(i) + "]: " + parsed.error().message);
    plan.actions.push_back(std::move(*parsed));
  }
  return plan;
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
  nlohmann::ordered_json spec{{"action", request.action}, {"provider", request.provider}};
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

Expected<std::vector<json_schema::ValidationError>> result_schema_errors(
    const nlohmann::json& document) {
  return json_schema::validate_against(embedded::k_executor_result_schema, document);
}

Outcome action_finished(std::string status, std::string message, nlohmann::json observed,
                        bool undo_available) {
  return {{std::move(status), std::move(message), std::move(observed), undo_available, ""},
          ExitCode::ok};
}

Outcome action_failed(ExitCode code, const std::string& message, nlohmann::json observed) {
  return {{"failed", message, observed.is_null() ? nlohmann::json::object() : std::move(observed),
           false, message},
          code};
}

std::optional<Outcome> mutation_fence(const ActionRequest& request) {
  if (!request.before_mutation || request.mode != k_mode_execute) return std::nullopt;
  auto reason = request.before_mutation();
  if (!reason) return std::nullopt;
  return action_failed(ExitCode::refused, "hard stop: " + *reason + "; nothing was sent");
}

std::optional<Outcome> action_tag_fence(const std::string& resource_id,
                                        const std::map<std::string, std::string>& tags,
                                        const std::string& run_id) {
  const auto tag = tags.find(k_tag_run_id);
  const std::string found = tag == tags.end() ? "" : tag->second;
  if (run_id.empty() ? is_valid_run_id(found) : found == run_id) return std::nullopt;
  return action_failed(ExitCode::refused,
                       "hard stop: " + text::printable(resource_id, 512) +
                           " is not a lab resource (its " + std::string(k_tag_run_id) + " tag is " +
                           (found.empty() ? "missing" : "'" + text::printable(found, 200) + "'") +
                           (run_id.empty() ? "" : ", want '" + run_id + "'") +
                           "); refusing to touch it");
}

Outcome action_ambiguous(const std::string& what, std::string_view noun,
                         const nlohmann::json& observed) {
  return action_failed(ExitCode::refused,
                       "hard stop: ambiguous result: " + what +
                           "; recorded as failed and not retried — inspect the " +
                           std::string(noun) + " before going on",
                       observed);
}

}  // namespace labctl::providers
