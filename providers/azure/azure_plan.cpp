#include <algorithm>
#include <array>
#include <cctype>
#include <set>
#include <string_view>

#include "core/text.hpp"
#include "providers/azure/azure_ops.hpp"

namespace labctl::providers::azure {
// Named inside the anonymous namespace: unity builds put several files of this folder in one
// translation unit.
namespace {
namespace up_plan {

using Body = nlohmann::ordered_json;

bool is_alnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

bool all_of(std::string_view text, auto allowed) {
  return std::ranges::all_of(text, [&](char c) { return is_alnum(c) || allowed(c); });
}

// ARM's resource group name rule: 1-90 characters of alphanumerics, '-', '_', '.', '(' and ')',
// not ending in '.'.
bool valid_resource_group(std::string_view name) {
  return !name.empty() && name.size() <= 90 && !name.ends_with('.') &&
         all_of(name, [](char c) { return std::string_view("-_.()").contains(c); });
}

// Microsoft.Network names (NSG, VNet, public IP, NIC): 1-80 characters of alphanumerics, '_',
// '.' and '-', starting with an alphanumeric and ending with an alphanumeric or '_'.
bool valid_network_name(std::string_view name) {
  return !name.empty() && name.size() <= 80 && is_alnum(name.front()) &&
         (is_alnum(name.back()) || name.back() == '_') &&
         all_of(name, [](char c) { return std::string_view("_.-").contains(c); });
}

// A node becomes a VM name and its Linux computerName (a host name): 1-64 characters of
// alphanumerics and '-', not starting or ending with '-', not all digits.
bool valid_node_name(std::string_view name) {
  return !name.empty() && name.size() <= 64 && name.front() != '-' && name.back() != '-' &&
         all_of(name, [](char c) { return c == '-'; }) &&
         !std::ranges::all_of(name, [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
}

// Linux user names Azure's osProfile accepts (it refuses its reserved names on create).
bool valid_ssh_user(std::string_view user) {
  static constexpr std::array<std::string_view, 16> k_reserved{
      "root", "admin", "administrator", "adm", "guest", "user", "sys", "test", "backup",
      "console", "server", "sql", "support", "owner", "a", "1"};
  return !user.empty() && user.size() <= 32 &&
         (std::islower(static_cast<unsigned char>(user.front())) || user.front() == '_') &&
         std::ranges::all_of(user, [](char c) {
           return std::islower(static_cast<unsigned char>(c)) ||
                  std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '_';
         }) &&
         std::ranges::find(k_reserved, user) == k_reserved.end();
}

// Marketplace image fields and the VM size: identifiers, never free text.
bool valid_identifier(std::string_view text) {
  return !text.empty() && text.size() <= 128 &&
         all_of(text, [](char c) { return std::string_view("._-").contains(c); });
}

Expected<void> check(bool ok, const profile::Profile& profile, const std::string& key,
                     const std::string& value, const std::string& rule) {
  if (ok) return {};
  return fail(ExitCode::usage, profile.path.string() + ": " + key + " \"" +
                                   text::printable(value, 100) + "\" is not valid for Azure: " +
                                   rule);
}

Body tags_body(const Tags& tags, const std::vector<std::pair<std::string, std::string>>& extra) {
  Body out = Body::object();
  for (const auto& [key, value] : tags.pairs()) out[key] = value;
  for (const auto& [key, value] : extra) out[key] = value;
  return out;
}

Operation put(std::string path, const char* api_version, Body body, std::string kind,
              std::string name, const std::string& location) {
  Body params;
  params["path"] = std::move(path);
  params["api-version"] = api_version;
  params["body"] = std::move(body);
  return Operation{"PUT", std::move(params), true, std::move(kind), std::move(name), location};
}

}  // namespace up_plan
}  // namespace

std::string resource_group_name(const profile::Profile& profile, const std::string& run_id) {
  return profile.azure.resource_group_prefix + "-" + run_id;
}

Expected<Plan> plan_lab(const RunContext& ctx, const std::string& subscription) {
  using namespace up_plan;
  const auto& azure = ctx.profile.azure;
  const auto& profile = ctx.profile;
  const std::string& location = azure.region;
  Plan plan{"azure", {}, {}};

  if (location.empty()) {
    return fail(ExitCode::usage, profile.path.string() +
                                     ": azure.region is required (the Azure location, e.g. "
                                     "eastus)");
  }
  if (auto ok = check(std::ranges::all_of(location, [](char c) {
                        return std::islower(static_cast<unsigned char>(c)) ||
                               std::isdigit(static_cast<unsigned char>(c));
                      }) && location.size() <= 64,
                      profile, "azure.region", location,
                      "a location name is lower-case letters and digits, e.g. eastus");
      !ok) {
    return std::unexpected(ok.error());
  }

  std::string ssh_source = azure.operator_cidr;
  if (ssh_source.empty()) {
    if (!azure.allow_any_ssh) {
      return fail(ExitCode::usage, profile.path.string() +
                                       ": azure.operator_cidr is required (the address range "
                                       "SSH may come from)");
    }
    ssh_source = "0.0.0.0/0";
  }
  if (ssh_source == "0.0.0.0/0" && !azure.allow_any_ssh) {
    return fail(ExitCode::refused, profile.path.string() +
                                       ": azure.operator_cidr 0.0.0.0/0 opens SSH to the "
                                       "world; set azure.allow_any_ssh: true if that is "
                                       "intended");
  }

  const std::string group = resource_group_name(profile, ctx.run.run_id);
  if (auto ok = check(valid_resource_group(group), profile,
                      "azure.resource_group_prefix (with the run id)", group,
                      "a resource group name is 1-90 characters of letters, digits, '-', '_', "
                      "'.', '(' and ')', not ending in '.'");
      !ok) {
    return std::unexpected(ok.error());
  }
  const std::string nsg_name = group + "-nsg";
  const std::string vnet_name = group + "-vnet";
  if (auto ok = check(valid_network_name(vnet_name), profile,
                      "azure.resource_group_prefix (with the run id)", vnet_name,
                      "the network names <group>-nsg and <group>-vnet must be at most 80 "
                      "characters of letters, digits, '_', '.' and '-'");
      !ok) {
    return std::unexpected(ok.error());
  }
  if (auto ok = check(valid_identifier(azure.shape) &&
                          std::ranges::none_of(azure.shape, [](char c) { return c == '.'; }),
                      profile, "azure.shape", azure.shape,
                      "a VM size is letters, digits and '_', e.g. Standard_B1s");
      !ok) {
    return std::unexpected(ok.error());
  }
  for (const auto& [key, value] : {std::pair{"azure.image.publisher", &azure.image.publisher},
                                   std::pair{"azure.image.offer", &azure.image.offer},
                                   std::pair{"azure.image.sku", &azure.image.sku},
                                   std::pair{"azure.image.version", &azure.image.version}}) {
    if (auto ok = check(valid_identifier(*value), profile, key, *value,
                        "image fields are letters, digits, '.', '_' and '-'");
        !ok) {
      return std::unexpected(ok.error());
    }
  }
  if (auto ok = check(valid_ssh_user(azure.ssh_user), profile, "azure.ssh_user", azure.ssh_user,
                      "a Linux user name (lower-case letters, digits, '-', '_'; at most 32) "
                      "that Azure does not reserve (root, admin, ...)");
      !ok) {
    return std::unexpected(ok.error());
  }

  const std::string group_path = "/subscriptions/" + subscription + "/resourceGroups/" + group;
  const std::string network = group_path + "/providers/Microsoft.Network/";
  const std::string compute = group_path + "/providers/Microsoft.Compute/";
  const std::string nsg_path = network + "networkSecurityGroups/" + nsg_name;
  const std::string vnet_path = network + "virtualNetworks/" + vnet_name;
  const std::string subnet_id = vnet_path + "/subnets/lab";

  Body rg;
  rg["location"] = location;
  rg["tags"] = tags_body(ctx.tags, {});
  plan.operations.push_back(put(group_path, k_api_resources, rg, "resourceGroup", group, location));

  Body rule;
  rule["name"] = "ssh-from-operator";
  rule["properties"] = {{"description", "SSH from the operator CIDR only"},
                        {"protocol", "Tcp"},
                        {"sourcePortRange", "*"},
                        {"destinationPortRange", "22"},
                        {"sourceAddressPrefix", ssh_source},
                        {"destinationAddressPrefix", "*"},
                        {"access", "Allow"},
                        {"priority", 100},
                        {"direction", "Inbound"}};
  Body nsg;
  nsg["location"] = location;
  nsg["tags"] = tags_body(ctx.tags, {{"Name", nsg_name}});
  nsg["properties"]["securityRules"] = Body::array({rule});
  plan.operations.push_back(
      put(nsg_path, k_api_network, nsg, "networkSecurityGroup", nsg_name, location));

  Body subnet;
  subnet["name"] = "lab";
  subnet["properties"] = {{"addressPrefix", azure.subnet_cidr},
                          {"networkSecurityGroup", {{"id", nsg_path}}}};
  Body vnet;
  vnet["location"] = location;
  vnet["tags"] = tags_body(ctx.tags, {{"Name", vnet_name}});
  vnet["properties"]["addressSpace"]["addressPrefixes"] = Body::array({azure.vnet_cidr});
  vnet["properties"]["subnets"] = Body::array({subnet});
  plan.operations.push_back(
      put(vnet_path, k_api_network, vnet, "virtualNetwork", vnet_name, location));

  std::set<std::string> seen;
  for (const auto& site : profile.sites) {
    if (site.provider != "azure") continue;
    for (const auto& node : site.nodes) {
      if (!valid_node_name(node.name)) {
        return fail(ExitCode::usage,
                    site.at + "node \"" + text::printable(node.name, 100) +
                        "\" of site " + site.name +
                        " cannot name an Azure VM: use 1-64 letters, digits and '-' (not "
                        "first or last, not all digits)");
      }
      if (!seen.insert(node.name).second) {
        return fail(ExitCode::usage, site.at + "node \"" + node.name +
                                         "\" appears twice among the azure sites");
      }
      const std::vector<std::pair<std::string, std::string>> extra{{"Name", node.name},
                                                                   {"role", node.role}};
      const std::string pip_name = node.name + "-pip";
      const std::string nic_name = node.name + "-nic";
      const std::string pip_path = network + "publicIPAddresses/" + pip_name;
      const std::string nic_path = network + "networkInterfaces/" + nic_name;

      Body pip;
      pip["location"] = location;
      pip["tags"] = tags_body(ctx.tags, extra);
      pip["sku"] = {{"name", "Standard"}};
      pip["properties"] = {{"publicIPAllocationMethod", "Static"},
                           {"publicIPAddressVersion", "IPv4"}};
      plan.operations.push_back(
          put(pip_path, k_api_network, pip, "publicIPAddress", pip_name, location));

      Body ip_configuration;
      ip_configuration["name"] = "primary";
      ip_configuration["properties"] = {{"primary", true},
                                        {"privateIPAllocationMethod", "Dynamic"},
                                        {"subnet", {{"id", subnet_id}}},
                                        {"publicIPAddress", {{"id", pip_path}}}};
      Body nic;
      nic["location"] = location;
      nic["tags"] = tags_body(ctx.tags, extra);
      // Routers forward the lab's traffic; Azure drops packets not addressed to a NIC unless
      // forwarding is on.
      nic["properties"] = {{"enableIPForwarding", node.role.starts_with("router")},
                           {"ipConfigurations", Body::array({ip_configuration})}};
      plan.operations.push_back(
          put(nic_path, k_api_network, nic, "networkInterface", nic_name, location));

      Body key;
      key["path"] = "/home/" + azure.ssh_user + "/.ssh/authorized_keys";
      key["keyData"] = "{{ssh_public_key}}";
      Body vm;
      vm["location"] = location;
      vm["tags"] = tags_body(ctx.tags, extra);
      auto& properties = vm["properties"];
      properties["hardwareProfile"] = {{"vmSize", azure.shape}};
      properties["storageProfile"] = {
          {"imageReference",
           {{"publisher", azure.image.publisher},
            {"offer", azure.image.offer},
            {"sku", azure.image.sku},
            {"version", azure.image.version}}},
          {"osDisk", {{"createOption", "FromImage"}, {"deleteOption", "Delete"}}}};
      properties["osProfile"] = {
          {"computerName", node.name},
          {"adminUsername", azure.ssh_user},
          {"linuxConfiguration",
           {{"disablePasswordAuthentication", true},
            {"ssh", {{"publicKeys", Body::array({key})}}}}}};
      properties["networkProfile"]["networkInterfaces"] = Body::array(
          {{{"id", nic_path}, {"properties", {{"primary", true}, {"deleteOption", "Delete"}}}}});
      plan.operations.push_back(put(compute + "virtualMachines/" + node.name, k_api_compute, vm,
                                    "virtualMachine", node.name, location));
    }
  }
  plan.notes.push_back("each PUT is waited until provisioningState is Succeeded; then every "
                       "VM's addresses are read (GET of its NIC and public IP) and every "
                       "resource is read again to add any of the five tags the endpoint "
                       "dropped");
  plan.notes.push_back("{{ssh_public_key}}: the run's SSH public key, filled in at apply (the "
                       "key another cloud of the run made, else a new RSA 3072 pair whose "
                       "private key is written 0600 in the run's directory)");
  return plan;
}

}  // namespace labctl::providers::azure
