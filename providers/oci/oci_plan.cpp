#include <algorithm>
#include <cctype>
#include <charconv>
#include <set>
#include <string_view>

#include "core/text.hpp"
#include "providers/oci/oci_ops.hpp"
#include "providers/oci/oci_resources.hpp"
#include "providers/preflight.hpp"

namespace labctl::providers::oci {
// Named inside the anonymous namespace: unity builds put several files of this folder in one
// translation unit.
namespace {
namespace up_plan {

using Body = nlohmann::ordered_json;

constexpr std::string_view k_image_placeholder = "{{image}}";
constexpr std::string_view k_ad_placeholder = "{{availability_domain}}";
// The source and destination type of every rule labctl writes: an IPv4 network.
constexpr const char* k_cidr_block = "CIDR_BLOCK";

bool is_alnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

// Shapes ("VM.Standard.E4.Flex") and availability domains ("Uocm:US-ASHBURN-AD-1"): identifiers
// Oracle names, never free text.
bool valid_identifier(std::string_view text, std::string_view extra) {
  return !text.empty() && text.size() <= 128 &&
         std::ranges::all_of(text, [&](char c) { return is_alnum(c) || extra.contains(c); });
}

// Linux user names cloud-init accepts for the image's default user ("opc").
bool valid_ssh_user(std::string_view user) {
  return !user.empty() && user.size() <= 32 &&
         (std::islower(static_cast<unsigned char>(user.front())) || user.front() == '_') &&
         std::ranges::all_of(user, [](char c) {
           return std::islower(static_cast<unsigned char>(c)) ||
                  std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '_';
         });
}

// A node becomes part of a displayName and of the instance's retry token: printable ASCII
// without spaces or quotes keeps both unambiguous.
bool valid_node_name(std::string_view name) {
  return !name.empty() && name.size() <= 64 &&
         std::ranges::all_of(name, [](char c) { return is_alnum(c) || c == '-' || c == '_'; });
}

// The prefix length of a CIDR the profile reader already checked ("10.242.1.0/24" -> 24); -1
// when malformed.
int prefix_bits(std::string_view cidr) {
  const auto slash = cidr.find('/');
  int bits = -1;
  if (slash == std::string_view::npos) return -1;
  const auto text = cidr.substr(slash + 1);
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), bits);
  return error == std::errc{} && end == text.data() + text.size() ? bits : -1;
}

bool cidr_inside(const std::string& inner, const std::string& outer) {
  const int inner_bits = prefix_bits(inner);
  const int outer_bits = prefix_bits(outer);
  return inner_bits >= 0 && outer_bits >= 0 && inner_bits >= outer_bits &&
         in_cidr(inner.substr(0, inner.find('/')), outer);
}

Expected<void> check(bool ok, const profile::Profile& profile, const std::string& key,
                     const std::string& value, const std::string& rule) {
  if (ok) return {};
  return fail(ExitCode::usage, profile.path.string() + ": " + key + " \"" +
                                   text::printable(value, 100) +
                                   "\" is not valid for OCI: " + rule);
}

Body tags_body(const Tags& tags, const std::vector<std::pair<std::string, std::string>>& extra) {
  Body out = Body::object();
  for (const auto& [key, value] : tags.pairs()) out[key] = value;
  for (const auto& [key, value] : extra) out[key] = value;
  return out;
}

Operation create(const OciKind& kind, std::string name, std::string retry_resource, Body body,
                 const std::string& region) {
  Body params;
  params["service"] = "core";
  params["path"] = kind.path;
  params["body"] = std::move(body);
  params["retryToken"] = std::move(retry_resource);
  return Operation{"POST", std::move(params), true, kind.kind, std::move(name), region};
}

const OciKind& kind(std::string_view name) { return *kind_named(name); }

}  // namespace up_plan
}  // namespace

std::string display_name_prefix(const std::string& run_id) { return "labctl-" + run_id + "-"; }

