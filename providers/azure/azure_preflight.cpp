#include <string>
#include <vector>

#include "core/suggest.hpp"
#include "core/tags.hpp"
#include "core/text.hpp"
#include "providers/ascii.hpp"
#include "providers/azure/arm_view.hpp"
#include "providers/azure/azure_actions.hpp"
#include "providers/preflight.hpp"

namespace labctl::providers::azure {
namespace {

// At most this many holders are named in the document: the check fails on the first anyway.
constexpr std::size_t k_max_named_holders = 16;

// The NICs of the subscription whose IP configurations in `vnet_id` hold `address` (ids as ARM
// spells them, printable). Reads every page of the subscription's NIC list: the VNet's subnets
// may hold NICs of other groups, and Azure refuses a static address that any of them holds.
Expected<std::vector<std::string>> holders_in_vnet(const ArmClient& client,
                                                   const std::string& subscription,
                                                   const std::string& vnet_id,
                                                   const std::string& address,
                                                   std::size_t& nics_read) {
  auto nics = client.list(
      {"GET", "/subscriptions/" + subscription + "/providers/Microsoft.Network/networkInterfaces",
       k_api_network});
  if (!nics) return std::unexpected(nics.error().to_error());
  nics_read = nics->size();
  const std::string subnets_prefix = vnet_id + "/subnets/";
  std::vector<std::string> holders;
  for (const auto& nic : *nics) {
    const auto& configurations =
        arm_view::member(arm_view::member(nic, "properties"), "ipConfigurations");
    if (!configurations.is_array()) continue;
    for (const auto& configuration : configurations) {
      const auto& inner = arm_view::member(configuration, "properties");
      const std::string subnet = fields::text_at(arm_view::member(inner, "subnet"), "id");
      if (fields::text_at(inner, "privateIPAddress") != address ||
          subnet.size() <= subnets_prefix.size() ||
          !ascii::iequals(std::string_view(subnet).substr(0, subnets_prefix.size()),
                          subnets_prefix)) {
        continue;
      }
      if (holders.size() < k_max_named_holders) {
        holders.push_back(text::printable(fields::text_at(nic, "id"), 300));
      }
      break;
    }
  }
  return holders;
}

}  // namespace

Expected<nlohmann::ordered_json> preflight(const ArmClient& client, const std::string& run_id,
                                           const Target& target) {
  if (!is_nic_id(target.nic_ref)) {
    return fail(ExitCode::usage, "preflight: '" + text::printable(target.nic_ref, 200) +
                                     "' is not an ARM network interface id (/subscriptions/<s>/"
                                     "resourceGroups/<g>/providers/Microsoft.Network/"
                                     "networkInterfaces/<name>)");
  }
  const auto address = single_address(target.address);
  if (!address) {
    return fail(ExitCode::usage, "preflight: --address '" + text::printable(target.address, 64) +
                                     "' is not a private IPv4 address (a.b.c.d or a.b.c.d/32)");
  }
  auto nic = describe_nic(client, target.nic_ref);
  if (!nic) return std::unexpected(nic.error());
  if (!is_subnet_id(nic->subnet_id)) {
    return fail(ExitCode::provider,
                "azure: " + nic->id + " names the subnet '" + text::printable(nic->subnet_id, 300) +
                    "', which is not an ARM subnet id; nothing read on a guess");
  }
  auto subnet = client.send({"GET", nic->subnet_id, k_api_network, {}, std::nullopt});
  if (!subnet) return std::unexpected(subnet.error().to_error());
  const auto& subnet_properties = arm_view::member(subnet->body, "properties");
  std::string prefix = fields::text_at(subnet_properties, "addressPrefix");
  if (prefix.empty()) {
    const auto& prefixes = arm_view::member(subnet_properties, "addressPrefixes");
    if (prefixes.is_array() && !prefixes.empty() && prefixes.front().is_string()) {
      prefix = prefixes.front().get<std::string>();
    }
  }
  prefix = text::printable(prefix, 64);
  // The subnet id's shape is checked: its VNet is everything before "/subnets/<name>".
  const auto name_at = nic->subnet_id.rfind('/');
  const std::string vnet_id = nic->subnet_id.substr(0, nic->subnet_id.rfind('/', name_at - 1));
  std::size_t nics_read = 0;
  auto holders =
      holders_in_vnet(client, *subscription_in_id(nic->id), vnet_id, *address, nics_read);
  if (!holders) return std::unexpected(holders.error());

  const auto tag = nic->tags.find(k_tag_run_id);
  const bool ours = tag != nic->tags.end() && tag->second == run_id;
  auto checks = nlohmann::ordered_json::array();
  checks.push_back(preflight_check(
      "nic-is-lab-resource", ours,
      nic->id + (ours ? " carries " : " does not carry ") + k_tag_run_id + "=" + run_id));
  checks.push_back(preflight_check(
      "address-not-assigned", holders->empty(),
      holders->empty()
          ? "no IP configuration in " + vnet_id + " holds " + *address + " (" +
                std::to_string(nics_read) + " NICs of the subscription read)"
          : *address + " is held in " + vnet_id + " by " + join(*holders, ", ") +
                ": Azure reassigns nothing; seize it from its holder or clean the lab"));
  checks.push_back(preflight_check("address-in-subnet", in_cidr(*address, prefix),
                                   *address + " in " + nic->subnet_id + " (" + prefix + ")"));
  checks.push_back(preflight_check("forwarding-recorded", true,
                                   std::string("enableIPForwarding=") +
                                       (nic->ip_forwarding ? "true" : "false") +
                                       " (the executor will capture it as priorSourceDestCheck=" +
                                       (nic->ip_forwarding ? "false" : "true") + ")"));
  bool pass = true;
  for (const auto& c : checks) pass = pass && c["status"] == "pass";
  nlohmann::ordered_json tags = nlohmann::ordered_json::object();
  nlohmann::ordered_json secondary = nlohmann::ordered_json::array();
  for (const auto& ip : nic->secondary_ips) secondary.push_back(text::printable(ip, 64));
  for (const auto& [key, value] : nic->tags) {
    tags[text::printable(key, 128)] = text::printable(value, 256);
  }
  return nlohmann::ordered_json{{"runId", run_id},
                                {"nic",
                                 {{"id", nic->id},
                                  {"enableIPForwarding", nic->ip_forwarding},
                                  {"primaryIp", text::printable(nic->primary_ip, 64)},
                                  {"secondaryIps", secondary},
                                  {"subnetId", nic->subnet_id},
                                  {"tags", tags}}},
                                {"subnet", {{"id", nic->subnet_id}, {"addressPrefix", prefix}}},
                                {"virtualNetwork", {{"id", vnet_id}, {"holders", *holders}}},
                                {"address", *address},
                                {"region", target.region},
                                {"checks", checks},
                                {"result", pass ? "pass" : "fail"}};
}

}  // namespace labctl::providers::azure
