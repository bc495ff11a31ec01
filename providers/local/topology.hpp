#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "core/profile.hpp"

namespace labctl::providers::local {

// An IPv4 network in host byte order, e.g. 198.18.0.0/24.
struct Ipv4Net {
  std::uint32_t base = 0;
  int prefix = 0;
  [[nodiscard]] std::uint32_t size() const { return std::uint32_t{1} << (32 - prefix); }
  [[nodiscard]] bool contains(std::uint32_t address) const;
  [[nodiscard]] bool overlaps(const Ipv4Net& other) const;
};

[[nodiscard]] std::optional<std::uint32_t> parse_ipv4(std::string_view text);
[[nodiscard]] std::optional<Ipv4Net> parse_ipv4_net(std::string_view text);
[[nodiscard]] std::string format_ipv4(std::uint32_t address);

// The 8-hex-digit FNV-1a hash of the run-id that names everything of the run on this host
// (interface names are limited to 15 characters, so the run-id itself does not fit).
[[nodiscard]] std::string short_id(std::string_view run_id);
// "ce-<short>-": every network namespace of the run starts with it.
[[nodiscard]] std::string netns_prefix(std::string_view run_id);
// "ce<short>m": every host-side (root namespace) link of the run starts with it.
[[nodiscard]] std::string host_link_prefix(std::string_view run_id);

// Fixed interface names inside the lab namespaces (each namespace has its own name space).
inline constexpr const char* k_lan_if = "lan0";     // node side of the site segment
inline constexpr const char* k_transit_if = "tr0";  // router side of the transit segment
inline constexpr const char* k_mgmt_if = "mgmt0";   // client side of the host management veth
inline constexpr const char* k_bridge = "br0";      // the bridge in a switch namespace

struct LabNode {
  std::string name;  // profile node name
  std::string site;
  std::string role;               // client, router, router-a, router-b
  std::string netns;              // ce-<short>-<name>
  std::string lan_address;        // client: logical address; router: gateway or its own address
  std::string switch_port;        // the node's port on the site bridge
  std::string transit_address;    // routers only
  std::string transit_port;       // routers only: port on the transit bridge
  std::string mgmt_link;          // clients only: host-side veth in the root namespace
  std::string mgmt_host_address;  // clients only: the host end (/30)
  std::string mgmt_address;       // clients only: the client end, where the host reaches sshd

  [[nodiscard]] bool is_client() const { return role == "client"; }
  [[nodiscard]] bool is_router() const { return !is_client(); }
};

struct LabSite {
  std::string name;
  std::string switch_netns;     // ce-<short>-<site>-lan: the site's L2 segment (a bridge)
  std::string gateway;          // the clients' default gateway (the VRRP address on A/B sites)
  std::string transit_gateway;  // where other routers send this site's client (VRRP on A/B)
  bool redundant = false;       // router-a + router-b running keepalived
  int vrid = 0;                 // VRRP router id on A/B sites
  std::vector<LabNode> nodes;   // client first, then routers (a before b)

  [[nodiscard]] const LabNode& client() const { return nodes.front(); }
};

struct Topology {
  std::string run_id;
  std::string short_id;
  Ipv4Net subnet;             // the clients' shared logical network
  Ipv4Net transit;            // router-to-router segment
  Ipv4Net mgmt;               // host management veths, chosen per run so parallel labs do not clash
  std::string transit_netns;  // ce-<short>-transit
  std::filesystem::path run_dir;    // <state_dir>/runs/<run-id>/local
  std::filesystem::path meta_file;  // <meta dir>/<run-id>.json
  std::vector<LabSite> sites;

  [[nodiscard]] std::vector<std::string> all_netns() const;   // creation order
  [[nodiscard]] std::vector<std::string> host_links() const;  // root-namespace links
  [[nodiscard]] std::vector<const LabNode*> clients() const;
};

// The lab of the profile's sites whose provider is "local". Errors (ExitCode::usage) name the
// site or setting: addresses outside 198.18.0.0/15, a site without a client, bad node names.
[[nodiscard]] Expected<Topology> build_topology(const std::string& run_id,
                                                const profile::Profile& profile,
                                                const std::filesystem::path& run_dir,
                                                const std::filesystem::path& meta_dir);

}  // namespace labctl::providers::local
