#include <set>
#include <string>

#include "core/action_journal.hpp"
#include "core/tags.hpp"
#include "core/text.hpp"
#include "providers/ascii.hpp"
#include "providers/azure/azure_actions.hpp"

namespace labctl::providers::azure {
namespace {

// What the NIC actions send (providers/azure/azure_actions.cpp): GET and PUT of the NIC; the
// PUT of an IP configuration joins the NIC's subnet (ARM checks join/action there); the PUT is
// waited by polling its Azure-AsyncOperation under Microsoft.Network/locations.
constexpr const char* k_executor_actions[] = {
    "Microsoft.Network/locations/operations/read",
    "Microsoft.Network/networkInterfaces/read",
    "Microsoft.Network/networkInterfaces/write",
    "Microsoft.Network/virtualNetworks/subnets/join/action",
};

// ARM ids are case-insensitive: one entry per NIC however the state and journal spell it.
struct Caseless {
  bool operator()(const std::string& a, const std::string& b) const {
    return ascii::lower(a) < ascii::lower(b);
  }
};

}  // namespace

Expected<nlohmann::ordered_json> executor_role(state::Store& store, const std::string& run_id,
                                               const ArmClient& client) {
  std::set<std::string, Caseless> nics;
  auto rows = store.resources(run_id);
  if (!rows) return std::unexpected(rows.error());
  for (const auto& row : *rows) {
    // Routers are what captures an address; clients never need their NIC changed.
    const std::string nic = row.attrs.value("nicId", "");
    if (row.provider == "azure" && row.attrs.value("role", "").starts_with("router") &&
        is_nic_id(nic)) {
      nics.insert(nic);
    }
  }
  auto actions = journal::list(store, run_id);
  if (!actions) return std::unexpected(actions.error());
  for (const auto& action : *actions) {
    if (action.provider != "azure") continue;
    // A seize writes to the NIC it takes the address from as well as to its target.
    const auto holder = action.parameters.find("previousHolder");
    for (const std::string& nic :
         {target_from_json(action.target).nic_ref,
          holder != action.parameters.end() && holder->is_string() ? holder->get<std::string>()
                                                                   : std::string()}) {
      if (is_nic_id(nic)) nics.insert(nic);
    }
  }
  if (nics.empty()) {
    return fail(ExitCode::usage, "iam-policy --executor: run " + run_id +
                                     " has no azure router NIC in state (is it an azure run "
                                     "that is up?)");
  }
  std::set<std::string, Caseless> groups;
  std::set<std::string, Caseless> scopes;
  nlohmann::ordered_json excluded = nlohmann::ordered_json::array();
  for (const auto& id : nics) {
    auto nic = describe_nic(client, id);
    if (!nic) return std::unexpected(nic.error());
    const auto tag = nic->tags.find(k_tag_run_id);
    if (tag == nic->tags.end() || tag->second != run_id) {
      excluded.push_back({{"nic", id},
                          {"reason", "does not carry " + std::string(k_tag_run_id) + "=" + run_id +
                                         " (the executor never touches it)"}});
      continue;
    }
    if (!is_subnet_id(nic->subnet_id)) {
      return fail(ExitCode::provider, "azure: " + id + " names the subnet '" +
                                          text::printable(nic->subnet_id, 300) +
                                          "', which is not an ARM subnet id");
    }
    scopes.insert(id);
    scopes.insert(nic->subnet_id);
    const auto providers_at = ascii::lower(id).find("/providers/");
    groups.insert(id.substr(0, providers_at));
  }
  if (scopes.empty()) {
    return fail(ExitCode::refused, "iam-policy --executor: none of run " + run_id +
                                       "'s NICs carries its " + k_tag_run_id +
                                       " tag; no policy for NICs that are not the lab's");
  }
  const std::string role = "labctl-executor-" + run_id;
  nlohmann::ordered_json assignable = nlohmann::ordered_json::array();
  for (const auto& group : groups) assignable.push_back(group);
  nlohmann::ordered_json assignments = nlohmann::ordered_json::array();
  for (const auto& scope : scopes) {
    assignments.push_back({{"roleDefinitionName", role}, {"scope", scope}});
  }
  nlohmann::ordered_json granted = nlohmann::ordered_json::array();
  for (const char* action : k_executor_actions) granted.push_back(action);
  nlohmann::ordered_json policy{
      {"roleDefinition",
       {{"Name", role},
        {"IsCustom", true},
        {"Description",
         "What labctl's gated executor sends to change the router NICs of lab run " + run_id +
             " (secondary addresses, enableIPForwarding). Assign it only at the scopes "
             "listed (each NIC and its subnet). RBAC cannot express the rest, which labctl "
             "enforces before any call: never a NIC without the run's tags, never an address "
             "labctl did not assign. Generated by `labctl iam-policy --executor`."},
        {"Actions", granted},
        {"NotActions", nlohmann::ordered_json::array()},
        {"DataActions", nlohmann::ordered_json::array()},
        {"NotDataActions", nlohmann::ordered_json::array()},
        {"AssignableScopes", assignable}}},
      {"assignments", assignments}};
  if (!excluded.empty()) policy["excluded"] = excluded;
  return policy;
}

}  // namespace labctl::providers::azure
