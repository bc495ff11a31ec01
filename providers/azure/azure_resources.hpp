#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "providers/azure/arm_client.hpp"

// What teardown and discovery share about the ARM resources labctl creates: their kinds, the
// shape of their ids, their tags, the Resource Graph tag query, and the fenced GET/DELETE by id.
// Every id comes from state or from an endpoint (hostile): it is checked here before it becomes
// a request path.
namespace labctl::providers::azure {

// One kind of resource labctl creates (a state row's resource_kind).
struct ArmKind {
  const char* kind;         // "virtualMachine"
  const char* provider;     // "Microsoft.Compute" (ARM ids spell it in any case)
  const char* type;         // "virtualMachines"
  const char* api_version;  // that resource provider's api-version
  int delete_order;         // lower first: VMs, then NICs, PIPs, NSGs and VNets
};


// The kind of a well-formed ARM id of this subscription labctl could have created:
// "/subscriptions/<guid>/resourceGroups/<name>" (resourceGroup) or
// ".../resourceGroups/<g>/providers/<Namespace>/<type>/<name>" for the five resource types.
// nullptr for anything else: another type, extra segments, "." or "..", characters outside
// [A-Za-z0-9._()-], over 1024 bytes — none of which labctl would ever address.
[[nodiscard]] const ArmKind* kind_of_id(std::string_view id);

// The resource group id ("/subscriptions/<s>/resourceGroups/<g>", as spelt in `id`) of a
// well-formed id; "" when `id` is not one.
[[nodiscard]] std::string group_of(std::string_view id);

// ARM ids are case-insensitive.
[[nodiscard]] bool same_id(std::string_view a, std::string_view b);

// The value of tag `key` on an ARM resource body ({"tags": {...}}); "" when absent or not a
// string.
[[nodiscard]] std::string tag_value(const nlohmann::json& resource, std::string_view key);

// A run id as a Kusto string literal, quotes included. Only ids labctl makes are accepted
// (core/run_id.hpp: [A-Za-z0-9._-] after the timestamp), so nothing in one can end the literal
// or the query: anything else is refused (ExitCode::usage) and no query is sent.
[[nodiscard]] Expected<std::string> kusto_run_id(std::string_view run_id);

// The rows of a Resource Graph query over `subscription` (POST
// /providers/Microsoft.ResourceGraph/resources, a read: sent in dry-run too), every page
// ($skipToken) up to 1000. Each row is an object; a body of another shape is bad_answer.
[[nodiscard]] ArmResult<std::vector<nlohmann::json>> graph_query(const ArmClient& client,
                                                                 const std::string& subscription,
                                                                 const std::string& query);

// GET of a resource by id with its kind's api-version: the resource, or nullopt when ARM
// answers 404 (gone).
[[nodiscard]] ArmResult<std::optional<nlohmann::json>> get_by_id(const ArmClient& client,
                                                                 const std::string& id,
                                                                 const ArmKind& kind);

// DELETE of a resource by id, waited to completion (ArmClient::send_and_wait). 409 Conflict (in
// use, another operation in progress) is asked again with the shared backoff, sleeping on the
// client's clock, up to limits().conflict_retries times; 404 is success (already gone).
[[nodiscard]] ArmResult<void> delete_by_id(const ArmClient& client, const std::string& id,
                                           const ArmKind& kind);

// Asks GET by id until ARM answers 404, for at most k_confirm_bound (or the client's
// deadline): true when gone; an error when the GET kept failing; false when still present.
inline constexpr std::chrono::seconds k_confirm_bound{60};
[[nodiscard]] ArmResult<bool> confirm_gone(const ArmClient& client, const std::string& id,
                                           const ArmKind& kind);

}  // namespace labctl::providers::azure
