#include <set>
#include <string>

#include "core/action_journal.hpp"
#include "core/json_fields.hpp"
#include "core/tags.hpp"
#include "core/text.hpp"
#include "providers/oci/oci_actions.hpp"
#include "providers/oci/oci_resources.hpp"

namespace labctl::providers::oci {
namespace {

// The group the statements name; an administrator creates it (or edits the name) and adds the
// user whose API key the executor signs with.
constexpr const char* k_executor_group = "labctl-executor";

// What the VNIC actions send (providers/oci/oci_actions.cpp), by OCI policy resource type:
// GET/PUT /vnics (VNIC_READ, VNIC_UPDATE; a private IP joining or leaving a VNIC needs
// VNIC_ASSIGN/VNIC_UNASSIGN, all in "use vnics"); GET/POST/PUT/DELETE /privateIps (create and
// delete are "manage private-ips"); a private IP joins and leaves the VNIC's subnet
// (SUBNET_ATTACH/SUBNET_DETACH, "use subnets"), and preflight reads the subnet.
constexpr const char* k_executor_grants[] = {"use vnics", "manage private-ips", "use subnets"};

}  // namespace

Expected<nlohmann::ordered_json> executor_policy(state::Store& store, const std::string& run_id,
                                                 const OciClient& client) {
  std::set<std::string> vnics;
  auto rows = store.resources(run_id);
  if (!rows) return std::unexpected(rows.error());
  for (const auto& row : *rows) {
    // Routers are what captures an address; clients never need their VNIC changed.
    const std::string vnic = fields::text_at(row.attrs, "vnicId");
    if (row.provider == "oci" && fields::text_at(row.attrs, "role").starts_with("router") &&
        is_ocid_of(vnic, "vnic")) {
      vnics.insert(vnic);
    }
  }
  auto actions = journal::list(store, run_id);
  if (!actions) return std::unexpected(actions.error());
  for (const auto& action : *actions) {
    if (action.provider != "oci") continue;
    // A seize moves the private IP off the VNIC it takes the address from as well.
    for (const std::string& vnic : {target_from_json(action.target).nic_ref,
                                    fields::text_at(action.parameters, "previousHolder")}) {
      if (is_ocid_of(vnic, "vnic")) vnics.insert(vnic);
    }
  }
  if (vnics.empty()) {
    return fail(ExitCode::usage, "iam-policy --executor: run " + run_id +
                                     " has no oci router VNIC in state (is it an oci run that "
                                     "is up?)");
  }
  std::set<std::string> scopes;
  nlohmann::ordered_json listed = nlohmann::ordered_json::array();
  nlohmann::ordered_json excluded = nlohmann::ordered_json::array();
  for (const auto& id : vnics) {
    auto vnic = describe_vnic(client, id);
    if (!vnic) return std::unexpected(vnic.error());
    const auto tag = vnic->tags.find(k_tag_run_id);
    if (tag == vnic->tags.end() || tag->second != run_id) {
      excluded.push_back({{"vnic", id},
                          {"reason", "does not carry " + std::string(k_tag_run_id) + "=" + run_id +
                                         " (the executor never touches it)"}});
      continue;
    }
    if (is_ocid_of(vnic->compartment_id, "tenancy")) {
      scopes.insert("tenancy");
    } else if (is_ocid_of(vnic->compartment_id, "compartment")) {
      scopes.insert("compartment id " + vnic->compartment_id);
    } else {
      return fail(ExitCode::provider, "oci: " + id + " names the compartment '" +
                                          text::printable(vnic->compartment_id, 255) +
                                          "', which is not a compartment or tenancy OCID");
    }
    listed.push_back(
        {{"vnic", id}, {"compartment", vnic->compartment_id}, {"subnet", vnic->subnet_id}});
  }
  if (scopes.empty()) {
    return fail(ExitCode::refused, "iam-policy --executor: none of run " + run_id +
                                       "'s VNICs carries its " + k_tag_run_id +
                                       " tag; no policy for VNICs that are not the lab's");
  }
  nlohmann::ordered_json statements = nlohmann::ordered_json::array();
  for (const auto& scope : scopes) {
    for (const char* grant : k_executor_grants) {
      statements.push_back(std::string("Allow group ") + k_executor_group + " to " + grant +
                           " in " + scope);
    }
  }
  nlohmann::ordered_json notes = nlohmann::ordered_json::array();
  notes.push_back(std::string("create the group ") + k_executor_group +
                  " (or replace the name) and add the user of the API key the executor signs "
                  "with; the statements grant exactly what its VNIC actions send "
                  "(secondary private IPs, skipSourceDestCheck)");
  notes.push_back(
      "OCI policy cannot be narrowed to single VNICs by freeform tag (conditions "
      "see defined tags only): labctl checks " +
      std::string(k_tag_run_id) + "=" + run_id +
      " on every VNIC before any call, and touches only the VNICs listed");
  nlohmann::ordered_json policy{{"name", "labctl-executor-" + run_id},
                                {"statements", std::move(statements)},
                                {"vnics", std::move(listed)},
                                {"notes", std::move(notes)}};
  if (!excluded.empty()) policy["excluded"] = std::move(excluded);
  return policy;
}

}  // namespace labctl::providers::oci
