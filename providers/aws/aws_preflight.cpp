#include "providers/aws/aws_preflight.hpp"

#include <array>

#include "core/tags.hpp"
#include "providers/aws/aws_actions.hpp"
#include "providers/aws/ec2_client.hpp"
#include "providers/preflight.hpp"

namespace labctl::providers::aws {
namespace {

constexpr const char* k_instance_id_filter = "instance-id";
constexpr const char* k_subnet_association_filter = "association.subnet-id";
constexpr const char* k_vpc_filter = "vpc-id";
constexpr const char* k_main_association_filter = "association.main";

constexpr std::array<DescribeFilterUse, 4> k_filters{{
    {"DescribeInstances", k_instance_id_filter},
    {"DescribeRouteTables", k_subnet_association_filter},
    {"DescribeRouteTables", k_vpc_filter},
    {"DescribeRouteTables", k_main_association_filter},
}};

// The instance `instance_id` (the ENI's Attachment.InstanceId) as {id, state}; an empty object
// when the ENI is detached or the instance no longer describes. Found by the `instance-id`
// filter, which every EC2 implementation supports, rather than by the ENI through
// `network-interface.network-interface-id`, which some answer with HTTP 500.
Expected<nlohmann::ordered_json> describe_instance(const Ec2Client& client,
                                                   const std::string& instance_id) {
  if (instance_id.empty()) return nlohmann::ordered_json();
  QueryParams params;
  params.add_filters({{k_instance_id_filter, {instance_id}}});
  auto pages = client.call_paged("DescribeInstances", params, "reservationSet/item");
  if (!pages) return std::unexpected(pages.error().to_error());
  for (const auto& reservation : pages->items) {
    for (const auto& instance : nodes_at(reservation, "instancesSet/item")) {
      return nlohmann::ordered_json{{"id", text_at(instance, "instanceId")},
                                    {"state", text_at(instance, "instanceState/name")}};
    }
  }
  return nlohmann::ordered_json();
}

Expected<nlohmann::ordered_json> describe_route_tables(const Ec2Client& client,
                                                       const EniState& eni) {
  auto tables = nlohmann::ordered_json::array();
  // A subnet without an explicit association uses its VPC's main route table.
  for (const auto& filters : std::vector<std::vector<Ec2Filter>>{
           {{k_subnet_association_filter, {eni.subnet_id}}},
           {{k_vpc_filter, {eni.vpc_id}}, {k_main_association_filter, {"true"}}}}) {
    QueryParams params;
    params.add_filters(filters);
    auto pages = client.call_paged("DescribeRouteTables", params, "routeTableSet/item");
    if (!pages) return std::unexpected(pages.error().to_error());
    for (const auto& table : pages->items) {
      auto routes = nlohmann::ordered_json::array();
      for (const auto& route : nodes_at(table, "routeSet/item")) {
        routes.push_back({{"destination", text_at(route, "destinationCidrBlock")},
                          {"target", text_of_any(
                                         route, {"gatewayId", "natGatewayId", "instanceId",
                                                 "networkInterfaceId", "transitGatewayId",
                                                 "vpcPeeringConnectionId"})}});
      }
      tables.push_back({{"id", text_at(table, "routeTableId")}, {"routes", routes}});
    }
    if (!tables.empty()) break;
  }
  return tables;
}

}  // namespace

std::span<const DescribeFilterUse> preflight_filters() { return k_filters; }

Expected<nlohmann::ordered_json> preflight(const std::string& run_id, const Target& target,
                                           Ec2ClientFactory& factory) {
  const std::string& region = target.region;
  const std::string& address = target.address;
  auto client = factory.client(region);
  if (!client) return std::unexpected(client.error());
  auto eni = describe_eni(**client, target.nic_ref);
  if (!eni) return std::unexpected(eni.error());
  auto instance = describe_instance(**client, eni->instance_id);
  if (!instance) return std::unexpected(instance.error());
  QueryParams subnet_params{{"SubnetId.1", eni->subnet_id}};
  auto subnet_response = (*client)->call("DescribeSubnets", subnet_params);
  if (!subnet_response) return std::unexpected(subnet_response.error().to_error());
  const std::string cidr = subnet_response->text("subnetSet/item/cidrBlock");
  auto tables = describe_route_tables(**client, *eni);
  if (!tables) return std::unexpected(tables.error());

  const auto tag = eni->tags.find(k_tag_run_id);
  const bool ours = tag != eni->tags.end() && tag->second == run_id;
  auto checks = nlohmann::ordered_json::array();
  checks.push_back(
      preflight_check("eni-is-lab-resource", ours,
                      ours ? eni->id + " carries " + k_tag_run_id + "=" + run_id
                           : eni->id + " does not carry " + k_tag_run_id + "=" + run_id));
  checks.push_back(preflight_check(
      "address-not-assigned", !eni->holds(address),
      eni->holds(address) ? address + " is already on " + eni->id + ": the lab is dirty"
                          : address + " is not on " + eni->id));
  checks.push_back(preflight_check("address-in-subnet", in_cidr(address, cidr),
                                   address + " in " + eni->subnet_id + " (" + cidr + ")"));
  checks.push_back(preflight_check("source-dest-check-recorded", true,
                                   std::string("SourceDestCheck=") +
                                       (eni->source_dest_check ? "true" : "false") +
                                       " (the executor will capture it as priorSourceDestCheck)"));
  bool pass = true;
  for (const auto& c : checks) pass = pass && c["status"] == "pass";
  nlohmann::ordered_json tags = nlohmann::ordered_json::object();
  for (const auto& [key, value] : eni->tags) tags[key] = value;
  return nlohmann::ordered_json{
      {"runId", run_id},
      {"eni",
       {{"id", eni->id},
        {"sourceDestCheck", eni->source_dest_check},
        {"privateIps", eni->secondary_ips},
        {"primaryIp", eni->primary_ip},
        {"subnetId", eni->subnet_id},
        {"vpcId", eni->vpc_id},
        {"tags", tags}}},
      {"instance", *instance},
      {"subnet", {{"id", eni->subnet_id}, {"cidr", cidr}}},
      {"routeTables", *tables},
      {"address", address},
      {"region", region},
      {"checks", checks},
      {"result", pass ? "pass" : "fail"}};
}

}  // namespace labctl::providers::aws
