#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "labctl/error.hpp"

// routerd's provider-action executor contract (provideraction.routerd.net/v1alpha1): one
// ExecuteActionRequest in, one ExecuteActionResult out. schemas/executor-request.schema.json and
// schemas/executor-result.schema.json are its machine-readable form.
namespace labctl::executor {

inline constexpr const char* k_api_version = "provideraction.routerd.net/v1alpha1";

inline constexpr const char* k_assign = "assign-secondary-ip";
inline constexpr const char* k_unassign = "unassign-secondary-ip";
inline constexpr const char* k_forwarding_on = "ensure-forwarding-enabled";
inline constexpr const char* k_forwarding_off = "ensure-forwarding-disabled";

inline constexpr const char* k_mode_dry_run = "dry-run";
inline constexpr const char* k_mode_execute = "execute";

// For AWS: nicRef is the ENI id; address the secondary private IPv4 ("" for forwarding actions).
struct Target {
  std::string nic_ref;
  std::string address;
  std::string region;
};

struct ActionRequest {
  std::string action;
  std::string provider;
  std::string provider_ref;
  Target target;
  nlohmann::json parameters = nlohmann::json::object();
  std::string mode = k_mode_dry_run;
  std::string idempotency_key;
  nlohmann::json context = nlohmann::json::object();  // allowlisted: runId, ...
};

struct ActionResult {
  std::string status;  // succeeded | failed | skipped
  std::string message;
  nlohmann::json observed = nlohmann::json::object();
  bool undo_available = false;
  std::string error;
};

// Parses and validates a request document (the schema, then the rules it cannot say: the IP
// actions need an address). A usage error names what is wrong.
[[nodiscard]] Expected<ActionRequest> parse_request(const nlohmann::json& document);

[[nodiscard]] nlohmann::ordered_json to_json(const ActionRequest& request);
[[nodiscard]] nlohmann::ordered_json to_json(const ActionResult& result);

[[nodiscard]] nlohmann::json target_json(const Target& target);
[[nodiscard]] Target target_from_json(const nlohmann::json& target);

// The undo of `action` (assign -> unassign, forwarding on -> off); "" when it has none.
[[nodiscard]] std::string undo_action_of(const std::string& action);

}  // namespace labctl::executor
