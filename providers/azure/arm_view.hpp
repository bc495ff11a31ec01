#pragma once

#include <map>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/json_fields.hpp"
#include "providers/azure/arm_client.hpp"

// Reading what ARM answers about VMs (faults, the state judgement): every answer is hostile, so
// no shape is assumed — a member that is missing or of another type reads as null or "".
namespace labctl::providers::azure::arm_view {

using fields::member;

// The first element of object[key] when that is a non-empty array, else null.
[[nodiscard]] inline const nlohmann::json& first(const nlohmann::json& object, const char* key) {
  static const nlohmann::json k_null;
  const auto& list = member(object, key);
  return list.is_array() && !list.empty() ? list.front() : k_null;
}

// A resource's string tags (anything else an endpoint put there is left out).
[[nodiscard]] inline std::map<std::string, std::string> tags(const nlohmann::json& resource) {
  std::map<std::string, std::string> out;
  const auto& all = member(resource, "tags");
  if (!all.is_object()) return out;
  for (const auto& [key, value] : all.items()) {
    if (value.is_string()) out[key] = value.get<std::string>();
  }
  return out;
}

// The power state in a VM's instance view ("running", "stopped", "deallocated", ...): the
// status code "PowerState/<state>"; "" when the view has none.
[[nodiscard]] inline std::string power_state(const nlohmann::json& instance_view) {
  constexpr std::string_view k_prefix = "PowerState/";
  const auto& statuses = member(instance_view, "statuses");
  if (!statuses.is_array()) return {};
  for (const auto& status : statuses) {
    const std::string code = fields::text_at(status, "code");
    if (code.starts_with(k_prefix)) return code.substr(k_prefix.size());
  }
  return {};
}

// The power state of the VM `vm_id` (a well-formed VM id: azure_resources.hpp kind_of_id) now:
// power_state() of GET <vm_id>/instanceView.
[[nodiscard]] inline Expected<std::string> vm_power_state(const ArmClient& client,
                                                          const std::string& vm_id) {
  ArmRequest request;
  request.path = vm_id + "/instanceView";
  request.api_version = k_api_compute;
  auto view = client.send(request);
  if (!view) return std::unexpected(view.error().to_error());
  return power_state(view->body);
}

}  // namespace labctl::providers::azure::arm_view
