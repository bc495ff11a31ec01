#pragma once

#include <map>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/profile.hpp"
#include "core/state_store.hpp"
#include "core/tags.hpp"

// What every cloud provider reads the same way from a run's state and its resources' tags: the
// node a fault targets, the nodes a recorded stop-active stopped, and whether a resource carries
// the run's tags. aws and azure share these so a run means the same thing on every cloud.
namespace labctl::providers {

// The `provider` row of kind `kind` (created) that a fault targets: the row named `node` when
// given, else the active router (role router-a), else the only router (role router).
// ExitCode::usage naming the run when there is none.
[[nodiscard]] Expected<state::ResourceRecord> fault_target_row(state::Store& store,
                                                               const std::string& run_id,
                                                               const std::string& provider,
                                                               const std::string& kind,
                                                               const std::string& node);

// The `provider` nodes a recorded stop-active stopped that no later restore of it started again
// (failover events: the fault's detail.node, or for a measured failover the node in the detail
// of its timing's inject stage).
[[nodiscard]] Expected<std::set<std::string>> stopped_by_fault(state::Store& store,
                                                               const std::string& run_id,
                                                               const std::string& provider);

// What is wrong with a resource's tags: "" when it carries all five routerd.cloudedge.* tags
// of `expected` and the run_id is expected's.
[[nodiscard]] std::string tag_problem(const std::map<std::string, std::string>& tags,
                                      const Tags& expected);

// The site and role the profile gives node `node_name` of one of `provider`'s sites:
// {"site", "role"}, or an empty object when there is none. Recorded with a machine's intent row.
[[nodiscard]] nlohmann::json node_facts(const profile::Profile& profile,
                                        const std::string& provider,
                                        const std::string& node_name);

// What a cloud reported of one machine, for machine_attrs().
struct MachineAddresses {
  std::string private_ip;
  std::string public_ip;     // "" when it has none
  std::string nic_key;       // the attrs key of its network interface: eniId, nicId, vnicId
  std::string nic_id;
};

// A cloud machine's attrs as the matrix, deploy and node faults read them — the same shape on
// every cloud: privateIp, publicIp, <nic_key>, role, and node {name (omitted when empty), site,
// role, logical_address (the site's, else the private address), ssh {host: the public address,
// else the private one; port 22; user `ssh_user`; jump ""}}. `facts` is node_facts()'s answer.
[[nodiscard]] nlohmann::json machine_attrs(const profile::Profile& profile,
                                           const nlohmann::json& facts, const std::string& name,
                                           const MachineAddresses& addresses,
                                           const std::string& ssh_user);

}  // namespace labctl::providers
