#include "providers/local/topology.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>

namespace labctl::providers::local {
namespace {

// The benchmarking range (RFC 2544): the only addresses the local lab may use, so it can never
// shadow a real network of the host.
const Ipv4Net k_allowed{0xC6120000u, 15};  // 198.18.0.0/15

int role_rank(const std::string& role) {
  if (role == "client") return 0;
  if (role == "router") return 1;
  if (role == "router-a") return 2;
  return 3;  // router-b
}

bool valid_name(const std::string& name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

Expected<Ipv4Net> lab_net(const std::string& text, const char* setting) {
  const auto net = parse_ipv4_net(text);
  if (!net || net->prefix < 16 || net->prefix > 28) {
    return fail(ExitCode::usage, std::string("profile: local.") + setting + " \"" + text +
                                     "\" is not an IPv4 network /16../28 (e.g. 198.18.0.0/24)");
  }
  if (!k_allowed.contains(net->base) || !k_allowed.contains(net->base + net->size() - 1)) {
    return fail(ExitCode::usage, std::string("profile: local.") + setting + " " + text +
                                     " must lie inside 198.18.0.0/15 (the benchmarking range "
                                     "the local lab is allowed to use)");
  }
  return *net;
}

// A /24 for the host's management veths, picked from the hash so two labs on one host rarely
// share it, and never overlapping the lab's own networks.
Ipv4Net pick_mgmt(std::uint32_t hash, const Ipv4Net& subnet, const Ipv4Net& transit) {
  for (std::uint32_t i = 0; i < 256; ++i) {
    const std::uint32_t slot = (hash + i) % 256;
    // 198.19.128.0-198.19.255.0, then 198.18.128.0-198.18.255.0
    const std::uint32_t base = (slot < 128 ? 0xC6138000u : 0xC6128000u) + ((slot % 128) << 8);
    const Ipv4Net candidate{base, 24};
    if (!candidate.overlaps(subnet) && !candidate.overlaps(transit)) return candidate;
  }
  return {0xC613FF00u, 24};
}

std::uint32_t fnv1a(std::string_view text) {
  std::uint32_t hash = 2166136261u;
  for (const char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 16777619u;
  }
  return hash;
}

}  // namespace

bool Ipv4Net::contains(std::uint32_t address) const { return address - base < size(); }

bool Ipv4Net::overlaps(const Ipv4Net& other) const {
  return contains(other.base) || other.contains(base);
}

std::optional<std::uint32_t> parse_ipv4(std::string_view text) {
  std::uint32_t value = 0;
  const char* p = text.data();
  const char* end = text.data() + text.size();
  for (int octet = 0; octet < 4; ++octet) {
    unsigned part = 0;
    const auto [next, ec] = std::from_chars(p, end, part);
    if (ec != std::errc() || next == p || part > 255) return std::nullopt;
    value = (value << 8) | part;
    p = next;
    if (octet < 3) {
      if (p == end || *p != '.') return std::nullopt;
      ++p;
    }
  }
  if (p != end) return std::nullopt;
  return value;
}

std::optional<Ipv4Net> parse_ipv4_net(std::string_view text) {
  const auto slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  const auto address = parse_ipv4(text.substr(0, slash));
  int prefix = -1;
  const auto tail = text.substr(slash + 1);
  const auto [next, ec] = std::from_chars(tail.data(), tail.data() + tail.size(), prefix);
  if (!address || ec != std::errc() || next != tail.data() + tail.size() || prefix < 1 ||
      prefix > 32) {
    return std::nullopt;
  }
  const std::uint32_t mask = ~std::uint32_t{0} << (32 - prefix);
  if ((*address & ~mask) != 0) return std::nullopt;  // host bits set: not a network
  return Ipv4Net{*address, prefix};
}

std::string format_ipv4(std::uint32_t address) {
  return std::to_string(address >> 24) + "." + std::to_string((address >> 16) & 255) + "." +
         std::to_string((address >> 8) & 255) + "." + std::to_string(address & 255);
}

std::string short_id(std::string_view run_id) {
  char buffer[9];
  std::snprintf(buffer, sizeof buffer, "%08x", fnv1a(run_id));
  return buffer;
}

std::string netns_prefix(std::string_view run_id) { return "ce-" + short_id(run_id) + "-"; }

std::string host_link_prefix(std::string_view run_id) { return "ce" + short_id(run_id) + "m"; }

std::vector<std::string> Topology::all_netns() const {
  std::vector<std::string> names{transit_netns};
  for (const auto& site : sites) {
    names.push_back(site.switch_netns);
    for (const auto& node : site.nodes) names.push_back(node.netns);
  }
  return names;
}

std::vector<std::string> Topology::host_links() const {
  std::vector<std::string> links;
  for (const auto* client : clients()) links.push_back(client->mgmt_link);
  return links;
}

std::vector<const LabNode*> Topology::clients() const {
  std::vector<const LabNode*> out;
  for (const auto& site : sites) out.push_back(&site.client());
  return out;
}

Expected<Topology> build_topology(const std::string& run_id, const profile::Profile& profile,
                                  const std::filesystem::path& run_dir,
                                  const std::filesystem::path& meta_dir) {
  Topology topo;
  topo.run_id = run_id;
  topo.short_id = short_id(run_id);
  auto subnet = lab_net(profile.local.subnet, "subnet");
  if (!subnet) return std::unexpected(subnet.error());
  auto transit = lab_net(profile.local.transit, "transit");
  if (!transit) return std::unexpected(transit.error());
  if (subnet->overlaps(*transit)) {
    return fail(ExitCode::usage, "profile: local.subnet " + profile.local.subnet +
                                     " and local.transit " + profile.local.transit +
                                     " overlap; give them separate ranges");
  }
  topo.subnet = *subnet;
  topo.transit = *transit;
  topo.mgmt = pick_mgmt(fnv1a(run_id), *subnet, *transit);
  const std::string prefix = netns_prefix(run_id);
  topo.transit_netns = prefix + "transit";
  // The path goes unquoted into sshd_config and keepalived.conf.
  if (run_dir.string().find_first_of(" \t\n\"'\\") != std::string::npos) {
    return fail(ExitCode::usage, "local: the run directory " + run_dir.string() +
                                     " contains whitespace or quotes, which sshd and keepalived "
                                     "configs cannot hold; set CE_STATE_DIR to a plain path");
  }
  topo.run_dir = run_dir;
  topo.meta_file = meta_dir / (run_id + ".json");

  std::uint32_t site_index = 0, client_index = 0, router_index = 0;
  for (const auto& site : profile.sites) {
    if (site.provider != "local") continue;
    const std::string where = "profile: site " + site.name + ": ";
    if (!valid_name(site.name)) return fail(ExitCode::usage, where + "name must be [a-z0-9-]");
    LabSite lab;
    lab.name = site.name;
    lab.switch_netns = prefix + site.name + "-lan";
    std::vector<profile::Node> nodes = site.nodes;
    std::stable_sort(nodes.begin(), nodes.end(), [](const auto& a, const auto& b) {
      return role_rank(a.role) < role_rank(b.role);
    });
    const auto count = [&](const char* role) {
      return std::count_if(nodes.begin(), nodes.end(),
                           [&](const auto& n) { return n.role == role; });
    };
    if (count("client") != 1) {
      return fail(ExitCode::usage, where + "needs exactly one node with role client");
    }
    const auto routers = count("router"), a = count("router-a"), b = count("router-b");
    if (!((routers == 1 && a == 0 && b == 0) || (routers == 0 && a == 1 && b <= 1))) {
      return fail(ExitCode::usage, where +
                                       "needs one router, or router-a with an optional "
                                       "router-b (roles router, router-a, router-b)");
    }
    lab.redundant = b == 1;
    lab.vrid = static_cast<int>(10 + site_index);
    // Per-site transit block: .10*(i+1) is the site's transit gateway, +1/+2 the A/B routers.
    const std::uint32_t transit_block = transit->base + 10 * (site_index + 1);
    if (transit_block + 2 >= transit->base + transit->size() - 1) {
      return fail(ExitCode::usage, "profile: local.transit " + profile.local.transit +
                                       " is too small for " + std::to_string(site_index + 1) +
                                       " sites (10 addresses per site)");
    }
    lab.gateway = format_ipv4(subnet->base + 1);
    lab.transit_gateway = format_ipv4(transit_block);
    for (const auto& node : nodes) {
      if (!valid_name(node.name)) {
        return fail(ExitCode::usage, where + "node name \"" + node.name + "\" must be [a-z0-9-]");
      }
      LabNode n;
      n.name = node.name;
      n.site = site.name;
      n.role = node.role;
      n.netns = prefix + node.name;
      n.switch_port = node.role;
      if (n.is_client()) {
        std::uint32_t address = subnet->base + 10 + client_index;
        if (!site.logical_address.empty()) {
          const auto given = parse_ipv4(site.logical_address);
          if (!given || !subnet->contains(*given) || *given - subnet->base < 10 ||
              *given == subnet->base + subnet->size() - 1) {
            return fail(ExitCode::usage, where + "logical_address " + site.logical_address +
                                             " must be a host address inside local.subnet " +
                                             profile.local.subnet +
                                             " from .10 on (.1-.9 are the routers')");
          }
          address = *given;
        }
        n.lan_address = format_ipv4(address);
        const std::uint32_t mgmt_base = topo.mgmt.base + 4 * client_index;
        n.mgmt_link = host_link_prefix(run_id) + std::to_string(client_index);
        n.mgmt_host_address = format_ipv4(mgmt_base + 1);
        n.mgmt_address = format_ipv4(mgmt_base + 2);
        ++client_index;
        if (client_index > 63) {
          return fail(ExitCode::usage, "profile: the local lab supports at most 63 sites");
        }
      } else {
        const std::uint32_t offset = node.role == "router-a" ? 2 : node.role == "router-b" ? 3 : 1;
        // A lone router-a (no router-b) owns the gateway itself, like a plain router.
        n.lan_address = format_ipv4(subnet->base + (lab.redundant ? offset : 1));
        n.transit_address =
            format_ipv4(transit_block + (lab.redundant ? (node.role == "router-a" ? 1 : 2) : 0));
        n.transit_port = "r" + std::to_string(router_index++);
      }
      lab.nodes.push_back(std::move(n));
    }
    topo.sites.push_back(std::move(lab));
    ++site_index;
  }
  if (topo.sites.empty()) {
    return fail(ExitCode::usage, "profile " + profile.name +
                                     ": no site has provider local; the local provider has "
                                     "nothing to build");
  }
  return topo;
}

}  // namespace labctl::providers::local
