#include <string>

#include "core/json_fields.hpp"
#include "core/tags.hpp"
#include "core/text.hpp"
#include "providers/oci/oci_actions.hpp"
#include "providers/oci/oci_resources.hpp"
#include "providers/preflight.hpp"

namespace labctl::providers::oci {
namespace {

bool carries_run(const std::map<std::string, std::string>& tags, const std::string& run_id) {
  const auto tag = tags.find(k_tag_run_id);
  return tag != tags.end() && tag->second == run_id;
}

// The address-not-assigned check: free in the subnet passes; held by the target itself, as a
// primary address, or by a VNIC that is not the run's fails; a secondary private IP on another
// VNIC of the run passes as reassignable (a seize moves it with UpdatePrivateIp).
Expected<nlohmann::ordered_json> holder_check(const OciClient& client, const std::string& run_id,
                                              const VnicState& vnic, const std::string& address,
                                              nlohmann::ordered_json& holder_doc) {
  auto held = private_ip_at(client, vnic.subnet_id, address);
  if (!held) return std::unexpected(held.error());
  if (!*held) {
    return preflight_check("address-not-assigned", true,
                           "no private IP of " + vnic.subnet_id + " holds " + address);
  }
  const PrivateIpState& ip = **held;
  holder_doc = {{"privateIp", ip.id}, {"vnic", ip.vnic_id}, {"isPrimary", ip.primary}};
  if (ip.vnic_id == vnic.id) {
    return preflight_check("address-not-assigned", false,
                           address + " is already on " + vnic.id + ": the lab is dirty");
  }
  if (ip.primary) {
    return preflight_check(
        "address-not-assigned", false,
        address + " is the primary address of " + ip.vnic_id + ": never reassignable");
  }
  auto holder = describe_vnic(client, ip.vnic_id);
  if (!holder) return std::unexpected(holder.error());
  const bool ours = carries_run(holder->tags, run_id);
  holder_doc["labResource"] = ours;
  return preflight_check(
      "address-not-assigned", ours,
      ours ? address + " is a secondary private IP of " + ip.vnic_id +
                 ", a VNIC of this run: reassignable (a seize moves it with UpdatePrivateIp)"
           : address + " is held by " + ip.vnic_id + ", which does not carry " + k_tag_run_id +
                 "=" + run_id + ": the executor never takes it");
}

}  // namespace

Expected<nlohmann::ordered_json> preflight(const OciClient& client, const std::string& run_id,
                                           const Target& target) {
  if (!is_ocid_of(target.nic_ref, "vnic")) {
    return fail(ExitCode::usage, "preflight: '" + text::printable(target.nic_ref, 255) +
                                     "' is not a VNIC OCID (ocid1.vnic.<realm>.<region>."
                                     "<unique>)");
  }
  const auto address = single_address(target.address);
  if (!address) {
    return fail(ExitCode::usage, "preflight: --address '" + text::printable(target.address, 64) +
                                     "' is not a private IPv4 address (a.b.c.d or a.b.c.d/32)");
  }
  auto vnic = describe_vnic(client, target.nic_ref);
  if (!vnic) return std::unexpected(vnic.error());
  auto subnet = get_by_id(client, *kind_named("subnet"), vnic->subnet_id);
  if (!subnet) return std::unexpected(subnet.error().to_error());
  if (!*subnet) {
    return fail(ExitCode::provider,
                "oci: the subnet " + vnic->subnet_id + " of " + vnic->id + " does not exist");
  }
  const std::string cidr = text::printable(fields::text_at(**subnet, "cidrBlock"), 64);
  nlohmann::ordered_json holder = nullptr;
  auto assigned = holder_check(client, run_id, *vnic, *address, holder);
  if (!assigned) return std::unexpected(assigned.error());

  const bool ours = carries_run(vnic->tags, run_id);
  auto checks = nlohmann::ordered_json::array();
  checks.push_back(preflight_check(
      "vnic-is-lab-resource", ours,
      vnic->id + (ours ? " carries " : " does not carry ") + k_tag_run_id + "=" + run_id));
  checks.push_back(std::move(*assigned));
  checks.push_back(preflight_check("address-in-subnet", in_cidr(*address, cidr),
                                   *address + " in " + vnic->subnet_id + " (" + cidr + ")"));
  const std::string skip = vnic->skip_source_dest_check ? "true" : "false";
  checks.push_back(preflight_check("forwarding-recorded", true,
                                   "skipSourceDestCheck=" + skip +
                                       " (the executor will capture it as priorSourceDestCheck=" +
                                       (vnic->skip_source_dest_check ? "false" : "true") + ")"));
  bool pass = true;
  for (const auto& check : checks) pass = pass && check["status"] == "pass";
  nlohmann::ordered_json tags = nlohmann::ordered_json::object();
  for (const auto& [key, value] : vnic->tags) {
    tags[text::printable(key, 128)] = text::printable(value, 256);
  }
  return nlohmann::ordered_json{{"runId", run_id},
                                {"vnic",
                                 {{"id", vnic->id},
                                  {"skipSourceDestCheck", vnic->skip_source_dest_check},
                                  {"primaryIp", vnic->primary_ip},
                                  {"secondaryIps", vnic->secondary_addresses()},
                                  {"subnetId", vnic->subnet_id},
                                  {"tags", tags}}},
                                {"subnet", {{"id", vnic->subnet_id}, {"cidrBlock", cidr}}},
                                {"holder", holder},
                                {"address", *address},
                                {"region", target.region},
                                {"checks", checks},
                                {"result", pass ? "pass" : "fail"}};
}

}  // namespace labctl::providers::oci
