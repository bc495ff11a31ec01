#include <set>
#include <string_view>
#include <vector>

#include "providers/ascii.hpp"
#include "providers/azure/azure_ops.hpp"

namespace labctl::providers::azure {
namespace {

// The resource group's own type, as RBAC names it.
constexpr const char* k_rbac_resource_group_type =
    "Microsoft.Resources/subscriptions/resourceGroups";

// Operations labctl sends outside the plan, or that ARM checks besides the call itself:
// - discovery lists the subscriptions (janitor), queries Resource Graph for the run tags and
//   reads each hit; down confirms by GET and tag query; judge_state reads the group;
// - apply adds tags an endpoint dropped (tags API);
// - stop-active powers a VM off and reads its instance view (node faults read it too);
// - ARM checks join/action on every resource a PUT attaches: the NIC a VM uses, the public IP
//   and subnet a NIC uses, the NSG a subnet or NIC uses;
// - the OS disk each VM creates implicitly lives in the group: written with the VM, read and
//   deleted with the group;
// - a resource group's long-running DELETE is polled at /subscriptions/<s>/operationresults.
constexpr const char* k_role_fixed_actions[] = {
    "Microsoft.Resources/subscriptions/read",
    "Microsoft.Resources/subscriptions/resourceGroups/read",
    "Microsoft.Resources/subscriptions/resourceGroups/delete",
    "Microsoft.Resources/subscriptions/operationresults/read",
    "Microsoft.ResourceGraph/resources/read",
    "Microsoft.Resources/tags/write",
    "Microsoft.Compute/virtualMachines/powerOff/action",
    "Microsoft.Compute/virtualMachines/instanceView/read",
    "Microsoft.Compute/disks/read",
    "Microsoft.Compute/disks/write",
    "Microsoft.Compute/disks/delete",
    "Microsoft.Network/networkInterfaces/join/action",
    "Microsoft.Network/publicIPAddresses/join/action",
    "Microsoft.Network/virtualNetworks/subnets/join/action",
    "Microsoft.Network/networkSecurityGroups/join/action",
};

std::vector<std::string_view> arm_path_segments(std::string_view path) {
  std::vector<std::string_view> out;
  while (!path.empty()) {
    const auto slash = path.find('/');
    if (slash != 0) out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

// The RBAC operation of one ARM call: the resource type the path names
// ("Microsoft.Network/virtualNetworks/subnets", the resource group's own type) and the action
// on it ("<type>/write" for PUT and PATCH, "/delete", "/<name>/action" for a POST to an action,
// "/read"); both empty for a path that names no resource.
struct RbacOperation {
  std::string type;
  std::string action;
};

RbacOperation rbac_operation(std::string_view method, std::string_view path) {
  const auto parts = arm_path_segments(path);
  // /providers/<Namespace>/<type>/<name>[/<type>/<name>...][/<action>], under a subscription
  // and resource group or at the root (Resource Graph).
  std::size_t provider_at = parts.size();
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (ascii::iequals(parts[i], "providers")) provider_at = i;
  }
  RbacOperation op;
  std::string_view action;
  if (provider_at + 1 < parts.size()) {
    op.type = std::string(parts[provider_at + 1]);
    std::size_t i = provider_at + 2;
    for (; i + 1 < parts.size(); i += 2) op.type += "/" + std::string(parts[i]);
    if (i < parts.size()) action = parts[i];  // a type without a name: the action segment
  } else if (parts.size() >= 4 && ascii::iequals(parts[0], "subscriptions") &&
             ascii::iequals(parts[2], "resourceGroups")) {
    op.type = k_rbac_resource_group_type;
  } else {
    return op;  // not a resource path labctl sends
  }
  if (method == "PUT" || method == "PATCH") {
    op.action = op.type + "/write";
  } else if (method == "DELETE") {
    op.action = op.type + "/delete";
  } else if (method == "POST" && !action.empty()) {
    op.action = op.type + "/" + std::string(action) + "/action";
  } else {
    op.action = op.type + "/read";
  }
  return op;
}

}  // namespace

nlohmann::ordered_json role_definition(const Plan& plan, const std::string& subscription) {
  std::set<std::string> actions(std::begin(k_role_fixed_actions), std::end(k_role_fixed_actions));
  std::set<std::string> namespaces;
  for (const auto& op : plan.operations) {
    if (!op.params.is_object() || !op.params.contains("path") || !op.params["path"].is_string()) {
      continue;
    }
    const auto arm = rbac_operation(op.action, op.params["path"].get<std::string>());
    if (arm.type.empty()) continue;
    actions.insert(arm.action);
    // Whatever labctl creates it also reads back (waits, discovery, down's confirmation) and
    // deletes (a stray resource outside the group, one by one).
    actions.insert(arm.type + "/read");
    actions.insert(arm.type + "/delete");
    if (arm.type != k_rbac_resource_group_type) {
      namespaces.insert(arm.type.substr(0, arm.type.find('/')));
    }
  }
  // Each resource provider's long-running operations are polled at
  // /subscriptions/<s>/providers/<Namespace>/locations/<region>/operations/<id>.
  for (const auto& name : namespaces) actions.insert(name + "/locations/operations/read");

  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const auto& action : actions) list.push_back(action);
  return nlohmann::ordered_json{
      {"Name", "labctl-lab-operator"},
      {"IsCustom", true},
      {"Description",
       "What labctl sends to Azure Resource Manager to bring up, fault, judge and tear "
       "down its labs (one resource group per run, tagged routerd.cloudedge.*), and to "
       "find expired labs across the subscription. Generated by `labctl iam-policy "
       "--provider azure`."},
      {"Actions", std::move(list)},
      {"NotActions", nlohmann::ordered_json::array()},
      {"DataActions", nlohmann::ordered_json::array()},
      {"NotDataActions", nlohmann::ordered_json::array()},
      {"AssignableScopes", nlohmann::ordered_json::array({"/subscriptions/" + subscription})}};
}

}  // namespace labctl::providers::azure