Expected<Plan> plan_lab(const RunContext& ctx, const Placement& where) {
  using Body = up_plan::Body;
  const auto& oci = ctx.profile.oci;
  const auto& profile = ctx.profile;
  Plan plan{"oci", {}, {}};

  std::string ssh_source = oci.operator_cidr;
  if (ssh_source.empty()) {
    if (!oci.allow_any_ssh) {
      return fail(ExitCode::usage, profile.path.string() +
                                       ": oci.operator_cidr is required (the address range "
                                       "SSH may come from)");
    }
    ssh_source = "0.0.0.0/0";
  }
  if (ssh_source == "0.0.0.0/0" && !oci.allow_any_ssh) {
    return fail(ExitCode::refused, profile.path.string() +
                                       ": oci.operator_cidr 0.0.0.0/0 opens SSH to the world; "
                                       "set oci.allow_any_ssh: true if that is intended");
  }
  if (auto ok = up_plan::check(up_plan::cidr_inside(oci.subnet_cidr, oci.vcn_cidr), profile,
                               "oci.subnet_cidr", oci.subnet_cidr,
                               "the subnet must lie inside oci.vcn_cidr " + oci.vcn_cidr);
      !ok) {
    return std::unexpected(ok.error());
  }
  if (!oci.compartment.empty()) {
    if (auto ok = up_plan::check(
            is_ocid_of(oci.compartment, "compartment") || is_ocid_of(oci.compartment, "tenancy"),
            profile, "oci.compartment", oci.compartment,
            "a compartment OCID (ocid1.compartment.oc1..., or the tenancy's OCID for "
            "the root compartment)");
        !ok) {
      return std::unexpected(ok.error());
    }
  }
  if (!oci.image.empty()) {
    if (auto ok = up_plan::check(is_ocid_of(oci.image, "image"), profile, "oci.image", oci.image,
                                 "an image OCID (ocid1.image.oc1.<region>...)");
        !ok) {
      return std::unexpected(ok.error());
    }
  } else if (!ctx.dry_run) {
    return fail(ExitCode::usage, profile.path.string() +
                                     ": oci.image is required for a live up (the OCID of the "
                                     "image every instance boots, e.g. an Oracle Linux image of "
                                     "the region: oci compute image list)");
  }
  if (auto ok = up_plan::check(up_plan::valid_identifier(oci.shape, "._-"), profile, "oci.shape",
                               oci.shape,
                               "a shape name is letters, digits, '.', '_' and '-', e.g. "
                               "VM.Standard.E4.Flex");
      !ok) {
    return std::unexpected(ok.error());
  }
  if (!where.availability_domain.empty()) {
    if (auto ok = up_plan::check(up_plan::valid_identifier(where.availability_domain, ":._-"),
                                 profile, "oci.availability_domain", where.availability_domain,
                                 "an availability domain name, e.g. Uocm:US-ASHBURN-AD-1");
        !ok) {
      return std::unexpected(ok.error());
    }
  }
  if (auto ok = up_plan::check(
          up_plan::valid_ssh_user(oci.ssh_user), profile, "oci.ssh_user", oci.ssh_user,
          "a Linux user name (lower-case letters, digits, '-', '_'; at most 32)");
      !ok) {
    return std::unexpected(ok.error());
  }

  const std::string& region = where.region;
  const std::string prefix = display_name_prefix(ctx.run.run_id);
  const auto network_tags = [&](const std::string& name) {
    return up_plan::tags_body(ctx.tags, {{"Name", prefix + name}});
  };

  Body vcn;
  vcn["compartmentId"] = where.compartment;
  vcn["cidrBlocks"] = Body::array({oci.vcn_cidr});
  vcn["displayName"] = prefix + "vcn";
  vcn["freeformTags"] = network_tags("vcn");
  plan.operations.push_back(up_plan::create(up_plan::kind("vcn"), "vcn", "vcn", vcn, region));

  Body gateway;
  gateway["compartmentId"] = where.compartment;
  gateway["vcnId"] = "{{vcn}}";
  gateway["isEnabled"] = true;
  gateway["displayName"] = prefix + "internet-gateway";
  gateway["freeformTags"] = network_tags("internet-gateway");
  plan.operations.push_back(up_plan::create(up_plan::kind("internetGateway"), "internet-gateway",
                                            "internet-gateway", gateway, region));

  Body routes;
  routes["compartmentId"] = where.compartment;
  routes["vcnId"] = "{{vcn}}";
  routes["displayName"] = prefix + "route-table";
  routes["freeformTags"] = network_tags("route-table");
  routes["routeRules"] = Body::array({{{"destination", "0.0.0.0/0"},
                                       {"destinationType", up_plan::k_cidr_block},
                                       {"networkEntityId", "{{internetGateway}}"},
                                       {"description", "the internet, through the gateway"}}});
  plan.operations.push_back(
      up_plan::create(up_plan::kind("routeTable"), "route-table", "route-table", routes, region));

  Body ssh_rule;
  ssh_rule["protocol"] = "6";
  ssh_rule["source"] = ssh_source;
  ssh_rule["sourceType"] = up_plan::k_cidr_block;
  ssh_rule["tcpOptions"]["destinationPortRange"] = {{"min", 22}, {"max", 22}};
  ssh_rule["description"] = "SSH from the operator CIDR only";
  Body inside_rule;
  inside_rule["protocol"] = "all";
  inside_rule["source"] = oci.vcn_cidr;
  inside_rule["sourceType"] = up_plan::k_cidr_block;
  inside_rule["description"] = "everything inside the VCN";
  // Path MTU discovery ("fragmentation needed") from anywhere, as OCI's default list has it.
  Body mtu_rule;
  mtu_rule["protocol"] = "1";
  mtu_rule["source"] = "0.0.0.0/0";
  mtu_rule["sourceType"] = up_plan::k_cidr_block;
  mtu_rule["icmpOptions"] = {{"type", 3}, {"code", 4}};
  mtu_rule["description"] = "path MTU discovery";
  Body egress;
  egress["protocol"] = "all";
  egress["destination"] = "0.0.0.0/0";
  egress["destinationType"] = up_plan::k_cidr_block;
  Body security;
  security["compartmentId"] = where.compartment;
  security["vcnId"] = "{{vcn}}";
  security["displayName"] = prefix + "security-list";
  security["freeformTags"] = network_tags("security-list");
  security["ingressSecurityRules"] = Body::array({ssh_rule, inside_rule, mtu_rule});
  security["egressSecurityRules"] = Body::array({egress});
  plan.operations.push_back(up_plan::create(up_plan::kind("securityList"), "security-list",
                                            "security-list", security, region));

  Body subnet;
  subnet["compartmentId"] = where.compartment;
  subnet["vcnId"] = "{{vcn}}";
  subnet["cidrBlock"] = oci.subnet_cidr;
  subnet["displayName"] = prefix + "subnet";
  subnet["freeformTags"] = network_tags("subnet");
  subnet["prohibitPublicIpOnVnic"] = false;
  subnet["routeTableId"] = "{{routeTable}}";
  subnet["securityListIds"] = Body::array({"{{securityList}}"});
  plan.operations.push_back(
      up_plan::create(up_plan::kind("subnet"), "subnet", "subnet", subnet, region));

  const std::string availability_domain = where.availability_domain.empty()
                                              ? std::string(up_plan::k_ad_placeholder)
                                              : where.availability_domain;
  const std::string image =
      oci.image.empty() ? std::string(up_plan::k_image_placeholder) : oci.image;
  const bool flexible = oci.shape.ends_with(".Flex");
  std::set<std::string> seen;
  for (const auto& site : profile.sites) {
    if (site.provider != "oci") continue;
    for (const auto& node : site.nodes) {
      if (!up_plan::valid_node_name(node.name)) {
        return fail(ExitCode::usage, site.at + "node \"" + text::printable(node.name, 100) +
                                         "\" of site " + site.name +
                                         " cannot name an OCI instance: use 1-64 letters, "
                                         "digits, '-' and '_'");
      }
      if (!seen.insert(node.name).second) {
        return fail(ExitCode::usage,
                    site.at + "node \"" + node.name + "\" appears twice among the oci sites");
      }
      const auto tags = up_plan::tags_body(ctx.tags, {{"Name", node.name}, {"role", node.role}});
      Body vnic;
      vnic["subnetId"] = "{{subnet}}";
      vnic["assignPublicIp"] = true;
      // Routers forward the lab's traffic; OCI drops packets not addressed to a VNIC unless
      // the source/destination check is off.
      if (node.role.starts_with("router")) vnic["skipSourceDestCheck"] = true;
      vnic["freeformTags"] = tags;
      Body instance;
      instance["availabilityDomain"] = availability_domain;
      instance["compartmentId"] = where.compartment;
      instance["displayName"] = prefix + node.name;
      instance["shape"] = oci.shape;
      if (flexible)
        instance["shapeConfig"] = {{"ocpus", oci.ocpus}, {"memoryInGBs", oci.memory_gbs}};
      instance["sourceDetails"] = {{"sourceType", "image"}, {"imageId", image}};
      instance["createVnicDetails"] = vnic;
      instance["metadata"] = {{"ssh_authorized_keys", "{{ssh_public_key}}"}};
      instance["freeformTags"] = tags;
      plan.operations.push_back(up_plan::create(up_plan::kind("instance"), node.name,
                                                "instance/" + node.name, instance, region));
    }
  }

  plan.notes.push_back(
      "each POST carries opc-retry-token = retry_token(run id, retryToken) and "
      "is waited until the resource is AVAILABLE (instances RUNNING); "
      "{{vcn}}, {{internetGateway}}, {{routeTable}}, {{securityList}} and "
      "{{subnet}} are the OCIDs the earlier creates answer; then every "
      "instance's primary VNIC is read for its addresses and every resource "
      "is read again to add any of the five tags the endpoint dropped");
  plan.notes.push_back(
      "{{ssh_public_key}}: the run's SSH public key, filled in at apply (the "
      "key another cloud of the run made, else a new RSA 3072 pair whose "
      "private key is written 0600 in the run's directory)");
  if (where.availability_domain.empty()) {
    plan.notes.push_back(std::string(up_plan::k_ad_placeholder) +
                         ": the region's first availability domain, asked of Identity at apply "
                         "(set oci.availability_domain to choose one)");
  }
  if (oci.image.empty()) {
    plan.notes.push_back(std::string(up_plan::k_image_placeholder) +
                         ": oci.image is not set; a live up needs the image OCID");
  }
  return plan;
}

}  // namespace labctl::providers::oci
