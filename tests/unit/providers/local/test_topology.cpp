#include "providers/local/topology.hpp"

#include <gtest/gtest.h>

#include "core/profile.hpp"

namespace labctl::providers::local {
namespace {

profile::Profile load_local() {
  auto loaded = profile::load(std::string(LABCTL_SOURCE_DIR) + "/profiles/local.yaml");
  EXPECT_TRUE(loaded) << (loaded ? "" : loaded.error().message);
  return loaded.value_or(profile::Profile{});
}

const char* k_run = "20261124T093000Z-cloudedge-unit";

TEST(LocalTopology, ShippedProfileGivesFourSitesWithOneActiveStandbyPair) {
  auto topo = build_topology(k_run, load_local(), "/state/runs/x/local", "/meta");
  ASSERT_TRUE(topo) << topo.error().message;
  ASSERT_EQ(topo->sites.size(), 4u);
  const auto& aws = topo->sites[1];
  EXPECT_EQ(aws.name, "aws");
  EXPECT_TRUE(aws.redundant);
  EXPECT_EQ(aws.client().lan_address, "198.18.0.11");
  EXPECT_EQ(aws.gateway, "198.18.0.1");
  EXPECT_EQ(aws.transit_gateway, "198.19.0.20");
  ASSERT_EQ(aws.nodes.size(), 3u);
  EXPECT_EQ(aws.nodes[1].role, "router-a");
  EXPECT_EQ(aws.nodes[1].lan_address, "198.18.0.2");
  EXPECT_EQ(aws.nodes[1].transit_address, "198.19.0.21");
  EXPECT_EQ(aws.nodes[2].lan_address, "198.18.0.3");
  EXPECT_EQ(aws.nodes[2].transit_address, "198.19.0.22");
  const auto& onprem = topo->sites[0];
  EXPECT_FALSE(onprem.redundant);
  EXPECT_EQ(onprem.nodes[1].lan_address, "198.18.0.1");  // a lone router owns the gateway
  EXPECT_EQ(onprem.nodes[1].transit_address, onprem.transit_gateway);
  EXPECT_EQ(topo->meta_file, std::filesystem::path("/meta") / (std::string(k_run) + ".json"));
}

TEST(LocalTopology, NamesFitInterfaceLimitsAndCarryTheRunHash) {
  auto topo = build_topology(k_run, load_local(), "/r", "/m");
  ASSERT_TRUE(topo);
  const std::string prefix = netns_prefix(k_run);
  EXPECT_EQ(prefix, "ce-" + short_id(k_run) + "-");
  EXPECT_EQ(short_id(k_run).size(), 8u);
  EXPECT_EQ(short_id(k_run), short_id(std::string(k_run)));  // stable
  EXPECT_NE(short_id(k_run), short_id("20261124T093000Z-cloudedge-other"));
  for (const auto& ns : topo->all_netns()) EXPECT_TRUE(ns.starts_with(prefix)) << ns;
  for (const auto& link : topo->host_links()) {
    EXPECT_LE(link.size(), 15u) << link;
    EXPECT_TRUE(link.starts_with(host_link_prefix(k_run)));
  }
  EXPECT_FALSE(topo->mgmt.overlaps(topo->subnet));
  EXPECT_FALSE(topo->mgmt.overlaps(topo->transit));
  for (const auto* client : topo->clients()) {
    EXPECT_TRUE(topo->mgmt.contains(*parse_ipv4(client->mgmt_address)));
  }
}

TEST(LocalTopology, RejectsAddressesOutsideTheBenchmarkRange) {
  auto profile = load_local();
  profile.local.subnet = "10.0.0.0/24";
  auto topo = build_topology(k_run, profile, "/r", "/m");
  ASSERT_FALSE(topo);
  EXPECT_EQ(topo.error().code, ExitCode::usage);
  EXPECT_NE(topo.error().message.find("198.18.0.0/15"), std::string::npos);
}

TEST(LocalTopology, RejectsLogicalAddressOutsideTheSubnet) {
  auto profile = load_local();
  profile.sites[0].logical_address = "198.18.1.10";
  auto topo = build_topology(k_run, profile, "/r", "/m");
  ASSERT_FALSE(topo);
  EXPECT_NE(topo.error().message.find("site onprem"), std::string::npos);
}

TEST(LocalTopology, RejectsSiteWithoutClient) {
  auto profile = load_local();
  profile.sites[2].nodes.pop_back();  // azure-client
  auto topo = build_topology(k_run, profile, "/r", "/m");
  ASSERT_FALSE(topo);
  EXPECT_NE(topo.error().message.find("role client"), std::string::npos);
}

TEST(LocalTopology, RejectsRunDirThatConfigFilesCannotHold) {
  auto topo = build_topology(k_run, load_local(), "/home/a user/state/runs/x/local", "/m");
  ASSERT_FALSE(topo);
  EXPECT_NE(topo.error().message.find("CE_STATE_DIR"), std::string::npos);
}

TEST(LocalTopology, ParsesAndFormatsIpv4) {
  EXPECT_EQ(format_ipv4(*parse_ipv4("198.18.0.10")), "198.18.0.10");
  EXPECT_FALSE(parse_ipv4("198.18.0"));
  EXPECT_FALSE(parse_ipv4("198.18.0.256"));
  EXPECT_FALSE(parse_ipv4_net("198.18.0.1/24"));  // host bits set
  const auto net = parse_ipv4_net("198.18.0.0/24");
  ASSERT_TRUE(net);
  EXPECT_TRUE(net->contains(*parse_ipv4("198.18.0.255")));
  EXPECT_FALSE(net->contains(*parse_ipv4("198.18.1.0")));
}

}  // namespace
}  // namespace labctl::providers::local
